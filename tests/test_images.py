"""Image and mask loading from real files, in every layout users have: grey, alpha, 16-bit, EXIF."""

import os

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


def test_exif_orientation_is_respected(data_dir, tmp_path):
    """A JPEG tagged 'rotate 90 CW' (orientation 6) loads rotated, as every viewer shows it."""
    raw = (data_dir / "tubingen.jpg").read_bytes()
    # An APP1 Exif segment, little-endian TIFF, one IFD entry: Orientation (0x0112) SHORT = 6.
    tiff = b"II*\x00\x08\x00\x00\x00" + b"\x01\x00" + b"\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00" + b"\x00" * 4
    app1 = b"\xff\xe1" + (len(tiff) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + tiff
    path = tmp_path / "rotated.jpg"
    path.write_bytes(raw[:2] + app1 + raw[2:])
    assert images.load_image(path).shape == (1024, 768, 3)


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
