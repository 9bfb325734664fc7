"""Output files as printers and photo editors want them: the format from the file's suffix, 8 or 16
bits per channel, an sRGB ICC profile and the content photo's EXIF embedded.

PNG is encoded by OpenCV (several times faster than Pillow at its default compression, for files a
fifth larger) and the profile and EXIF added as chunks; JPEG and WebP by Pillow; TIFF here, since
Pillow has no 16-bit RGB mode: one directory, Deflate strips with horizontal differencing (read by
libtiff, Photoshop, GIMP). BMP, which holds no profile, is written by OpenCV as before. OpenCV and
Pillow are imported on first use: :mod:`neural_style.config` imports this module for its suffixes.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.icc import srgb_profile

SIXTEEN_BIT_SUFFIXES = (".png", ".tif", ".tiff")
"""The formats written at 16 bits per channel with ``bit_depth=16``; JPEG, WebP and BMP hold 8."""
_PILLOW_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_EXIF_HEADER = b"Exif\x00\x00"
_TIFF_ROWS = 64
"""Rows per TIFF strip: strips of a few hundred KiB, as libtiff writes them."""


def quantise(image: np.ndarray, bit_depth: int) -> np.ndarray:
    """An RGB image (uint8, or float in 0..255) as uint8 (``bit_depth`` 8) or uint16 (16: a float
    image's value times 257, so 255 is 65535 and the levels between are kept; uint8 widened)."""
    if bit_depth == 8:
        return image if image.dtype == np.uint8 else np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return np.clip(np.rint(image.astype(np.float64) * 257.0), 0, 65535).astype(np.uint16)


def check_bit_depth(bit_depth: int, path: str | Path | None = None) -> None:
    """Refuse, in one line, a bit depth other than 8 or 16, and 16 bits for a ``path`` whose format holds 8."""
    if isinstance(bit_depth, bool) or bit_depth not in (8, 16):
        raise NeuralStyleError(f"bit_depth must be 8 or 16. Received: bit_depth={bit_depth!r}")
    if path is not None and bit_depth == 16 and Path(path).suffix.lower() not in SIXTEEN_BIT_SUFFIXES:
        raise NeuralStyleError(f"bit_depth 16 needs a .png or .tif output (JPEG, WebP and BMP hold 8 bits). "
                               f"Received: {str(path)!r}")


def encode(image: np.ndarray, suffix: str, bit_depth: int = 8, quality: int = 95, exif: bytes | None = None) -> bytes:
    """An RGB ``[H, W, 3]`` image (uint8, or float in 0..255) as a file of the format ``suffix`` names
    (``.png``, ``.jpg``, ``.tif``, ``.webp``, ``.bmp``), with an sRGB profile and ``exif`` (``Exif\\0\\0``
    + TIFF bytes, :func:`neural_style.pillow_files.output_exif`) where the format holds them.
    ``quality``: JPEG and WebP, 1..100. A grey ``[H, W]`` array (a mask: levels, not colours) is
    written by OpenCV as it is, without profile or EXIF."""
    check_bit_depth(bit_depth, f"output{suffix}")
    pixels = np.ascontiguousarray(quantise(image, bit_depth))
    if pixels.ndim == 2:
        return _opencv(pixels, suffix)
    if suffix == ".png":
        return _png(pixels, exif)
    if suffix in (".tif", ".tiff"):
        return _tiff(pixels, exif)
    if suffix in _PILLOW_FORMATS:
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, _PILLOW_FORMATS[suffix], quality=quality, icc_profile=srgb_profile(),
                                     **({"exif": exif} if exif else {}))
        return buffer.getvalue()
    return _opencv(pixels[:, :, ::-1], suffix)


def _opencv(pixels: np.ndarray, suffix: str) -> bytes:
    """OpenCV's file of grey ``[H, W]`` or BGR ``[H, W, 3]`` pixels, as it writes them."""
    import cv2

    ok, buffer = cv2.imencode(suffix, np.ascontiguousarray(pixels))
    if not ok:
        raise NeuralStyleError(f"cannot encode an image as {suffix!r}")
    return buffer.tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk: length, type, data, CRC-32 of type and data."""
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def _png(pixels: np.ndarray, exif: bytes | None) -> bytes:
    """OpenCV's PNG (8- or 16-bit) with an iCCP chunk (the sRGB profile, zlib-compressed) and an eXIf
    chunk (the TIFF bytes, without the ``Exif`` header) right after IHDR, before the image data, where
    the PNG specification wants them."""
    data = _opencv(pixels[:, :, ::-1], ".png")
    ihdr_end = 8 + 8 + 13 + 4  # signature, then IHDR's length, type, 13 bytes and CRC
    chunks = _chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(srgb_profile()))
    if exif:
        chunks += _chunk(b"eXIf", exif.removeprefix(_EXIF_HEADER))
    return data[:ihdr_end] + chunks + data[ihdr_end:]


def _tiff(pixels: np.ndarray, exif: bytes | None) -> bytes:
    """A baseline RGB TIFF, little-endian, 8 or 16 bits per sample: one directory (Pillow's
    ImageFileDirectory writes it, with the EXIF's Exif and GPS directories as sub-directories), the
    sRGB profile as tag 34675, then the strips."""
    from PIL import Image
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    height, width, _ = pixels.shape
    little = pixels.astype(pixels.dtype.newbyteorder("<"), copy=False)
    differences = little.copy()
    differences[:, 1:] -= little[:, :-1]  # Predictor 2: each sample minus its left neighbour, modulo 2^bits
    strips = [zlib.compress(differences[row:row + _TIFF_ROWS].tobytes(), 6) for row in range(0, height, _TIFF_ROWS)]
    ifd = ImageFileDirectory_v2(prefix=b"II")
    if exif:
        metadata = Image.Exif()
        metadata.load(exif)
        for tag, value in metadata.items():
            ifd[tag] = metadata.get_ifd(tag) if isinstance(value, int) and tag in (0x8769, 0x8825) else value
    bits = pixels.dtype.itemsize * 8
    tags = {256: width, 257: height, 258: (bits, bits, bits), 259: 8, 262: 2, 277: 3, 278: _TIFF_ROWS, 284: 1,
            317: 2, 34675: srgb_profile(),
            273: tuple(int(offset) for offset in np.cumsum([0] + [len(s) for s in strips[:-1]])),
            279: tuple(len(s) for s in strips)}
    for tag, value in tags.items():
        ifd[tag] = value
    for tag in (256, 257, 273, 278, 279):
        ifd.tagtype[tag] = 4  # LONG: sizes and offsets past 65535
    # Pillow writes the strip offsets relative to the end of the directory and its data, where the strips go
    return b"II*\x00" + (8).to_bytes(4, "little") + ifd.tobytes(8) + b"".join(strips)
