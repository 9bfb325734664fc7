"""Masks: cleaned, carried down to each layer's resolution, and turned into per-pixel style weights.

A mask is float32 ``[H, W]`` in 0..1 (1 = the region). At a layer of size ``[H_l, W_l]`` it is the
area average of the image-resolution mask, so a pixel that is half inside counts half. How masks
weigh the style terms is written down in :mod:`neural_style.losses` ("Masks and regions").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.images import as_mask_array, load_mask

MASK_NOISE = 0.05
"""Mask values within this of 0 or 1 are snapped to 0 or 1: the noise of a JPEG-saved black-and-white
mask (speckle of 1..12 grey levels in its flat areas), not a partial weight. Greys between keep their
value and weigh partially."""
MIN_MASK_SHARE = 1e-4
"""A mask covering less than this share of the image (after snapping) is reported as empty."""
ASPECT_TOLERANCE = 0.02
"""A mask whose aspect ratio differs from its image's by more than this (relative) is refused, not
stretched: it was drawn for another picture, or another crop or rotation of this one."""


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a mask ``[H, W]`` to ``[height, width]`` by area averaging (bilinear when enlarging)."""
    if mask.shape == (height, width):
        return mask.astype(np.float32)
    shrinking = height * width < mask.shape[0] * mask.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.clip(cv2.resize(mask, (width, height), interpolation=interpolation), 0.0, 1.0).astype(np.float32)


def masks_for_layers(mask: np.ndarray, layer_shapes: Mapping[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """The mask at each layer's resolution: ``{layer: [H_l, W_l]}``."""
    return {layer: resize_mask(mask, h, w) for layer, (h, w) in layer_shapes.items()}


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """A mask ``[H, W]`` in 0..1 with values within MASK_NOISE of 0 or 1 snapped to them."""
    out = np.clip(mask, 0.0, 1.0).astype(np.float32)
    out[out < MASK_NOISE] = 0.0
    out[out > 1.0 - MASK_NOISE] = 1.0
    return out


def mask_is_empty(mask: np.ndarray) -> bool:
    """True when a cleaned mask covers less than MIN_MASK_SHARE of the image."""
    return float(mask.mean()) < MIN_MASK_SHARE


def style_weight_maps(weights: Sequence[float], masks: Sequence[np.ndarray | None]) -> list[np.ndarray | None]:
    """Per-pixel weight ``rho_k [H, W]`` of each style's term (the rule in losses, "Masks and regions").

    ``weights``: ``v_k >= 0``, one per style, summing to 1. ``masks``: one per style, ``[H, W]`` in 0..1,
    or None for the whole image. ``rho_k = t * v_k m_k / sum_j v_j m_j`` with the style strength
    ``t = min(1, sum_j m_j)``: where masks overlap the styles share the pixel by weight, and the weights
    at a pixel sum to ``t`` (1 inside any white mask, 0.5 under a lone 0.5 grey mask). When no style
    has a mask every entry is None (the weights stay the scalars ``v_k``); a map that is 1 everywhere
    is also None, so an all-white mask or a one-region segmentation runs exactly as no mask.
    """
    if all(m is None for m in masks):
        return [None] * len(masks)
    shape = next(m.shape for m in masks if m is not None)
    regions = [np.ones(shape, np.float32) if m is None else m.astype(np.float32) for m in masks]
    coverage = sum(v * m for v, m in zip(weights, regions, strict=True))
    strength = np.minimum(1.0, sum(regions))
    scale = np.divide(strength, coverage, out=np.zeros_like(coverage), where=coverage > 0)
    maps: list[np.ndarray | None] = []
    for v, m in zip(weights, regions):
        rho = (v * m * scale).astype(np.float32)
        maps.append(None if np.all(rho == 1.0) else rho)
    return maps


def check_aspect(mask_shape: tuple[int, ...], image_shape: tuple[int, ...], what: str, image: str = "the image") -> None:
    """Refuse a mask ``[H, W]`` whose aspect ratio is not its image's (within ASPECT_TOLERANCE)."""
    ratio = (mask_shape[1] / mask_shape[0]) / (image_shape[1] / image_shape[0])
    if abs(np.log(ratio)) > ASPECT_TOLERANCE:
        raise NeuralStyleError(
            f"{what} is {mask_shape[1]}x{mask_shape[0]} (aspect {mask_shape[1] / mask_shape[0]:.2f}) but {image} has "
            f"aspect {image_shape[1] / image_shape[0]:.2f}: a mask must have its image's aspect ratio (it is scaled, "
            "never stretched); resize or crop it to match"
        )


def fit_mask(source: str | Path | np.ndarray, shape: tuple[int, int], what: str, image: str = "the image") -> np.ndarray:
    """A mask (path, or an API user's ``[H, W]`` array: float 0..1 or uint8 0..255) cleaned and resized to
    ``shape``: ``[H, W]`` float32 0..1, possibly empty."""
    mask = as_mask_array(source, what) if isinstance(source, np.ndarray) else load_mask(source, what)
    check_aspect(mask.shape, shape, what, image)
    return resize_mask(clean_mask(mask), *shape)


def read_mask(source: str | Path | np.ndarray, shape: tuple[int, int], what: str, image: str = "the image") -> np.ndarray:
    """``fit_mask``, where an empty mask is an error."""
    mask = fit_mask(source, shape, what, image)
    if mask_is_empty(mask):
        raise NeuralStyleError(f"{what}: mask is empty (all black, or under {MIN_MASK_SHARE:.1%} of the image), "
                               "so its style would apply nowhere")
    return mask
