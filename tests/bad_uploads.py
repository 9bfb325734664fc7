"""What people and browsers upload to the studio by mistake, shared by the API tests (test_studio.py)
and the page's (test_studio_browser.py)."""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from conftest import DATA

from neural_style.images import encode_image, load_image


def zip_bomb_png(side: int) -> bytes:
    """A valid PNG of ``side`` x ``side`` black pixels: a few hundred kilobytes that decode to side**2 bytes."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    rows = zlib.compressobj(9)
    data = b"".join(rows.compress(b"\x00" * (side + 1)) for _ in range(side)) + rows.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def declaring(header: bytes, size: int = 64) -> bytes:
    return header + bytes(size)


@functools.cache
def bad_uploads() -> Mapping[str, tuple[str, bytes, str]]:
    """``{case: (kind, bytes, what the one-line error says)}``: what people and browsers send by mistake.
    Made once per process, read-only: the zip bomb alone takes 0.8 s to compress, and 45 tests and
    their collection ask for the cases."""
    jpeg = (DATA / "tubingen.jpg").read_bytes()
    png = encode_image(load_image(DATA / "tubingen.jpg").astype(np.uint8))
    broken_crc = bytearray(png)
    broken_crc[29:33] = b"\0\0\0\0"  # IHDR's checksum
    return MappingProxyType({
        "truncated JPEG": ("photo", jpeg[: len(jpeg) // 2], "truncated JPEG"),
        "JPEG header only": ("photo", jpeg[:600], "truncated JPEG"),
        "truncated PNG": ("photo", png[: len(png) // 3], "not an image"),
        "PNG with a broken checksum": ("photo", bytes(broken_crc), "not an image"),
        "text named .png": ("photo", b"just some text, not an image\n" * 10, "not an image"),
        "HTML page": ("painting", b"<!doctype html><html><body><img src=x></body></html>", "not an image"),
        "PDF": ("painting", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" * 20, "not an image"),
        "zip archive": ("photo", b"PK\x03\x04" + bytes(400), "not an image"),
        "random bytes": ("photo", np.random.default_rng(0).bytes(5000), "not an image"),
        "empty": ("photo", b"", "empty"),
        "zip bomb PNG": ("photo", zip_bomb_png(12000), "declares 12000x12000 pixels"),
        "BMP declaring 30000x30000": ("photo", declaring(b"BM" + bytes(16) + struct.pack("<ii", 30000, 30000)),
                                      "declares 30000x30000 pixels"),
        "GIF declaring 65535x65535": ("painting", declaring(b"GIF89a" + struct.pack("<HH", 65535, 65535)),
                                      "declares 65535x65535 pixels"),
        "WebP declaring 16000x16000": ("photo", declaring(b"RIFF" + bytes(4) + b"WEBPVP8X" + bytes(8)
                                                          + (15999).to_bytes(3, "little") * 2), "declares 16000x16000"),
        "tiny image": ("painting", encode_image(np.zeros((8, 8, 3), np.uint8)), "too small"),
        "a photo as a segmentation": ("segmentation", jpeg, "not a segmentation"),
        "a text file as a mask": ("mask", b"white = this style\n", "not an image"),
        "unknown kind": ("script", jpeg, "upload kind must be one of"),
    })
