"""Colour profiles: pixels converted to sRGB from the ICC profile their file carries, and the sRGB
profile every output carries. The package works in sRGB, as VGG-19's training images were; a photo
tagged Display P3 (most phones), Adobe RGB or a camera's profile, read as if it were sRGB, comes out
duller and gives the colour options the wrong colours. Conversion is Little CMS's (``PIL.ImageCms``,
its default perceptual intent, which for matrix profiles such as P3 and Adobe RGB is the colorimetric
conversion). Pillow is imported on first use only.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np


class ProfileWarning(UserWarning):
    """A file's colour profile could not be used: it is read as sRGB."""


PROFILE_DATE = (2026, 1, 1, 0, 0, 0)
"""The creation date written into the sRGB profile's header (bytes 24-35), in place of the time Little
CMS made it: the same run writes the same bytes, in another process or on another day."""


def srgb_profile() -> bytes:
    """Little CMS's built-in sRGB profile, as an ICC file's bytes (588), dated PROFILE_DATE."""
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[24:36] = struct.pack(">6H", *PROFILE_DATE)
    return bytes(data)


NCLX_SRGB_TRANSFER = 13
"""The CICP (ITU-T H.273) transfer characteristics of the sRGB tone curve, what phones pair with P3."""
NCLX_NAMES = {1: "sRGB", 12: "Display P3", 9: "BT.2020"}
"""Names of CICP colour primaries, for records."""


def _s15(value: float) -> bytes:
    """An ICC s15Fixed16Number."""
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float) -> np.ndarray:
    """XYZ ``[3]`` (Y = 1) of a CIE xy chromaticity."""
    return np.array([x / y, 1.0, (1 - x - y) / y])


def matrix_profile(name: str, primaries: tuple, white: tuple = (0.3127, 0.3290)) -> bytes:
    """An ICC v2 RGB display profile for colours given by their primaries (``((xr, yr), (xg, yg), (xb,
    yb))``, CIE xy) and white (D65 by default), with the sRGB tone curve: what a HEIF's CICP (nclx)
    colour description says where the file embeds no ICC profile. The colorants are the primaries'
    XYZ adapted to D50 (Bradford), as ICC profiles store them; the curve is the sRGB one ('para' type 3)."""
    d50 = np.array([0.9642, 1.0, 0.8249])
    primaries_xyz = np.stack([_xyz(*p) for p in primaries], axis=1)
    rgb_to_xyz = primaries_xyz * np.linalg.solve(primaries_xyz, _xyz(*white))
    bradford = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    colorants = np.linalg.inv(bradford) @ np.diag((bradford @ d50) / (bradford @ _xyz(*white))) @ bradford @ rgb_to_xyz

    def xyz(v) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(_s15(c) for c in v)

    curve = b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(
        _s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045))
    text = name.encode() + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0none\0"), (b"wtpt", xyz(d50)), (b"rXYZ", xyz(colorants[:, 0])),
            (b"gXYZ", xyz(colorants[:, 1])), (b"bXYZ", xyz(colorants[:, 2])),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + struct.pack(">6H", *PROFILE_DATE) + b"acsp" + b"APPL" + bytes(24)
              + b"".join(_s15(c) for c in d50) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def nclx_profile(nclx: dict) -> bytes | None:
    """The ICC profile of a HEIF's CICP colour description (pillow-heif's ``nclx_profile``: primaries'
    code and xy, transfer code), where its colours are not sRGB: primaries other than BT.709/sRGB's
    with the sRGB tone curve (Display P3 as phones write it). None where the pixels are sRGB already
    or the curve is another (HDR's PQ and HLG are not converted)."""
    try:
        code, transfer = int(nclx["color_primaries"]), int(nclx["transfer_characteristics"])
        if code in (1, 2) or transfer != NCLX_SRGB_TRANSFER:  # 2: unspecified
            return None
        primaries = tuple((float(nclx[f"color_primary_{c}_x"]), float(nclx[f"color_primary_{c}_y"]))
                          for c in ("red", "green", "blue"))
        white = (float(nclx["color_primary_white_x"]), float(nclx["color_primary_white_y"]))
    except (KeyError, TypeError, ValueError):
        return None
    return matrix_profile(NCLX_NAMES.get(code, f"CICP primaries {code}"), primaries, white)


def _colour_space(profile: bytes) -> str:
    """The header's data colour space: ``RGB``, ``GRAY``, ``CMYK``, ... (bytes 16-19)."""
    return profile[16:20].decode("latin-1").strip()


def _open(profile: bytes):
    """The profile as Little CMS reads it; OSError when it cannot."""
    from PIL import ImageCms

    if len(profile) < 128 or profile[36:40] != b"acsp":
        raise OSError("no ICC header")
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(profile))
    except ImageCms.PyCMSError as exc:
        raise OSError(str(exc)) from None


def profile_name(profile: bytes) -> str | None:
    """The profile's description (``Display P3``, ``Adobe RGB (1998)``), None if it cannot be read."""
    from PIL import ImageCms

    try:
        return ImageCms.getProfileDescription(_open(profile)).strip() or "unnamed profile"
    except (OSError, ImageCms.PyCMSError):
        return None


def is_srgb(profile: bytes) -> bool:
    """Whether a readable profile calls itself sRGB (``sRGB IEC61966-2.1``, ``sRGB built-in``): its
    pixels are used as they are."""
    return "srgb" in (profile_name(profile) or "").lower()


def converts(profile: bytes | None) -> bool:
    """Whether :func:`to_srgb` changes pixels of a colour image carrying ``profile``: a readable RGB
    profile that is not sRGB. (Grey profiles are left as they are, unreadable ones warned about.)"""
    return (profile is not None and _colour_space(profile) == "RGB" and profile_name(profile) is not None
            and not is_srgb(profile))


def to_srgb(image: np.ndarray, profile: bytes, label: str) -> np.ndarray:
    """A decoded image (OpenCV's order: BGR or BGRA ``[H, W, 3|4]``, or grey ``[H, W]``/``[H, W, 1|2]``;
    uint8 or uint16) with its colours converted from ``profile`` to sRGB; alpha kept. A 16-bit image
    is converted at 8 bits and returned as uint8 (Pillow's colour management has no 16-bit RGB mode;
    the run works at 8-bit precision in any case). Grey images and grey profiles are left as they are.
    An unreadable profile, or one for another colour space (CMYK), leaves the pixels as they are
    with a :class:`ProfileWarning` naming ``label`` (the option and file)."""
    space = _colour_space(profile) if len(profile) >= 20 else ""
    if space == "GRAY" or image.ndim == 2 or image.shape[2] < 3:
        return image
    try:
        source = _open(profile)
    except OSError as exc:
        warnings.warn(f"{label}: its ICC colour profile cannot be read ({exc}); the image is read as sRGB",
                      ProfileWarning, stacklevel=2)
        return image
    if space != "RGB":
        warnings.warn(f"{label}: its {space or 'unknown'} colour profile {profile_name(profile)!r} is not applied; "
                      "the image is read as sRGB", ProfileWarning, stacklevel=2)
        return image
    if is_srgb(profile):
        return image
    from PIL import Image, ImageCms

    colour = image[:, :, 2::-1]  # BGR -> RGB
    if image.dtype == np.uint16:
        colour = np.rint(colour / 257.0).astype(np.uint8)
    try:
        transform = ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), "RGB", "RGB")
        converted = np.asarray(ImageCms.applyTransform(Image.fromarray(np.ascontiguousarray(colour)), transform))
    except (OSError, ValueError, ImageCms.PyCMSError) as exc:
        warnings.warn(f"{label}: its ICC colour profile cannot be used ({exc}); the image is read as sRGB",
                      ProfileWarning, stacklevel=2)
        return image
    out = converted[:, :, ::-1]
    if image.shape[2] == 4:
        alpha = image[:, :, 3:]
        out = np.dstack([out, np.rint(alpha / 257.0).astype(np.uint8) if image.dtype == np.uint16 else alpha])
    return np.ascontiguousarray(out)
