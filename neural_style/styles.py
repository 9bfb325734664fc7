"""Style images with their masks and weights, sized for each scale, and turned into Gram-matching
terms (the weighting rule is written down in :mod:`neural_style.losses`, "Masks and regions")."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from neural_style import images
from neural_style.config import StyleSpec, normalize_weights
from neural_style.images import MIN_SIDE
from neural_style.layers import feature_size
from neural_style.masks import (
    masks_for_layers,
    read_mask,
    resize_mask,
    style_weight_maps,
)
from neural_style.objective import StyleTerm, TargetPass


@dataclass(frozen=True)
class PreparedStyle:
    """One style, loaded and weighed.

    ``image``: RGB ``[H_s, W_s, 3]`` float32 0..255. ``weight``: ``v_k``, the style-image weights
    normalised to sum 1. ``mask``: ``rho_k [H, W]``, the style's per-pixel weight in content space
    (:func:`masks.style_weight_maps`), or None for ``v_k`` everywhere (no style has a mask).
    ``style_mask``: ``[H_s, W_s]`` 0..1, the region of the style image whose Gram is the target, or
    None for the whole image. ``group``: styles whose content masks are equal share one term.
    """

    image: np.ndarray
    weight: float
    mask: np.ndarray | None
    style_mask: np.ndarray | None
    group: int


def prepare_styles(specs: Sequence[StyleSpec], content_shape: tuple[int, int], style_scale: float) -> list[PreparedStyle]:
    """Load, size and weigh the styles for the full-size output ``content_shape``; :func:`styles_at`
    shrinks them for a coarser scale. A style image used by several specs is loaded once."""
    longest = round(style_scale * max(content_shape))
    loaded: dict[int | str, np.ndarray] = {}
    style_images, content_masks, style_masks = [], [], []
    for k, spec in enumerate(specs):
        key = id(spec.image) if isinstance(spec.image, np.ndarray) else str(spec.image)
        if key not in loaded:  # named by its position among the style images, as on the command line
            loaded[key] = images.read_image(spec.image, f"style_imgs[{len(loaded)}]", longest, enlarge=True)
        image = loaded[key]
        style_images.append(image)
        mask_name, style_mask_name = spec.mask_name or f"style_mask_imgs[{k}]", spec.style_mask_name or f"style_segs[{k}]"
        content_masks.append(None if spec.mask is None else read_mask(spec.mask, content_shape, mask_name,
                                                                      "the content image"))
        style_mask = None if spec.style_mask is None else read_mask(spec.style_mask, image.shape[:2], style_mask_name,
                                                                    "its style image")
        style_masks.append(None if style_mask is None or np.all(style_mask == 1.0) else style_mask)
    weights = normalize_weights("style_imgs_weights", tuple(s.weight for s in specs), len(specs))
    groups: dict[bytes | None, int] = {}
    for mask in content_masks:
        groups.setdefault(None if mask is None else hashlib.sha1(mask.tobytes()).digest(), len(groups))
    keys = [None if m is None else hashlib.sha1(m.tobytes()).digest() for m in content_masks]
    maps = style_weight_maps(weights, content_masks)
    return [PreparedStyle(image, v, rho, style_mask, groups[key])
            for image, v, rho, style_mask, key in zip(style_images, weights, maps, style_masks, keys, strict=True)]


def styles_at(styles: Sequence[PreparedStyle], factor: float, content_shape: tuple[int, int]) -> list[PreparedStyle]:
    """The styles for a scale ``factor`` (<= 1) of the full output, masks following the images."""
    if factor == 1.0:
        return list(styles)
    resized: dict[int, np.ndarray] = {}
    out = []
    for style in styles:
        if id(style.image) not in resized:
            height, width = style.image.shape[:2]
            longest = max(round(factor * max(height, width)), math.ceil(MIN_SIDE * max(height, width) / min(height, width)))
            resized[id(style.image)] = images.fit_longest_side(style.image, longest)
        image = resized[id(style.image)]
        mask = None if style.mask is None else resize_mask(style.mask, *content_shape)
        style_mask = None if style.style_mask is None else resize_mask(style.style_mask, *image.shape[:2])
        out.append(PreparedStyle(image, style.weight, mask, style_mask, style.group))
    return out


def _style_grams(targets: TargetPass, styles: Sequence[PreparedStyle], layers: Sequence[str]) -> list[dict[str, tf.Tensor]]:
    """Each style's target Grams, one forward pass per distinct image (segmentation regions share one)."""
    by_image: dict[int, list[int]] = {}
    for k, style in enumerate(styles):
        by_image.setdefault(id(style.image), []).append(k)
    grams: list[dict[str, tf.Tensor]] = [{} for _ in styles]
    for indices in by_image.values():
        image = styles[indices[0]].image
        shapes = {layer: feature_size(layer, *image.shape[:2]) for layer in layers}
        regions = [None if styles[k].style_mask is None else masks_for_layers(styles[k].style_mask, shapes)
                   for k in indices]
        for k, region_grams in zip(indices, targets.grams(image, layers, regions), strict=True):
            grams[k] = region_grams
    return grams


def style_terms(targets: TargetPass, styles: Sequence[PreparedStyle], layers: Sequence[str],
                content_shape: tuple[int, int]) -> list[StyleTerm]:
    """One term per group of styles with equal content masks: target ``sum_k v_k A_k / sum_k v_k``,
    weight ``sum_k v_k`` unmasked or ``mean(sum_k rho_k)`` masked, Grams weighted by ``sum_k rho_k``
    (losses: the same minimiser as one term per style, at one comparison per layer)."""
    grams = _style_grams(targets, styles, layers)
    content_shapes = {layer: feature_size(layer, *content_shape) for layer in layers}
    terms = []
    for group in sorted({s.group for s in styles}):
        members = [k for k, s in enumerate(styles) if s.group == group]
        total = sum(styles[k].weight for k in members)
        if total <= 0:
            continue
        target = {layer: tf.add_n([styles[k].weight * grams[k][layer] for k in members]) / total for layer in layers}
        maps = [styles[k].mask for k in members]
        if any(m is None for m in maps):  # a map of ones (or no masks at all): the whole image, unmasked
            terms.append(StyleTerm(target, total))
            continue
        rho = np.sum(maps, axis=0)
        layer_masks = {layer: tf.constant(m) for layer, m in masks_for_layers(rho, content_shapes).items()}
        terms.append(StyleTerm(target, float(rho.mean()), layer_masks))
    return terms
