"""What the studio accepts from a browser: bytes, never names. Each upload is checked (size on the wire,
pixel count read from its header before anything is decoded), decoded by the package's one loader
(:mod:`neural_style.images`: every format the command line reads, EXIF orientation, 16-bit, alpha),
re-encoded as PNG and kept under an id made from its content. Nothing the client sends becomes a path.

Kinds: ``photo`` and ``painting`` (RGB), ``mask`` (grey 0..1), ``segmentation`` (RGB, colours kept).
"""

from __future__ import annotations

import hashlib
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_style import images, jpeg
from neural_style.errors import NeuralStyleError

KINDS = ("photo", "painting", "mask", "segmentation")
MAX_UPLOAD_BYTES = 64 * 2**20
"""Largest upload accepted (a 50-megapixel phone JPEG is about 20 MB, a 16-bit TIFF scan more)."""
MAX_PIXELS = 80_000_000
"""Largest image by its header (width x height), refused before decoding: a 'zip bomb' PNG of a few
kilobytes can declare 100,000 x 100,000 pixels (30 GB decoded)."""
MAX_SIDE = 2048
"""Uploads are kept at most this long on their longest side (the largest studio preset is 1024 px; a
painting's Grams go up to 2048 px); masks and segmentations are resized to the photo by the run."""
SEGMENTATION_CHECK_SIDE = 512
"""A segmentation's regions are checked on a copy this large (the size a 512 px run reads them at)."""
UPLOAD_ID = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class Upload:
    """A stored upload: ``id`` (24 hex digits of its PNG's SHA-256), ``kind``, ``width`` x ``height``."""

    id: str
    kind: str
    width: int
    height: int

    def as_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "width": self.width, "height": self.height}


def header_size(raw: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, JPEG, GIF, BMP or WebP header without decoding; None for other
    formats (decoded under the byte limit only)."""
    if raw.startswith(b"\x89PNG\r\n\x1a\n") and len(raw) >= 24:
        return struct.unpack(">II", raw[16:24])
    if raw.startswith(b"\xff\xd8"):
        return jpeg.frame_size(raw)
    if raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
        return struct.unpack("<HH", raw[6:10])
    if raw.startswith(b"BM") and len(raw) >= 26:
        width, height = struct.unpack("<ii", raw[18:26])
        return abs(width), abs(height)
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP" and len(raw) >= 30:
        chunk = raw[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(raw[24:27], "little"), 1 + int.from_bytes(raw[27:30], "little")
        if chunk == b"VP8 ":
            return struct.unpack("<HH", raw[26:30])[0] & 0x3FFF, struct.unpack("<HH", raw[26:30])[1] & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(raw[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def decode_upload(raw: bytes, kind: str) -> np.ndarray:
    """Check and decode an upload: RGB float32 ``[H, W, 3]`` 0..255 (photo, painting, segmentation)
    or a mask float32 ``[H, W]`` 0..1, fit to :data:`MAX_SIDE`. Bad input raises a one-line
    :class:`NeuralStyleError` that names what is wrong."""
    if kind not in KINDS:
        raise NeuralStyleError(f"upload kind must be one of {', '.join(KINDS)}. Received: {kind!r}")
    if not raw:
        raise NeuralStyleError("the file is empty")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise NeuralStyleError(f"the file is {len(raw) / 2**20:.0f} MB; the studio takes up to "
                               f"{MAX_UPLOAD_BYTES // 2**20} MB")
    size = header_size(raw)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise NeuralStyleError(f"the image declares {size[0]}x{size[1]} pixels; the studio takes up to "
                               f"{MAX_PIXELS / 1e6:.0f} megapixels")
    with tempfile.TemporaryDirectory(prefix="neural-style-upload-") as folder:
        path = Path(folder) / "upload"  # a fixed name: the client's file name is never used
        path.write_bytes(raw)
        try:
            decoded = (images.load_mask(path, "the file") if kind == "mask"
                       else images.load_image(path, "the file", MAX_SIDE, labels=kind == "segmentation"))
        except NeuralStyleError as exc:  # the loader names the file; here it is only a temporary one
            raise NeuralStyleError(str(exc).replace(f": {str(path)!r}", "")) from None
    images.check_min_side(decoded.shape, "the file")
    if max(decoded.shape[:2]) > MAX_SIDE:
        decoded = images.fit_longest_side(decoded, MAX_SIDE)
    if kind == "segmentation":  # a photo picked by mistake is told at once, not when a run starts
        from neural_style.segmentation import find_regions

        find_regions(np.rint(images.fit_longest_side(decoded, SEGMENTATION_CHECK_SIDE)).astype(np.uint8), "the file")
    return decoded


def encode_upload(decoded: np.ndarray) -> bytes:
    """A decoded upload as the PNG the studio keeps (masks as 8-bit grey levels replicated to RGB)."""
    if decoded.ndim == 2:
        decoded = np.repeat(decoded[:, :, None] * 255.0, 3, axis=2)
    return images.encode_image(images.to_uint8(decoded), ".png")


def keep_png(folder: Path, decoded: np.ndarray) -> str:
    """Keep a decoded upload as ``folder/<id>.png`` (written atomically, once: the same content gives
    the same id and file); returns the id."""
    png = encode_upload(decoded)
    upload_id = hashlib.sha256(png).hexdigest()[:24]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{upload_id}.png"
    if not path.exists():
        images.write_atomic(path, png)
    return upload_id


def store_upload(folder: Path, raw: bytes, kind: str) -> Upload:
    """Decode ``raw`` as ``kind`` and keep it in ``folder`` (:func:`keep_png`)."""
    decoded = decode_upload(raw, kind)
    return Upload(keep_png(folder, decoded), kind, decoded.shape[1], decoded.shape[0])


def upload_path(folder: Path, upload_id: str) -> Path:
    """The file of an upload id, after checking the id's form (24 hex digits) and that it exists."""
    if not isinstance(upload_id, str) or not UPLOAD_ID.fullmatch(upload_id):
        raise NeuralStyleError(f"not an upload id: {str(upload_id)[:40]!r}")
    path = folder / f"{upload_id}.png"
    if not path.is_file():
        raise NeuralStyleError(f"no upload {upload_id}")
    return path
