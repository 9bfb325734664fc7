"""Image and mask loading from real files, in every layout users have: grey, alpha, 16-bit, EXIF."""

import os
import re

import cv2
import numpy as np
import pytest

from neural_style import images
from neural_style.errors import NeuralStyleError


def test_colour_jpeg_loads_as_rgb_float(data_dir):
    image = images.load_image(data_dir / "starry_night.jpg")
    bgr = cv2.imread(str(data_dir / "starry_night.jpg"))
    assert image.dtype == np.float32 and image.shape == (640, 1024, 3)
    np.testing.assert_array_equal(image[..., 0], bgr[..., 2].astype(np.float32))  # R first


def test_greyscale_jpeg_becomes_three_equal_channels(data_dir):
    image = images.load_image(data_dir / "escher_sphere.jpg")
    assert image.shape == (1475, 960, 3)
    assert np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 1], image[..., 2])


def test_sixteen_bit_png_keeps_its_values(data_dir, tmp_path):
    bgr = cv2.imread(str(data_dir / "tubingen.jpg"))
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), bgr.astype(np.uint16) * 257)
    np.testing.assert_allclose(images.load_image(path), images.load_image(data_dir / "tubingen.jpg"), atol=1e-3)


def test_alpha_png_is_composited_over_white(data_dir, tmp_path):
    bgr = cv2.imread(str(data_dir / "tubingen.jpg"))[:40, :50]
    alpha = np.zeros(bgr.shape[:2], np.uint8)
    alpha[:, 25:] = 255
    path = tmp_path / "alpha.png"
    cv2.imwrite(str(path), np.dstack([bgr, alpha]))
    image = images.load_image(path)
    assert np.all(image[:, :25] == 255.0)
    np.testing.assert_array_equal(image[:, 25:, 2], bgr[:, 25:, 0].astype(np.float32))


def with_orientation(jpeg_bytes: bytes, orientation: int, big_endian: bool = False) -> bytes:
    """The JPEG with an APP1 Exif segment whose IFD0 holds one entry: Orientation (0x0112) SHORT, as a
    phone writes it when it stores the sensor's pixels and lets the viewer turn them."""
    order = "big" if big_endian else "little"
    entry = (0x0112).to_bytes(2, order) + (3).to_bytes(2, order) + (1).to_bytes(4, order)
    entry += orientation.to_bytes(2, order) + b"\x00\x00"
    tiff = (b"MM\x00*" if big_endian else b"II*\x00") + (8).to_bytes(4, order) + (1).to_bytes(2, order) + entry + b"\x00" * 4
    app1 = b"\xff\xe1" + (len(tiff) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + tiff
    return jpeg_bytes[:2] + app1 + jpeg_bytes[2:]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_what_opencv_shows(data_dir, tmp_path, orientation):
    """All eight orientations, both byte orders, against OpenCV's own upright decode of the file."""
    raw = (data_dir / "tubingen.jpg").read_bytes()
    for big_endian in (False, True):
        path = tmp_path / f"o{orientation}.jpg"
        path.write_bytes(with_orientation(raw, orientation, big_endian))
        upright = cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32)
        np.testing.assert_array_equal(images.load_image(path), upright)
    assert images.load_image(path).shape == ((1024, 768, 3) if orientation >= 5 else (768, 1024, 3))


def test_a_phone_photo_and_its_mask_saved_rotated_line_up(data_dir, tmp_path):
    """Photo and mask stored sideways with 'rotate 90 CW to view' (orientation 6), the mask as a JPEG
    too: both load upright, and the mask still outlines the person in the photo."""
    photo, mask = cv2.imread(str(data_dir / "face.jpg")), cv2.imread(str(data_dir / "face_mask.png"), cv2.IMREAD_GRAYSCALE)
    sideways = {name: np.rot90(image, 1) for name, image in (("photo", photo), ("mask", mask))}  # as the sensor saw it
    for name, image in sideways.items():
        ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(image), [cv2.IMWRITE_JPEG_QUALITY, 95])
        (tmp_path / f"{name}.jpg").write_bytes(with_orientation(encoded.tobytes(), 6))
    loaded_photo, loaded_mask = images.load_image(tmp_path / "photo.jpg"), images.load_mask(tmp_path / "mask.jpg")
    assert loaded_photo.shape == (800, 600, 3) and loaded_mask.shape == (800, 600)
    assert np.abs(loaded_photo - images.load_image(data_dir / "face.jpg")).mean() < 3  # JPEG re-encoding only
    inside = loaded_mask > 0.5
    truth = images.load_mask(data_dir / "face_mask.png") > 0.5
    assert (inside & truth).sum() / (inside | truth).sum() > 0.98


def test_a_jpeg_with_data_after_its_end_marker_loads(data_dir, tmp_path):
    """Motion photos and many cameras append data after the end-of-image marker."""
    raw = (data_dir / "tubingen.jpg").read_bytes()
    path = tmp_path / "motion.jpg"
    path.write_bytes(raw + np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    np.testing.assert_array_equal(images.load_image(path), images.load_image(data_dir / "tubingen.jpg"))
    (tmp_path / "cut.jpg").write_bytes(raw[: len(raw) - 4000])  # a real truncation keeps failing
    with pytest.raises(NeuralStyleError, match="truncated JPEG"):
        images.load_image(tmp_path / "cut.jpg")


@pytest.mark.parametrize("array, expected", [
    (np.full((40, 40, 3), 0.5, np.float32), 127.5),  # float 0..1 (scikit-image, Pillow / 255)
    (np.full((40, 40, 3), 200.0), 200.0),  # float 0..255
    (np.full((40, 40, 3), 200, np.uint8), 200.0),
    (np.full((40, 40, 3), 65535, np.uint16), 255.0),
    (np.full((40, 40), 100, np.int64), 100.0),  # greyscale ints 0..255
])
def test_api_image_arrays_are_read_in_their_range(array, expected):
    image = images.as_rgb_array(array, "content_img")
    assert image.shape == (40, 40, 3) and image.dtype == np.float32
    np.testing.assert_allclose(image, expected, rtol=1e-6)


@pytest.mark.parametrize("array, expected", [
    (np.full((8, 8), 0.5, np.float32), 0.5), (np.full((8, 8), 127.5, np.float64), 0.5),  # float 0..255
    (np.full((8, 8), 255, np.uint8), 1.0), (np.ones((8, 8), np.int64), 1.0), (np.ones((8, 8), bool), 1.0),
    (np.full((8, 8), 65535, np.uint16), 1.0),
])
def test_api_mask_arrays_are_read_in_their_range(array, expected):
    np.testing.assert_allclose(images.as_mask_array(array, "style_mask_imgs[0]"), expected, rtol=1e-6)


@pytest.mark.parametrize("array, message", [
    (np.full((8, 8, 3), 300.0), "values reach 300; expected 0..1 (float), 0..255 or uint16"),
    (np.full((8, 8, 3), -1.0), "finite values >= 0"), (np.full((8, 8, 3), np.nan), "finite values >= 0"),
    (np.ones((8, 8, 3), bool), "must hold numbers"),
])
def test_api_arrays_out_of_any_range_are_refused_in_one_line(array, message):
    with pytest.raises(NeuralStyleError, match=re.escape(message)):
        images.as_rgb_array(array, "content_img")
    if array.dtype != bool:  # a boolean mask is a mask
        with pytest.raises(NeuralStyleError, match=re.escape(message)):
            images.as_mask_array(array[:, :, 0], "mask")


def test_masks_read_as_grey_levels_in_unit_range(data_dir):
    mask = images.load_mask(data_dir / "face_mask.png")
    assert mask.shape == (800, 600) and set(np.unique(mask)) == {0.0, 1.0}
    colour = images.load_mask(data_dir / "dpst_in1_mask.png")
    assert colour.ndim == 2 and 0.0 <= colour.min() and colour.max() <= 1.0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p, d: None, "file not found"),
        (lambda p, d: p.mkdir(), "is a directory"),
        (lambda p, d: p.write_bytes(b""), "file is empty"),
        (lambda p, d: p.write_text("this is not an image\n"), "not an image OpenCV can read"),
        (lambda p, d: p.write_bytes((d / "tubingen.jpg").read_bytes()[:30000]), "truncated JPEG"),
        (lambda p, d: p.write_bytes((d / "face_mask.png").read_bytes()[:600]), "not an image OpenCV can read"),
    ],
)
def test_bad_files_raise_our_error(tmp_path, data_dir, make, message):
    path = tmp_path / "bad.png"
    make(path, data_dir)
    with pytest.raises(NeuralStyleError, match=message):
        images.load_image(path, "content_img")


def test_fit_longest_side_only_shrinks_by_default_and_keeps_aspect(data_dir):
    image = images.load_image(data_dir / "tubingen.jpg")
    assert images.fit_longest_side(image, 128).shape == (96, 128, 3)
    assert images.fit_longest_side(image, 4096).shape == image.shape
    assert images.fit_longest_side(image, 2048, enlarge=True).shape == (1536, 2048, 3)


def test_save_is_atomic_and_round_trips(tmp_path, data_dir):
    image = images.to_uint8(images.fit_longest_side(images.load_image(data_dir / "tubingen.jpg"), 64))
    path = tmp_path / "out.png"
    images.save_image(path, image)
    assert os.listdir(tmp_path) == ["out.png"]  # no temp file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    np.testing.assert_array_equal(images.load_image(path), image.astype(np.float32))
