"""Masks: carried down to each layer's resolution, weighed per pixel, and read from colour-coded
segmentations.

A mask is float32 ``[H, W]`` in 0..1 (1 = the region). At a layer of size ``[H_l, W_l]`` it is the
area average of the image-resolution mask, so a pixel that is half inside counts half.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from neural_style.config import ImageSource, StyleSpec
from neural_style.errors import NeuralStyleError
from neural_style.images import as_rgb_array, load_image


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


def coverage_weights(weights: Sequence[float], masks: Sequence[np.ndarray | None]) -> tuple[float, ...]:
    """Style-image weights normalised per pixel over the styles whose masks cover that pixel.

    ``weights``: one per style, >= 0. ``masks``: one per style, ``[H, W]`` in 0..1, or None for the
    whole image. Coverage ``c(p) = sum_k v_k m_k(p)``; style ``k`` gets ``v_k`` times the mean of
    ``1 / c`` over its region (weighted by ``m_k``). Without masks this is ``v_k / sum v``; with masks
    that partition the image, every region gets weight 1, so each region is as stylised as a one-style
    run (neural-style-tf splits the strength between the masks instead).
    """
    shape = next((m.shape for m in masks if m is not None), (1, 1))
    full = np.ones(shape, np.float32)
    regions = [full if m is None else m for m in masks]
    coverage = sum(v * m for v, m in zip(weights, regions, strict=True))
    inverse = np.divide(1.0, coverage, out=np.zeros_like(coverage), where=coverage > 0)
    return tuple(
        float(v * np.sum(m * inverse) / np.sum(m)) if np.sum(m) > 0 else 0.0 for v, m in zip(weights, regions)
    )


PALETTE_MIN_SHARE = 0.005
"""A colour is a region of a segmentation if it covers at least this share of a segmentation's pixels;
rarer colours are anti-aliased edges and snap to the nearest region colour."""
REGION_MIN_SHARE = 0.001
"""A region whose exact colour covers less than this share of a style segmentation counts as missing."""


def _colour_counts(segmentation: np.ndarray) -> dict[tuple[int, int, int], int]:
    colours, counts = np.unique(segmentation.reshape(-1, 3), axis=0, return_counts=True)
    return {tuple(int(v) for v in c): int(n) for c, n in zip(colours, counts)}


def segmentation_palette(segmentations: Sequence[np.ndarray]) -> np.ndarray:
    """The region colours ``[K, 3]`` (uint8) used in any of the RGB segmentations ``[H, W, 3]``."""
    palette: set[tuple[int, int, int]] = set()
    for seg in segmentations:
        limit = PALETTE_MIN_SHARE * seg.shape[0] * seg.shape[1]
        palette |= {c for c, n in _colour_counts(seg).items() if n >= limit}
    return np.array(sorted(palette), np.uint8).reshape(-1, 3)


def snap_to_palette(segmentation: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Label map ``[H, W]`` (int) of each pixel's nearest palette colour (RGB Euclidean distance)."""
    pixels = segmentation.reshape(-1, 1, 3).astype(np.int32)
    distances = np.sum((pixels - palette.reshape(1, -1, 3).astype(np.int32)) ** 2, axis=2)
    return np.argmin(distances, axis=1).reshape(segmentation.shape[:2])


def region_masks(
    content_seg: np.ndarray, style_segs: Sequence[np.ndarray]
) -> tuple[np.ndarray, list[dict[int, tuple[np.ndarray, np.ndarray | None]]]]:
    """Pair the regions of a content segmentation with the same-coloured regions of each style's.

    Returns the palette ``[K, 3]`` and, per style, ``{label: (content mask [H, W], style mask or None)}``
    for every label present in the content; None means the style has no such region, so the whole
    style image is used there (the caller reports it). Masks are float32 0/1.
    """
    palette = segmentation_palette([content_seg, *style_segs])
    content_labels = snap_to_palette(content_seg, palette)
    present = [label for label in range(len(palette)) if np.any(content_labels == label)]
    pairs = []
    for seg in style_segs:
        style_labels = snap_to_palette(seg, palette)
        regions = {}
        for label in present:
            style_mask = (style_labels == label).astype(np.float32)
            # Presence is judged on the exact colour: edge pixels that merely snap to it do not count.
            enough = np.all(seg == palette[label], axis=2).mean() >= REGION_MIN_SHARE
            regions[label] = ((content_labels == label).astype(np.float32), style_mask if enough else None)
        pairs.append(regions)
    return palette, pairs


def segmentation_styles(
    content_seg: ImageSource, styles: Sequence[StyleSpec], style_segs: Sequence[ImageSource]
) -> tuple[list[StyleSpec], list[str]]:
    """Expand styles with colour-coded segmentations into one StyleSpec per region.

    ``content_seg`` and ``style_segs`` (one per style) are RGB images where equal colours mark
    corresponding regions (sky, water, hair, ...). Each region of the output is matched to the Gram
    of the same-coloured region of each style image; a content region with no counterpart in a style
    image falls back to that whole style image, and the returned notes say so (one line each).
    """
    if len(style_segs) != len(styles):
        raise NeuralStyleError(
            f"style_segs needs one segmentation per style image: {len(styles)} image(s), {len(style_segs)} received"
        )
    content = _load_segmentation(content_seg, "content_seg")
    segs = [_load_segmentation(seg, f"style_segs[{k}]") for k, seg in enumerate(style_segs)]
    palette, pairs = region_masks(content, segs)
    expanded, notes = [], []
    for k, (spec, regions) in enumerate(zip(styles, pairs, strict=True)):
        for label, (content_mask, style_mask) in regions.items():
            if style_mask is None:
                colour = "#{:02x}{:02x}{:02x}".format(*palette[label])
                notes.append(f"style_segs[{k}] has no region coloured {colour}; the whole style image is used there")
            expanded.append(StyleSpec(spec.image, spec.weight, content_mask, style_mask))
    return expanded, notes


def _load_segmentation(source: ImageSource, what: str) -> np.ndarray:
    image = as_rgb_array(source, what) if isinstance(source, np.ndarray) else load_image(source, what)
    return np.rint(image).astype(np.uint8)
