"""A JPEG file's structure, read without decoding it: frame size, whether its image data is complete,
and the EXIF orientation a camera or phone wrote (OpenCV applies that orientation only in some of
its read modes, so the package applies it itself, to photos and masks alike)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

SOI, SOS, EOI, APP1 = 0xD8, 0xDA, b"\xff\xd9", 0xE1
_STANDALONE = {0x01, *range(0xD0, 0xD9)}  # markers without a length field (TEM, RST0-7, SOI)


def _segments(raw: bytes) -> Iterator[tuple[int, int, int]]:
    """``(marker, payload start, payload length)`` of each header segment, up to and including the
    first start-of-scan; stops quietly at the first malformed byte."""
    i = 2
    while i + 4 <= len(raw):
        if raw[i] != 0xFF:
            return
        marker = raw[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            i += 2
            continue
        length = int.from_bytes(raw[i + 2:i + 4], "big")
        yield marker, i + 4, length - 2
        if marker == SOS:
            return
        i += 2 + length


def frame_size(raw: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from the frame header (SOF0..SOF15), or None if there is none."""
    for marker, start, _ in _segments(raw):
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(raw[start + 3:start + 5], "big"), int.from_bytes(raw[start + 1:start + 3], "big")
    return None


def is_complete(raw: bytes) -> bool:
    """True when the image data after the first start-of-scan ends with an end-of-image marker.

    Whatever follows the marker is not looked at: phones append a video ("motion photos"), cameras
    append maker data. The marker cannot occur inside entropy-coded data (a data byte 0xFF is
    stuffed with 0x00), and an EXIF thumbnail's own end marker lies in a header before the scan."""
    scan = next((start for marker, start, _ in _segments(raw) if marker == SOS), None)
    return scan is not None and raw.find(EOI, scan) >= 0


def exif_orientation(raw: bytes) -> int:
    """The EXIF orientation tag (1..8) of the first APP1 Exif segment; 1 (upright) if absent or unreadable."""
    for marker, start, length in _segments(raw):
        if marker != APP1 or raw[start:start + 6] != b"Exif\x00\x00":
            continue
        tiff = raw[start + 6:start + length]
        order = {b"II": "little", b"MM": "big"}.get(tiff[:2])
        if order is None or len(tiff) < 8:
            return 1
        ifd = int.from_bytes(tiff[4:8], order)
        count = int.from_bytes(tiff[ifd:ifd + 2], order) if ifd + 2 <= len(tiff) else 0
        for entry in range(ifd + 2, min(ifd + 2 + 12 * count, len(tiff) - 11), 12):
            if int.from_bytes(tiff[entry:entry + 2], order) == 0x0112:
                value = int.from_bytes(tiff[entry + 8:entry + 10], order)
                return value if 1 <= value <= 8 else 1
        return 1
    return 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an image ``[H, W, ...]`` as stored into the upright view its EXIF orientation describes
    (2: mirrored, 3: rotated 180, 4: flipped, 5: transposed, 6: rotated 90 clockwise to view,
    7: transversed, 8: rotated 90 counter-clockwise to view)."""
    views = {
        1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1), 7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    return np.ascontiguousarray(views.get(orientation, views[1])(image))
