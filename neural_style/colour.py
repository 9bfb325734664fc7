"""Colour control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer"): pure
array functions on RGB float images ``[H, W, 3]`` in 0..255.

- :func:`keep_colours` (``--original_colors``): the output's luminance with the content's chroma, in
  one of four colour spaces.
- :func:`match_colours_linear`, :func:`match_colours_histogram` (``--color_transfer``): a style image's
  colours remapped to the content's colour statistics before the run.
- :func:`luminance_image` (``--luminance_only``): an image as three equal channels of its luminance.

Every space is computed in floating point, so nothing is lost to uint8 rounding or offsets between the
conversions: YUV and YCbCr are BT.601 matrices (luma ``Y = 0.299 R + 0.587 G + 0.114 B``); Lab and
Luv are OpenCV's float conversions (sRGB, D65) of ``RGB / 255``, whose ``L`` (0..100) is scaled by
2.55 so that every space's luminance runs 0..255. (neural-style-tf converts uint8 images and mixes
its ranges, which is why its ``--original_colors`` fails for some spaces.)
"""

from __future__ import annotations

import cv2
import numpy as np

from neural_style.config import COLOUR_SPACES, COLOUR_TRANSFERS
from neural_style.errors import NeuralStyleError

SPACES = COLOUR_SPACES
TRANSFERS = COLOUR_TRANSFERS

_LUMA = np.array([0.299, 0.587, 0.114])
_MATRICES = {  # RGB -> (Y, chroma 1, chroma 2), BT.601, no offsets
    "yuv": np.array([_LUMA, 0.492 * (np.array([0, 0, 1]) - _LUMA), 0.877 * (np.array([1, 0, 0]) - _LUMA)]),
    "ycrcb": np.array([_LUMA, 0.713 * (np.array([1, 0, 0]) - _LUMA), 0.564 * (np.array([0, 0, 1]) - _LUMA)]),
}
_OPENCV = {"lab": (cv2.COLOR_RGB2Lab, cv2.COLOR_Lab2RGB), "luv": (cv2.COLOR_RGB2Luv, cv2.COLOR_Luv2RGB)}
_L_TO_255 = 2.55
_EPS = 1e-6


def check_space(space: str) -> str:
    if space not in SPACES:
        raise NeuralStyleError(f"color_convert_type must be one of {', '.join(SPACES)}. Received: {space!r}")
    return space


def to_space(rgb: np.ndarray, space: str) -> np.ndarray:
    """RGB ``[H, W, 3]`` 0..255 -> ``[H, W, 3]``: luminance 0..255, then two chroma channels (float32)."""
    rgb = np.asarray(rgb, np.float32)
    if space in _MATRICES:
        return (rgb.astype(np.float64) @ _MATRICES[space].T).astype(np.float32)
    converted = cv2.cvtColor(np.ascontiguousarray(rgb / 255.0, dtype=np.float32), _OPENCV[check_space(space)][0])
    converted[..., 0] *= _L_TO_255
    return converted


def from_space(values: np.ndarray, space: str) -> np.ndarray:
    """The inverse of :func:`to_space`: RGB float32 ``[H, W, 3]``, clipped to 0..255."""
    if space in _MATRICES:
        rgb = values.astype(np.float64) @ np.linalg.inv(_MATRICES[space]).T
    else:
        scaled = np.array(values, np.float32)
        scaled[..., 0] /= _L_TO_255
        rgb = cv2.cvtColor(scaled, _OPENCV[check_space(space)][1]) * 255.0
    return np.clip(rgb, 0.0, 255.0).astype(np.float32)


def luminance(rgb: np.ndarray, space: str) -> np.ndarray:
    """Luminance ``[H, W]`` 0..255 in ``space``."""
    return to_space(rgb, space)[..., 0]


def keep_colours(output: np.ndarray, content: np.ndarray, space: str, output_is_luminance: bool = False) -> np.ndarray:
    """The output's luminance with the content's chroma (both ``[H, W, 3]``, same shape), in ``space``.
    ``output_is_luminance``: the output is a grey image whose channels hold the luminance itself
    (``--luminance_only``), not an RGB image to convert."""
    lum = output.mean(axis=2) if output_is_luminance else luminance(output, space)
    values = to_space(content, space)
    values[..., 0] = lum
    return from_space(values, space)


def luminance_image(rgb: np.ndarray, space: str, like: np.ndarray | None = None) -> np.ndarray:
    """Three equal channels of the luminance; with ``like`` (another image), that luminance is first
    matched to ``like``'s mean and standard deviation (Gatys et al. 2017's luminance-only transfer)."""
    lum = luminance(rgb, space)
    if like is not None:
        target = luminance(like, space)
        lum = (lum - lum.mean()) * (target.std() / max(float(lum.std()), _EPS)) + target.mean()
    return np.repeat(lum[..., None], 3, axis=2).astype(np.float32)


def _symmetric_power(covariance: np.ndarray, power: float) -> np.ndarray:
    values, vectors = np.linalg.eigh(covariance)
    return (vectors * np.maximum(values, _EPS) ** power) @ vectors.T


def match_colours_linear(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """``x' = C_c^(1/2) C_s^(-1/2) (x - mu_s) + mu_c`` per pixel: the style's colour mean and covariance
    become the content's. The symmetric square roots (Gatys et al.'s "Image Analogies" variant) rotate
    the colours least of the transforms that do this; Cholesky would depend on the channel order. Not
    clipped to 0..255, which would undo the match; the network takes the values as they are."""
    pixels = style.reshape(-1, 3).astype(np.float64)
    target = content.reshape(-1, 3).astype(np.float64)
    mean_s, mean_c = pixels.mean(axis=0), target.mean(axis=0)
    transform = _symmetric_power(np.cov(target.T), 0.5) @ _symmetric_power(np.cov(pixels.T), -0.5)
    return ((pixels - mean_s) @ transform.T + mean_c).reshape(style.shape).astype(np.float32)


def match_colours_histogram(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Each of the content's principal colour axes (its covariance's eigenvectors, where the channels
    are decorrelated) gets the content's histogram: the style's values along the axis are mapped to
    the content's values of equal rank."""
    pixels = style.reshape(-1, 3).astype(np.float64)
    target = content.reshape(-1, 3).astype(np.float64)
    _, axes = np.linalg.eigh(np.cov(target.T))
    ours, theirs = pixels @ axes, target @ axes
    matched = np.empty_like(ours)
    quantiles = np.linspace(0.0, 1.0, 1025)
    for k in range(3):
        ranks = np.argsort(np.argsort(ours[:, k])) / max(len(ours) - 1, 1)
        matched[:, k] = np.interp(ranks, quantiles, np.quantile(theirs[:, k], quantiles))
    return (matched @ axes.T).reshape(style.shape).astype(np.float32)


def transfer_colours(style: np.ndarray, content: np.ndarray, method: str) -> np.ndarray:
    """``--color_transfer``: ``none``, ``linear`` or ``histogram``."""
    if method == "linear":
        return match_colours_linear(style, content)
    if method == "histogram":
        return match_colours_histogram(style, content)
    if method == "none":
        return style
    raise NeuralStyleError(f"color_transfer must be one of {', '.join(TRANSFERS)}. Received: {method!r}")


def style_recolouring(content: np.ndarray, transfer: str, luminance_only: bool, space: str):
    """What happens to each style image before the run, as a function ``[H, W, 3] -> [H, W, 3]``, or
    None: colour transfer to ``content``, then (luminance-only) its luminance matched to the content's."""
    if transfer == "none" and not luminance_only:
        return None

    def recolour(style: np.ndarray) -> np.ndarray:
        moved = transfer_colours(style, content, transfer)
        return luminance_image(moved, space, like=content) if luminance_only else moved

    return recolour


def finish_colours(output: np.ndarray, content: np.ndarray, original_colors: bool, luminance_only: bool,
                   space: str) -> np.ndarray:
    """The output with the content's chroma put back (``original_colors`` or ``luminance_only``), else
    as it is. ``content`` has the output's shape."""
    if not (original_colors or luminance_only):
        return output
    return keep_colours(output, content, space, output_is_luminance=luminance_only)
