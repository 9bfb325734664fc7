"""Masks: carried from image resolution down to each layer's resolution.

A mask is float32 ``[H, W]`` in 0..1 (1 = the region). At a layer of size ``[H_l, W_l]`` it is the
area average of the image-resolution mask, so a pixel that is half inside counts half.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np


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
