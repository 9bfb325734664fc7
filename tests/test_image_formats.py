"""Files as phones, cameras and printers have them: HEIC, AVIF, TIFF and WebP read upright, ICC profiles
converted to sRGB on load (never a mask's), and outputs written at 8 or 16 bits with an sRGB profile
and the content photo's EXIF."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from neural_style import images
from neural_style.config import OutputConfig, StyleSpec, TransferConfig
from neural_style.icc import ProfileWarning, matrix_profile

ROOT = Path(__file__).resolve().parent.parent
PHOTO = "dpst_in1.png"  # a harbour at sunset: saturated reds and blues, where P3 and sRGB differ most


# --- a Display P3 profile, built by the package (icc.matrix_profile, what a HEIF's CICP description makes) --

DISPLAY_P3 = matrix_profile("Display P3", ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)))


def to_p3(rgb: Image.Image) -> Image.Image:
    """An sRGB photo's colours as Display P3 pixel values (what a phone stores)."""
    return ImageCms.profileToProfile(rgb, ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(DISPLAY_P3)))


def p3_to_srgb(p3: Image.Image) -> Image.Image:
    return ImageCms.profileToProfile(p3, ImageCms.ImageCmsProfile(io.BytesIO(DISPLAY_P3)), ImageCms.createProfile("sRGB"))


def plain(image: Image.Image) -> Image.Image:
    """The pixels without any profile Pillow attached."""
    return Image.fromarray(np.asarray(image.convert("RGB")))


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).mean())


@pytest.fixture(scope="module")
def photo(data_dir) -> Image.Image:
    return plain(Image.open(data_dir / PHOTO))


def test_the_test_profile_is_display_p3(photo):
    """The profile built above is what Little CMS reads as Display P3: sRGB's red and green come out as
    the published Display P3 values (CSS Color 4: color(display-p3 0.9175 0.2003 0.1386) is sRGB red,
    0.4584 0.9853 0.2983 its green), a round trip through it is nearly lossless, and white stays white."""
    profile = ImageCms.ImageCmsProfile(io.BytesIO(DISPLAY_P3))
    assert ImageCms.getProfileDescription(profile).strip() == "Display P3"
    for srgb, p3 in (((255, 0, 0), (0.9175, 0.2003, 0.1386)), ((0, 255, 0), (0.4584, 0.9853, 0.2983))):
        converted = to_p3(Image.new("RGB", (1, 1), srgb)).getpixel((0, 0))
        assert np.abs(np.array(converted) - np.array(p3) * 255).max() <= 1, (srgb, converted)
    assert mad(p3_to_srgb(to_p3(photo)), photo) < 0.3
    assert to_p3(Image.new("RGB", (1, 1), (255, 255, 255))).getpixel((0, 0)) == (255, 255, 255)


# --- reading ----------------------------------------------------------------------------------------------

def save_heic(image: Image.Image, path: Path, **extra) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()  # lossless: RGB kept as RGB (no YCbCr), 4:4:4
    image.save(path, "HEIF", quality=-1, chroma=444, matrix_coefficients=0, **extra)


def save_avif(image: Image.Image, path: Path, **extra) -> None:
    image.save(path, "AVIF", quality=100, subsampling="4:4:4", **extra)  # Pillow has no lossless AVIF


@pytest.mark.parametrize("save, name", [(save_heic, "photo.heic"), (save_avif, "photo.avif")], ids=["heic", "avif"])
def test_heic_and_avif_in_display_p3_load_as_the_srgb_photo(photo, tmp_path, save, name):
    """A phone's HEIC or AVIF, its pixels in Display P3 and the profile embedded, loads as the sRGB PNG
    of the same photo converted by ImageCms, within 1/255 on average; read ignoring its profile (as
    OpenCV reads an AVIF) the same file is off by three times that."""
    p3 = to_p3(photo)
    plain(p3_to_srgb(p3)).save(tmp_path / "reference.png")
    save(plain(p3), tmp_path / name, icc_profile=DISPLAY_P3)
    reference = images.load_image(tmp_path / "reference.png")
    loaded = images.load_image(tmp_path / name, "content_img")
    assert loaded.shape == reference.shape
    assert mad(loaded, reference) <= 1.0
    ignoring_profile = np.asarray(Image.open(tmp_path / name).convert("RGB"))  # Pillow decodes, nothing converts
    assert mad(ignoring_profile, reference) > 2.5
    assert images.icc_profile_name(tmp_path / name) == "Display P3"


def saturation(rgb: np.ndarray) -> float:
    """Mean HSV saturation, 0..255."""
    hsv = cv2.cvtColor(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV)
    return float(hsv[:, :, 1].mean())


def test_a_heic_describing_display_p3_by_cicp_loads_as_the_srgb_photo(photo, tmp_path):
    """No ICC profile, the colours said by CICP (nclx: primaries 12, sRGB curve), as some phones write:
    converted as if the profile were embedded."""
    path = tmp_path / "cicp.heic"
    save_heic(plain(to_p3(photo)), path, color_primaries=12, transfer_characteristics=13)
    expected = np.asarray(p3_to_srgb(to_p3(photo)), np.float32)
    assert mad(images.load_image(path), expected) <= 1.0
    assert mad(images.load_image(path, labels=True), expected) > 2.0  # read as sRGB, the colours are off
    assert images.icc_profile_name(path) == "Display P3"


def test_a_display_p3_jpeg_keeps_the_photos_saturation(photo, tmp_path):
    """The same photo as an sRGB JPEG and as a P3-tagged JPEG (both quality 95): loaded, the P3 one is
    within 2 % of the sRGB one's mean saturation; read as sRGB (OpenCV) it is duller by over 5 %."""
    photo.save(tmp_path / "srgb.jpg", quality=95)
    plain(to_p3(photo)).save(tmp_path / "p3.jpg", quality=95, icc_profile=DISPLAY_P3)
    expected = saturation(images.load_image(tmp_path / "srgb.jpg"))
    converted = saturation(images.load_image(tmp_path / "p3.jpg"))
    as_srgb = saturation(cv2.imread(str(tmp_path / "p3.jpg"))[:, :, ::-1])
    assert abs(converted / expected - 1) <= 0.02
    assert as_srgb / expected - 1 < -0.05


def test_an_srgb_tagged_photo_loads_as_it_is(photo, tmp_path):
    """A profile that is sRGB (cameras and editors embed one) changes nothing and is not recorded."""
    photo.save(tmp_path / "tagged.png", icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    np.testing.assert_array_equal(images.load_image(tmp_path / "tagged.png"), np.asarray(photo, np.float32))
    assert images.icc_profile_name(tmp_path / "tagged.png") is None


def test_masks_and_segmentations_with_a_profile_are_not_colour_converted(data_dir, tmp_path):
    """A segmentation's colours are labels: its P3 profile is ignored, as a mask's is, where a photo's
    would be applied (the regions recoloured in mid tones, which P3 and sRGB tell apart)."""
    from neural_style.segmentation import read_segmentation

    labels = np.asarray(plain(Image.open(data_dir / "dpst_in1_mask.png"))).astype(np.uint16)
    segmentation = Image.fromarray((labels * 3 // 5 + 50).astype(np.uint8))
    segmentation.save(tmp_path / "untagged.png")
    segmentation.save(tmp_path / "tagged.png", icc_profile=DISPLAY_P3)
    np.testing.assert_array_equal(read_segmentation(tmp_path / "tagged.png", "content_seg", 700),
                                  read_segmentation(tmp_path / "untagged.png", "content_seg", 700))
    np.testing.assert_array_equal(images.load_mask(tmp_path / "tagged.png"), images.load_mask(tmp_path / "untagged.png"))
    as_photo = images.load_image(tmp_path / "tagged.png")
    assert mad(as_photo, np.asarray(segmentation)) > 1.0  # the profile would have changed its colours


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_broken_profile_loads_as_srgb_with_a_warning(photo, tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    photo.save(path, icc_profile=b"not a colour profile" * 10, **({"quality": 95} if suffix == ".jpg" else {}))
    with pytest.warns(ProfileWarning, match="ICC colour profile cannot be read.*read as sRGB") as caught:
        loaded = images.load_image(path, "content_img")
    assert len(caught) == 1 and str(path) in str(caught[0].message)
    reference = cv2.imread(str(path))[:, :, ::-1]
    np.testing.assert_array_equal(loaded, reference.astype(np.float32))
    assert images.icc_profile_name(path) is None


@pytest.mark.parametrize("kind", ["tiff", "webp", "png", "heic", "avif"])
def test_exif_orientation_of_every_format(data_dir, tmp_path, kind):
    """The face photo stored sideways with 'rotate 90 CW to view' (orientation 6) loads upright, as the
    JPEG does (tests/test_images.py): TIFF through libtiff, the rest by the loader."""
    upright = images.load_image(data_dir / "face.jpg")
    sideways = plain(Image.open(data_dir / "face.jpg")).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / f"face.{kind}"
    if kind == "heic":
        save_heic(sideways, path, exif=exif.tobytes())
    elif kind == "avif":
        save_avif(sideways, path, exif=exif.tobytes())
    else:
        sideways.save(path, exif=exif.tobytes(), **({"lossless": True} if kind == "webp" else {}))
    loaded = images.load_image(path)
    assert loaded.shape == upright.shape
    assert mad(loaded, upright) < 2.0  # AVIF's colour rounding; the others are lossless
    assert images.load_mask(path).shape == upright.shape[:2]


# --- writing ----------------------------------------------------------------------------------------------

def gradient() -> np.ndarray:
    """A smooth float image, RGB ``[32, 2048, 3]`` in 0..255: ramps across, each channel its own."""
    ramp = np.linspace(0.0, 255.0, 2048, dtype=np.float32)
    return np.ascontiguousarray(np.broadcast_to(np.stack([ramp, ramp[::-1], ramp * 0.5], axis=-1), (32, 2048, 3)))


def srgb_profile_of(path: Path) -> str:
    with Image.open(path) as image:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))).strip()


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bit_output_keeps_the_levels_of_a_float_image(tmp_path, suffix):
    """Written at 16 bits, a smooth ramp has a level per pixel (2048), not the 256 of 8 bits; the file
    carries the sRGB profile and loads back as the float image within half a 16-bit level."""
    path = tmp_path / f"print{suffix}"
    images.save_image(path, gradient(), bit_depth=16)
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert pixels.dtype == np.uint16 and pixels.shape == (32, 2048, 3)
    assert len(np.unique(pixels[10, :, 2])) > 256  # red (OpenCV's BGR)
    assert srgb_profile_of(path) == "sRGB built-in"
    np.testing.assert_allclose(images.load_image(path), gradient(), atol=0.5 * 255 / 65535 + 1e-4)
    images.save_image(tmp_path / f"eight{suffix}", gradient())
    assert len(np.unique(cv2.imread(str(tmp_path / f"eight{suffix}"), cv2.IMREAD_UNCHANGED)[10, :, 2])) <= 256


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".webp"])
def test_eight_bit_outputs_carry_srgb_and_the_photos_exif(data_dir, tmp_path, suffix):
    """Every output format embeds the sRGB profile; the content's camera, date and place are kept, its
    orientation reset (outputs are stored upright), its maker notes and thumbnail left out."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "PhoneMaker", "Phone 15", 6
    exif.get_ifd(0x8769).update({0x9003: "2024:06:01 12:34:56", 0x927C: b"maker data" * 20, 0xA002: 4032})
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 31.0, 12.5)})
    plain(Image.open(data_dir / "face.jpg")).save(tmp_path / "content.jpg", exif=exif.tobytes(), quality=95)
    kept = images.output_exif(tmp_path / "content.jpg")
    path = tmp_path / f"out{suffix}"
    images.save_image(path, images.load_image(tmp_path / "content.jpg"), exif=kept, quality=90)
    assert srgb_profile_of(path) == "sRGB built-in"
    with Image.open(path) as written:
        found = written.getexif()
        assert (found[0x010F], found[0x0110], found[0x0112]) == ("PhoneMaker", "Phone 15", 1)
        details = found.get_ifd(0x8769)
        assert details[0x9003] == "2024:06:01 12:34:56" and 0x927C not in details and 0xA002 not in details
        assert found.get_ifd(0x8825)[1] == "N"
        assert written.size == (800, 600)  # upright: the photo's 600x800 turned by its orientation
    images.save_image(tmp_path / f"bare{suffix}", images.load_image(tmp_path / "content.jpg"))
    with Image.open(tmp_path / f"bare{suffix}") as bare:
        assert 0x010F not in bare.getexif() and "icc_profile" in bare.info


def test_a_grey_mask_is_written_as_it_is(data_dir, tmp_path):
    """A mask's levels are no colours: a grey array is written grey, without a profile."""
    mask = cv2.imread(str(data_dir / "face_mask.png"), cv2.IMREAD_GRAYSCALE)
    images.save_image(tmp_path / "mask.png", mask)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "mask.png"), cv2.IMREAD_UNCHANGED), mask)
    with Image.open(tmp_path / "mask.png") as written:
        assert written.mode == "L" and "icc_profile" not in written.info


def test_sixteen_bits_are_refused_for_eight_bit_formats(tmp_path):
    from neural_style.errors import NeuralStyleError

    for suffix in (".jpg", ".webp", ".bmp"):
        with pytest.raises(NeuralStyleError, match=r"bit_depth 16 needs a \.png or \.tif output"):
            images.save_image(tmp_path / f"x{suffix}", gradient(), bit_depth=16)
    with pytest.raises(NeuralStyleError, match="bit_depth must be 8 or 16. Received: bit_depth=12"):
        OutputConfig(bit_depth=12)
    with pytest.raises(NeuralStyleError, match="quality must be a whole number from 1 to 100"):
        OutputConfig(quality=0)


# --- a run: the float image to a 16-bit file, the record, the EXIF ----------------------------------------

@pytest.fixture(scope="module")
def p3_run(data_dir, tmp_path_factory):
    """A tiny run on a P3-tagged photo with EXIF (camera, date): the content path, what a record
    describes, and the result."""
    from neural_style.runs import Request, describe, execute, prepare

    folder = tmp_path_factory.mktemp("p3_run")
    exif = Image.Exif()
    exif[0x010F], exif[0x0132] = "PhoneMaker", "2024:06:01 12:34:56"
    content = folder / "phone.jpg"
    plain(to_p3(plain(Image.open(data_dir / "tubingen.jpg")))).save(content, quality=95, icc_profile=DISPLAY_P3,
                                                                    exif=exif.tobytes())
    config = TransferConfig(max_size=64, max_iterations=2, scales=1, precision="float32")
    prepared = prepare(Request(content, (StyleSpec(data_dir / "starry_night.jpg"),), config))
    return content, describe(prepared), execute(prepared)


def test_a_run_writes_sixteen_bits_from_its_float_image_and_records_the_profile(p3_run, tmp_path):
    from neural_style.runs import save

    content, described, result = p3_run
    assert described["input_profiles"] == {"content_img": "Display P3"}
    path = tmp_path / "print.tif"
    record = save(path, result, described, options=OutputConfig(bit_depth=16), content=content)
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert pixels.dtype == np.uint16 and pixels.shape[:2] == result.image.shape[:2]
    assert (pixels % 257 != 0).mean() > 0.9  # levels between the 8-bit ones: not an 8-bit image widened
    np.testing.assert_array_equal(np.rint(pixels[:, :, ::-1] / 257.0), result.image)
    assert record["input_profiles"] == {"content_img": "Display P3"} and record["output_options"]["bit_depth"] == 16
    with Image.open(path) as written:
        assert written.getexif()[0x010F] == "PhoneMaker" and "icc_profile" in written.info
    save(tmp_path / "plain.png", result, described, options=OutputConfig(strip_metadata=True), content=content)
    with Image.open(tmp_path / "plain.png") as stripped:
        assert not stripped.getexif() and "icc_profile" in stripped.info


def test_a_batch_job_keeps_its_photos_exif_as_a_single_run_does(p3_run, data_dir, tmp_path):
    from neural_style.batch import _save
    from neural_style.batch_jobs import Job

    content, described, result = p3_run
    job = Job("phone__starry", content, StyleSpec(data_dir / "starry_night.jpg"), "starry_night", TransferConfig())
    _save(job, tmp_path, result, described, [], lambda path: "digest")
    with Image.open(job.output(tmp_path)) as written:
        assert written.getexif()[0x010F] == "PhoneMaker" and "icc_profile" in written.info


# --- the command line -------------------------------------------------------------------------------------

def run_in_process(args: list[str]) -> subprocess.CompletedProcess:
    """The command in a fresh process, which then says its exit code and whether TensorFlow was imported."""
    code = (f"import sys\nfrom neural_style.cli import main\ntry:\n    main({args!r})\nexcept SystemExit as exit:\n"
            "    print('exit', exit.code, 'tensorflow' in sys.modules)\n")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("option, message", [
    (["--bit_depth", "16"], ("neural-style: error: bit_depth 16 needs a .png or .tif output (JPEG, WebP and BMP "
                             "hold 8 bits). Received: '{out}'")),
    (["--quality", "0"], "neural-style: error: quality must be a whole number from 1 to 100. Received: quality=0"),
], ids=["bit_depth", "quality"])
def test_bad_output_options_are_refused_in_one_line_before_tensorflow(tmp_path, option, message):
    out = tmp_path / "result.jpg"
    done = run_in_process(["--content_img", "tests/data/tubingen.jpg", "--style_imgs", "tests/data/starry_night.jpg",
                           "-o", str(out), *option])
    assert done.stdout.strip() == "exit 2 False", done.stderr
    assert done.stderr.strip().splitlines() == [message.format(out=out)]


def test_the_command_warns_once_about_a_broken_profile(photo, tmp_path, capfd):
    """In the command, a broken profile is one warning line (the file is read more than once), then the
    command goes on: here to the next check, which refuses a style image that is not one."""
    from conftest import run_main

    photo.save(tmp_path / "broken.png", icc_profile=b"not a colour profile" * 10)
    (tmp_path / "text.png").write_text("not an image\n")
    with warnings.catch_warnings():
        code, _, err = run_main(["--content_img", str(tmp_path / "broken.png"), "--style_imgs", str(tmp_path / "text.png"),
                                 "-o", str(tmp_path / "out.png")], capfd)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2, err
    assert lines[0].startswith("neural-style: warning: content_img ") and "cannot be read" in lines[0]
    assert lines[1].startswith("neural-style: error: style_imgs[0]: not an image")
    from neural_style.terminal import quiet_native_output

    (tmp_path / "again.png").write_bytes((tmp_path / "broken.png").read_bytes())
    with quiet_native_output(True):  # as the command runs: a run reads its photo two or three times
        for _ in range(3):
            images.load_image(tmp_path / "again.png", "content_img")
    assert len(capfd.readouterr().err.strip().splitlines()) == 1


def test_the_command_reads_a_phone_heic_and_writes_a_sixteen_bit_tiff(data_dir, tmp_path, capfd):
    """A P3 HEIC with the phone's EXIF in, a 16-bit TIFF out: the profile converted and recorded, the
    camera kept, the levels the optimiser's (in this process: the run's TensorFlow is already loaded)."""
    import json

    from conftest import run_main

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PhoneMaker", "Phone 15"
    save_heic(plain(to_p3(plain(Image.open(data_dir / "tubingen.jpg")))), tmp_path / "IMG_0042.HEIC",
              icc_profile=DISPLAY_P3, exif=exif.tobytes())
    out = tmp_path / "print.tif"
    code, _, err = run_main(["--content_img", str(tmp_path / "IMG_0042.HEIC"), "--style_imgs",
                             str(data_dir / "starry_night.jpg"), "--max_size", "64", "--max_iterations", "2",
                             "--scales", "1", "--precision", "float32", "--bit_depth", "16", "-o", str(out), "-q"], capfd)
    assert code == 0, err
    pixels = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert pixels.dtype == np.uint16 and pixels.shape == (48, 64, 3) and (pixels % 257 != 0).mean() > 0.9
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["input_profiles"] == {"content_img": "Display P3"}
    assert record["output_options"] == {"bit_depth": 16, "quality": 95, "strip_metadata": False}
    with Image.open(out) as written:
        assert written.getexif()[0x0110] == "Phone 15" and srgb_profile_of(out) == "sRGB built-in"
