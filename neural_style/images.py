"""Reading, resizing and writing images: the one loader of every format.

Inside the package an image is a float32 RGB array ``[H, W, 3]`` with values in 0..255, in sRGB, and a
mask a float32 array ``[H, W]`` with values in 0..1. OpenCV decodes what it reads, Pillow (with
pillow-heif) HEIC/HEIF and AVIF (:func:`_decoder`); a photo's ICC profile is converted to sRGB on load
(:mod:`neural_style.icc`), a mask's never. Outputs are written by :mod:`neural_style.encoding`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from neural_style import encoding, icc, jpeg, pillow_files
from neural_style.errors import NeuralStyleError
from neural_style.layers import MIN_SIDE

_PNG_MAGIC = b"\x89PNG"
_JPEG_MAGIC = b"\xff\xd8"


def _read_bytes(path: str | Path, what: str) -> np.ndarray:
    path = Path(path)
    if not path.exists():
        raise NeuralStyleError(f"{what}: file not found: {str(path)!r}")
    if path.is_dir():
        raise NeuralStyleError(f"{what}: is a directory, not an image: {str(path)!r}")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise NeuralStyleError(f"{what}: cannot read {str(path)!r}: {exc.strerror}") from None
    if data.size == 0:
        raise NeuralStyleError(f"{what}: file is empty: {str(path)!r}")
    return data


_REDUCED_COLOR = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def _reduction(data: np.ndarray, longest: int | None) -> int:
    """The largest JPEG DCT scale-down (2, 4 or 8) that still leaves ``longest`` pixels, else 1."""
    size = jpeg.frame_size(data.tobytes()) if longest else None
    if size is None:
        return 1
    return next((f for f in (8, 4, 2) if max(size) // f >= longest), 1)


def _decoder(raw: bytes) -> str:
    """The one choice of decoder: ``pillow`` (with pillow-heif) for HEIC/HEIF and AVIF, which OpenCV
    cannot read (HEIC) or reads only in some builds (AVIF); ``opencv`` for every other format, which
    it decodes in less time and memory than Pillow, large JPEGs at reduced size included
    (bench/results/decoders.md)."""
    return "pillow" if pillow_files.is_heif(raw) else "opencv"


def _decode(data: np.ndarray, path: str | Path, what: str, colour: bool,
            longest: int | None = None) -> tuple[np.ndarray, bytes | None]:
    """Decode bytes to an array as stored (any depth; OpenCV's BGR order), turned upright by its EXIF
    orientation, and the ICC profile the file carries (None if none). Alpha is kept (composited
    later). A JPEG much larger than ``longest`` is decoded already reduced by 2, 4 or 8 (libjpeg's
    DCT scaling), so a 50-megapixel photo never exists in memory at full size."""
    raw = data.tobytes()
    header = pillow_files.read_header(raw)
    if _decoder(raw) == "pillow":
        image = pillow_files.decode(raw, f"{what}: {str(path)!r}")
        return jpeg.apply_orientation(image, header.orientation), header.profile
    is_jpeg = raw.startswith(_JPEG_MAGIC)
    if is_jpeg and not jpeg.is_complete(raw):
        raise NeuralStyleError(f"{what}: truncated JPEG (no end-of-image marker): {str(path)!r}")
    if raw.startswith(_PNG_MAGIC) or not colour:
        flags = cv2.IMREAD_UNCHANGED  # keeps alpha and depth; ignores EXIF orientation (applied below)
    elif is_jpeg and (factor := _reduction(data, longest)) > 1:
        flags = _REDUCED_COLOR[factor] | cv2.IMREAD_IGNORE_ORIENTATION
    else:
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        image = cv2.imdecode(data, flags)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        raise NeuralStyleError(f"{what}: not an image OpenCV can read (corrupt or unsupported format): {str(path)!r}")
    if image.dtype not in (np.uint8, np.uint16):
        raise NeuralStyleError(f"{what}: unsupported pixel type {image.dtype} (8- or 16-bit images only): {str(path)!r}")
    # a JPEG's orientation is read by jpeg.py; libtiff (OpenCV's TIFF decoder) turns a TIFF upright itself
    orientation = jpeg.exif_orientation(raw) if is_jpeg else 1 if header.format == "TIFF" else header.orientation
    return jpeg.apply_orientation(image, orientation), header.profile


def _to_unit(image: np.ndarray) -> np.ndarray:
    scale = 65535.0 if image.dtype == np.uint16 else 255.0
    return image.astype(np.float32) / scale


def load_image(path: str | Path, what: str = "image", longest: int | None = None, *, labels: bool = False) -> np.ndarray:
    """Read an image (JPEG, PNG, TIFF, WebP, HEIC/HEIF, AVIF, BMP, ...; greyscale, alpha, 16-bit too)
    as sRGB float32 ``[H, W, 3]`` in 0..255, upright by its EXIF orientation.

    An embedded ICC profile other than sRGB (Display P3, Adobe RGB, a camera's) is converted to sRGB
    (:func:`neural_style.icc.to_srgb`; an unreadable one is ignored with a ProfileWarning), unless
    ``labels``: the colours are labels (a segmentation, scribbles) and are only decoded. Transparent pixels are composited over white. ``what`` names the option in error messages.
    ``longest``: the longest side the caller will scale to; a large JPEG may then be decoded reduced
    (never below ``longest``), and any image over twice that is shrunk to twice that (area averaging)
    in its own 8- or 16-bit form before it becomes float32, which bounds memory.
    """
    decoded, profile = _decode(_read_bytes(path, what), path, what, colour=True, longest=longest)
    if longest and max(decoded.shape[:2]) > 2 * longest:
        height, width = scaled_shape(decoded.shape[0], decoded.shape[1], 2 * longest)
        decoded = cv2.resize(decoded, (width, height), interpolation=cv2.INTER_AREA)
    if profile is not None and not labels:
        decoded = icc.to_srgb(decoded, profile, f"{what} {str(path)!r}")
    image = _to_unit(decoded)
    if image.ndim == 2:
        image = image[:, :, None]
    channels = image.shape[2]
    if channels in (2, 4):
        colour, alpha = image[:, :, :-1], image[:, :, -1:]
        image = colour * alpha + (1.0 - alpha)
        channels -= 1
    if channels == 1:
        image = np.repeat(image, 3, axis=2)
    else:
        image = image[:, :, ::-1]  # OpenCV's BGR -> RGB
    return np.ascontiguousarray(image * 255.0, dtype=np.float32)


def load_mask(path: str | Path, what: str = "mask") -> np.ndarray:
    """Read a mask (L, LA, RGB, RGBA, 8- or 16-bit; any format :func:`load_image` reads) as its grey
    level, float32 ``[H, W]`` in 0..1. Its values are labels, not colours: an ICC profile is ignored."""
    image = _to_unit(_decode(_read_bytes(path, what), path, what, colour=False)[0])
    if image.ndim == 3:
        colour = image[:, :, :3] if image.shape[2] >= 3 else image[:, :, :1]
        image = colour.mean(axis=2) if colour.shape[2] == 1 else cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(image, dtype=np.float32)


def _value_range(array: np.ndarray, what: str, kind: str) -> float:
    """The full-scale value of an API user's array: 255 for uint8 and integers up to 255, 65535 for
    uint16, 1 for floats up to 1, 255 for floats up to 255; anything else is refused in one line."""
    if array.dtype == np.bool_ or array.dtype.kind not in "uif":
        raise NeuralStyleError(f"{what}: {kind} array must hold numbers. Received dtype {array.dtype}")
    if array.size and (not np.all(np.isfinite(array)) or array.min() < 0):
        raise NeuralStyleError(f"{what}: {kind} array must hold finite values >= 0")
    if array.dtype == np.uint16:
        return 65535.0
    top = float(array.max()) if array.size else 0.0
    if array.dtype.kind == "f" and top <= 1.0:
        return 1.0
    if top <= 255.0:
        return 255.0
    raise NeuralStyleError(f"{what}: {kind} array values reach {top:g}; expected 0..1 (float), 0..255 or uint16")


def as_rgb_array(image: np.ndarray, what: str = "image") -> np.ndarray:
    """An API user's image array (``[H, W]`` or ``[H, W, 3]``) as float32 RGB 0..255. Its range is
    read from its type and values (:func:`_value_range`): floats up to 1 are taken as 0..1 (as
    scikit-image and Pillow-to-float code make them), uint16 as 0..65535."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 1:
        raise NeuralStyleError(f"{what}: array must have shape [H, W, 3] or [H, W]. Received shape {array.shape}")
    scale = 255.0 / _value_range(array, what, "image")
    return (array.astype(np.float32) * scale).astype(np.float32)


def as_mask_array(mask: np.ndarray, what: str = "mask") -> np.ndarray:
    """An API user's mask array ``[H, W]`` as float32 0..1: booleans, and any numbers up to 1, as they
    are (a 0/1 label array of any type); otherwise uint16 divided by 65535, numbers up to 255 by 255."""
    array = np.asarray(mask)
    if array.ndim != 2 or min(array.shape) < 1:
        raise NeuralStyleError(f"{what}: a mask must be a single-channel [H, W] array. Received shape {array.shape}")
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    scale = _value_range(array, what, "mask")
    return (array.astype(np.float32) / (1.0 if array.max() <= 1.0 else scale)).astype(np.float32)


def read_image(source: str | Path | np.ndarray, what: str, longest: int, enlarge: bool = False) -> np.ndarray:
    """A path or an API user's array as RGB float32 ``[H, W, 3]`` in 0..255, scaled so its longest side
    is ``longest`` (only down unless ``enlarge``) and checked to be large enough for VGG-19."""
    if isinstance(source, np.ndarray):
        image = as_rgb_array(source, what)
    else:
        image = load_image(source, what, longest)
    image = fit_longest_side(image, longest, enlarge)
    check_min_side(image.shape, what)
    return image


def resize_to(image: np.ndarray, height: int, width: int, clip: bool = True) -> np.ndarray:
    """Resize to ``height x width``: area averaging when shrinking, bicubic when enlarging; clipped to
    0..255 (0..1 for a mask) unless ``clip`` is False (a colour-transferred style, whose values lie
    outside that range on purpose: colour.match_colours_linear)."""
    if image.shape[:2] == (height, width):
        return image
    shrinking = height * width < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    resized = cv2.resize(image, (width, height), interpolation=interpolation)
    return (np.clip(resized, 0.0, 255.0 if image.ndim == 3 else 1.0) if clip else resized).astype(np.float32)


def scaled_shape(height: int, width: int, longest: int) -> tuple[int, int]:
    """Shape with the aspect ratio kept and the longest side equal to ``longest``."""
    factor = longest / max(height, width)
    return max(1, round(height * factor)), max(1, round(width * factor))


def fit_longest_side(image: np.ndarray, longest: int, enlarge: bool = False, clip: bool = True) -> np.ndarray:
    """Scale so the longest side is ``longest`` pixels (only down unless ``enlarge``); ``clip``: as
    :func:`resize_to`."""
    if not enlarge and max(image.shape[:2]) <= longest:
        return image
    return resize_to(image, *scaled_shape(image.shape[0], image.shape[1], longest), clip)




def check_min_side(shape: tuple[int, ...], what: str) -> None:
    """Refuse an image ``[H, W, ...]`` too small for VGG-19's five poolings (an error, not an upscale:
    a 20 px photo stretched to 32 px would give a result nobody asked for)."""
    if min(shape[:2]) < MIN_SIDE:
        raise NeuralStyleError(
            f"{what}: {shape[1]}x{shape[0]} px after sizing is too small; VGG-19 needs at least "
            f"{MIN_SIDE} px on the shortest side (raise --max_size or --style_scale, or use a larger image)"
        )


def check_mask_not_empty(mask: np.ndarray, what: str) -> None:
    """Refuse an all-black mask: its style would apply nowhere (and its Gram would divide by zero)."""
    if float(mask.max()) <= 0.0:
        raise NeuralStyleError(f"{what}: mask is empty (all black), so its style would apply nowhere")


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Round a float image in 0..255 to uint8."""
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def encode_image(image: np.ndarray, suffix: str = ".png") -> bytes:
    """Encode an RGB uint8 ``[H, W, 3]`` array in the format named by ``suffix``, as it is (previews
    and uploads; the files a run writes go through :func:`save_image`)."""
    ok, buffer = cv2.imencode(suffix, np.ascontiguousarray(image[:, :, ::-1]))
    if not ok:
        raise NeuralStyleError(f"cannot encode an image as {suffix!r}")
    return buffer.tobytes()


def save_image(path: str | Path, image: np.ndarray, *, bit_depth: int = 8, quality: int = 95,
               exif: bytes | None = None) -> None:
    """Write an RGB ``[H, W, 3]`` image (uint8, or float32 in 0..255) atomically in the format of the
    file's suffix (PNG, JPEG, TIFF, WebP, BMP), with an sRGB profile (BMP: none) and ``exif``
    (:func:`output_exif`); ``bit_depth`` 16 (PNG, TIFF) keeps a float image's levels between the
    8-bit ones; ``quality``: JPEG and WebP (:func:`neural_style.encoding.encode`)."""
    write_atomic(path, encoding.encode(image, Path(path).suffix.lower() or ".png", bit_depth, quality, exif))


def output_exif(path: str | Path) -> bytes | None:
    """The EXIF an output keeps of the photo at ``path`` (camera, date, place; Orientation 1, no
    thumbnail), or None (:func:`neural_style.pillow_files.output_exif`)."""
    try:
        return pillow_files.output_exif(Path(path).read_bytes())
    except OSError:
        return None


def icc_profile_name(path: str | Path) -> str | None:
    """The name of the ICC profile :func:`load_image` converts ``path``'s colours from (``Display P3``),
    or None where it takes them as they are: no profile, sRGB, a grey or unreadable one, no such file."""
    try:
        profile = pillow_files.read_header(Path(path).read_bytes()).profile
    except OSError:
        return None
    return icc.profile_name(profile) if icc.converts(profile) else None
