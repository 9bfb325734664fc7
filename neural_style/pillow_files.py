"""What Pillow reads from an image file: its header (format, ICC profile, EXIF orientation) without
decoding the pixels, the pixels of the formats OpenCV cannot read (HEIC/HEIF through pillow-heif,
AVIF), and the EXIF an output keeps of its content photo. Pillow and pillow-heif are imported on
first use, pillow-heif only for a HEIF file."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.icc import nclx_profile

_EXIF_IFD, _GPS_IFD, _ORIENTATION = 0x8769, 0x8825, 0x0112
_KEPT_IFD0 = {0x010E, 0x010F, 0x0110, 0x0132, 0x013B, 0x8298}
"""Of the main EXIF directory, what still describes an output: ImageDescription, Make, Model,
DateTime, Artist, Copyright. The rest describes the stored file (size, strips, resolution, the
software that wrote it); Orientation is written as 1, since outputs are stored upright."""
_DROPPED_EXIF = {0x927C, 0xA002, 0xA003, 0xA005}
"""Of the Exif directory: the MakerNote (a maker's format, with offsets that break when moved) and the
pixel dimensions and interoperability pointer of the original file."""


@dataclass(frozen=True)
class Header:
    """``format``: Pillow's name (``JPEG``, ``PNG``, ``TIFF``, ``WEBP``, ``AVIF``, ``HEIF``) or None for a
    file Pillow does not know; ``profile``: the embedded ICC profile's bytes or None; ``orientation``:
    the EXIF orientation 1..8 (1 when absent)."""

    format: str | None
    profile: bytes | None
    orientation: int


def is_heif(raw: bytes) -> bool:
    """An ISO base media file (``ftyp`` box first): HEIC/HEIF and AVIF photos (and MP4 videos)."""
    return raw[4:8] == b"ftyp"


def _open(raw: bytes):
    """``PIL.Image.open`` on the bytes (lazy: the header only), HEIF registered for ISO media files.
    Over Pillow's limit (about 179 megapixels) it raises: OpenCV then decodes the file without its
    profile (a JPEG keeps its orientation, read by :mod:`neural_style.jpeg`)."""
    from PIL import Image

    if is_heif(raw):
        import pillow_heif

        pillow_heif.register_heif_opener()
    return Image.open(io.BytesIO(raw))


def read_header(raw: bytes) -> Header:
    """The file's format, ICC profile and EXIF orientation; ``Header(None, None, 1)`` when Pillow
    cannot parse it (OpenCV may still decode it). A HEIF without an ICC profile whose CICP colour
    description is not sRGB gets the profile that description makes (:func:`~neural_style.icc.nclx_profile`)."""
    try:
        image = _open(raw)
    except Exception:  # noqa: BLE001 - Pillow's errors for files it cannot parse vary (OSError, SyntaxError, ...)
        return Header(None, None, 1)
    with image:
        try:
            orientation = image.getexif().get(_ORIENTATION, 1)
        except Exception:  # noqa: BLE001 - a broken EXIF block: the photo as stored, its profile still read
            orientation = 1
        profile = image.info.get("icc_profile") or None
        if profile is None and image.info.get("nclx_profile"):  # a HEIF describing its colours by CICP
            profile = nclx_profile(image.info["nclx_profile"])
        return Header(image.format, profile, orientation if orientation in range(1, 9) else 1)


def decode(raw: bytes, label: str) -> np.ndarray:
    """The pixels as OpenCV would decode them: BGR ``[H, W, 3]``, BGRA with alpha, or grey ``[H, W]``
    (with alpha ``[H, W, 2]``), uint8 (16-bit grey: uint16). HEIF comes upright (libheif applies its
    rotation and resets the EXIF orientation to 1); other formats as stored. ``label``: the option
    and file, for the one-line error."""
    try:
        with _open(raw) as image:
            image.load()
            mode = image.mode
            if mode not in ("L", "LA", "RGB", "RGBA", "I;16"):
                mode = "RGBA" if "A" in mode or "transparency" in image.info else "RGB"
                image = image.convert(mode)
            array = np.asarray(image)
    except Exception as exc:  # noqa: BLE001 - Pillow's and libheif's errors vary; one line for the user
        raise NeuralStyleError(f"{label}: not an image Pillow can decode ({type(exc).__name__}: {exc})") from None
    if mode in ("RGB", "RGBA"):
        array = array[:, :, [2, 1, 0, 3][:array.shape[2]]]  # RGB(A) -> OpenCV's BGR(A)
    return np.ascontiguousarray(array)


def output_exif(raw: bytes) -> bytes | None:
    """The EXIF an output keeps of the photo ``raw``: camera, date, place and exposure (the main
    directory's descriptive tags, the Exif and GPS directories), Orientation 1, no thumbnail; as
    ``Exif\\0\\0`` + TIFF bytes. None if the photo has none or Pillow cannot rewrite it (metadata is a
    courtesy: the output is written without it)."""
    try:
        with _open(raw) as image:
            exif = image.getexif()
            if not exif:
                return None
            from PIL import Image

            kept = Image.Exif()
            for tag in _KEPT_IFD0 & set(exif):
                kept[tag] = exif[tag]
            kept[_ORIENTATION] = 1
            details = {tag: value for tag, value in exif.get_ifd(_EXIF_IFD).items() if tag not in _DROPPED_EXIF}
            if details:
                kept[_EXIF_IFD] = details
            if place := exif.get_ifd(_GPS_IFD):
                kept[_GPS_IFD] = dict(place)
            return kept.tobytes() if len(kept) > 1 else None
    except Exception:  # noqa: BLE001 - any tag Pillow cannot re-write: the output goes without EXIF
        return None
