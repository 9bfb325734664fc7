"""Styles with their masks and weights, sized for each scale, and turned into Gram-matching terms
(the weighting rule is written down in :mod:`neural_style.losses`, "Masks and regions").

A style is an image (its Grams computed at the size each scale needs) or a stored style from the
library (its Grams read at that size, :func:`library.between_sizes`); from there on both go through
the same code.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from neural_style import images
from neural_style.config import (
    StyleSpec,
    TransferConfig,
    normalize_weights,
)
from neural_style.errors import NeuralStyleError
from neural_style.grams import blend_grams
from neural_style.layers import MIN_SIDE, feature_size
from neural_style.library import WHOLE, StoredStyle
from neural_style.masks import (
    masks_for_layers,
    read_mask,
    resize_mask,
    style_weight_maps,
)
from neural_style.objective import TargetPass
from neural_style.terms import StyleTerm
from neural_style.weights import weights_fingerprint


@dataclass(frozen=True)
class PreparedStyle:
    """One style, loaded and weighed.

    ``image``: RGB ``[H_s, W_s, 3]`` float32 0..255, or None for a stored style (``stored``), whose
    longest side at this scale is ``size``. ``weight``: ``v_k``, the style-image weights
    normalised to sum 1. ``mask``: ``rho_k [H, W]``, the style's per-pixel weight in content space
    (:func:`masks.style_weight_maps`), or None for ``v_k`` everywhere (no style has a mask).
    ``style_mask``: ``[H_s, W_s]`` 0..1, the region of the style image whose Gram is the target, or
    None for the whole image. ``group``: styles whose content masks are equal share one term.
    ``original``: for a recoloured style (colour control), the image before recolouring, at most
    :data:`GAIN_SIZE` px; it sets how hard the recoloured one pulls (:func:`recolour_gains`).
    """

    image: np.ndarray | None
    weight: float
    mask: np.ndarray | None
    style_mask: np.ndarray | None
    group: int
    stored: StoredStyle | None = None
    size: int = 0
    original: np.ndarray | None = None


GAIN_SIZE = 512
"""Longest side (px) up to which :func:`recolour_gains` compares a style before and after recolouring."""


def effective_regions(styles: Sequence[PreparedStyle]) -> float:
    """How many regions a segmented run's style terms stand for, by the share of the content each
    covers: ``exp(-sum_k p_k ln p_k)`` over the terms' (groups') shares ``p_k = mean(sum rho)`` of the
    content (they sum to 1). ``n`` equal regions give ``n``; a region of 0.3 % of the photo adds almost
    nothing, so a JPEG copy of a segmentation that loses such a speck gives about the same number.
    0 when no term targets a region of a style image (a style mask, or a stored style's region): an
    unsegmented run, or content masks alone."""
    if not any(s.style_mask is not None or (s.stored is not None and s.stored.region != WHOLE) for s in styles):
        return 0.0
    shares: dict[int, float] = {}
    for s in styles:
        shares[s.group] = shares.get(s.group, 0.0) + (1.0 if s.mask is None else float(np.mean(s.mask)))
    p = np.array([v for v in shares.values() if v > 0]) / sum(shares.values())
    return float(np.exp(-np.sum(p * np.log(p))))


def check_stored(specs: Sequence[StyleSpec], config: TransferConfig) -> None:
    """Refuse a stored style that this run's network would not have computed: other weights, other
    pooling (each changes every Gram), or a style layer it lacks; and a stored style with a style mask."""
    fingerprint = None
    for k, spec in enumerate(specs):
        if not isinstance(spec.image, StoredStyle):
            continue
        stored = spec.image
        fingerprint = fingerprint or weights_fingerprint(config.weights)
        provenance = stored.info.provenance
        if provenance.weights_sha256 != fingerprint:
            raise NeuralStyleError(f"stored style {stored.name!r} was computed with other VGG-19 weights (sha256 "
                                   f"{provenance.weights_sha256[:12]}) than this run's ({fingerprint[:12]}); re-add it "
                                   "from its image with these weights")
        if provenance.pooling != config.pooling_type:
            raise NeuralStyleError(f"stored style {stored.name!r} was computed with {provenance.pooling} pooling, this "
                                   f"run uses {config.pooling_type}; re-add it with --pooling_type {config.pooling_type}")
        missing = [layer for layer in config.style_layers if layer not in stored.info.layers]
        if missing:
            raise NeuralStyleError(f"stored style {stored.name!r} has no Grams for style layer(s) {', '.join(missing)} "
                                   f"(stored: {', '.join(stored.info.layers)})")
        if spec.style_mask is not None:
            raise NeuralStyleError(f"style_imgs[{k}] is a stored style: its regions come from the library, not from "
                                   "a style mask")
        if config.color_transfer != "none" or config.luminance_only:
            raise NeuralStyleError(f"stored style {stored.name!r} holds the painting's own colours; --color_transfer "
                                   "and --luminance_only need the style image file")


def prepare_styles(specs: Sequence[StyleSpec], content_shape: tuple[int, int], style_scale: float,
                   recolour: Callable[[np.ndarray], np.ndarray] | None = None) -> list[PreparedStyle]:
    """Load, size and weigh the styles for the full-size output ``content_shape``; :func:`styles_at`
    shrinks them for a coarser scale. A style image used by several specs is loaded once, and
    ``recolour`` (colour control, :func:`colour.style_recolouring`) applied to it once."""
    longest = round(style_scale * max(content_shape))
    loaded: dict[int | str, np.ndarray] = {}
    originals: dict[int | str, np.ndarray] = {}
    style_images, style_originals, content_masks, style_masks = [], [], [], []
    for k, spec in enumerate(specs):
        if isinstance(spec.image, StoredStyle):
            style_images.append(None)
            style_originals.append(None)
        else:
            key = id(spec.image) if isinstance(spec.image, np.ndarray) else str(spec.image)
            if key not in loaded:  # named by its position among the style images, as on the command line
                loaded[key] = images.read_image(spec.image, f"style_imgs[{len(loaded)}]", longest, enlarge=True)
                if recolour is not None:
                    originals[key] = images.fit_longest_side(loaded[key], GAIN_SIZE)
                    loaded[key] = recolour(loaded[key])
            style_images.append(loaded[key])
            style_originals.append(originals.get(key))
        image = style_images[-1]
        mask_name, style_mask_name = spec.mask_name or f"style_mask_imgs[{k}]", spec.style_mask_name or f"style_segs[{k}]"
        content_masks.append(None if spec.mask is None else read_mask(spec.mask, content_shape, mask_name,
                                                                      "the content image"))
        style_mask = None if spec.style_mask is None or image is None else read_mask(
            spec.style_mask, image.shape[:2], style_mask_name, "its style image")
        style_masks.append(None if style_mask is None or np.all(style_mask == 1.0) else style_mask)
    weights = normalize_weights("style_imgs_weights", tuple(s.weight for s in specs), len(specs))
    groups: dict[bytes | None, int] = {}
    for mask in content_masks:
        groups.setdefault(None if mask is None else hashlib.sha1(mask.tobytes()).digest(), len(groups))
    keys = [None if m is None else hashlib.sha1(m.tobytes()).digest() for m in content_masks]
    maps = style_weight_maps(weights, content_masks)
    return [PreparedStyle(image, v, rho, style_mask, groups[key], spec.image if image is None else None,
                          longest if image is None else max(image.shape[:2]), original)
            for spec, image, v, rho, style_mask, key, original in zip(specs, style_images, weights, maps, style_masks,
                                                                      keys, style_originals, strict=True)]


def styles_at(styles: Sequence[PreparedStyle], factor: float, content_shape: tuple[int, int]) -> list[PreparedStyle]:
    """The styles for a scale ``factor`` (<= 1) of the full output, masks following the images."""
    if factor == 1.0:
        return list(styles)
    resized: dict[int, np.ndarray] = {}
    out = []
    for style in styles:
        mask = None if style.mask is None else resize_mask(style.mask, *content_shape)
        if style.stored is not None:
            provenance = style.stored.info.provenance
            aspect = max(provenance.width, provenance.height) / max(1, min(provenance.width, provenance.height))
            size = max(round(factor * style.size), math.ceil(MIN_SIDE * aspect))
            out.append(replace(style, mask=mask, size=size))
            continue
        if id(style.image) not in resized:
            height, width = style.image.shape[:2]
            longest = max(round(factor * max(height, width)), math.ceil(MIN_SIDE * max(height, width) / min(height, width)))
            # a colour-transferred style keeps its values outside 0..255, as at full size
            resized[id(style.image)] = images.fit_longest_side(style.image, longest, clip=style.original is None)
        image = resized[id(style.image)]
        style_mask = None if style.style_mask is None else resize_mask(style.style_mask, *image.shape[:2])
        out.append(replace(style, image=image, mask=mask, style_mask=style_mask, size=max(image.shape[:2])))
    return out


def style_grams(targets: TargetPass, styles: Sequence[PreparedStyle], layers: Sequence[str]) -> list[dict[str, np.ndarray]]:
    """Each style's target Grams ``{layer: [N, N]}`` float32: read from the library for a stored style,
    else one forward pass per distinct image (segmentation regions share one)."""
    by_image: dict[int, list[int]] = {}
    grams: list[dict[str, np.ndarray]] = [{} for _ in styles]
    for k, style in enumerate(styles):
        if style.stored is not None:
            grams[k] = style.stored.grams_at(style.size, layers)
        else:
            by_image.setdefault(id(style.image), []).append(k)
    for indices in by_image.values():
        image = styles[indices[0]].image
        shapes = {layer: feature_size(layer, *image.shape[:2]) for layer in layers}
        regions = [None if styles[k].style_mask is None else masks_for_layers(styles[k].style_mask, shapes)
                   for k in indices]
        for k, region_grams in zip(indices, targets.grams(image, layers, regions), strict=True):
            grams[k] = {layer: gram.numpy() for layer, gram in region_grams.items()}
    return grams


def recolour_gains(targets: TargetPass, styles: Sequence[PreparedStyle], layers: Sequence[str]) -> list[dict[str, float]]:
    """Each style's gain per layer, ``g_l = ||A_l(original)||^2 / ||A_l(recoloured)||^2`` (losses:
    "Colour control"), the two Grams of the whole style image at the smaller of its size at this scale
    and :data:`GAIN_SIZE`; 1 for a style that was not recoloured."""
    gains = []
    for style in styles:
        if style.original is None:
            gains.append(dict.fromkeys(layers, 1.0))
            continue
        size = min(max(style.image.shape[:2]), max(style.original.shape[:2]))
        before, after = (targets.grams(images.fit_longest_side(image, size, clip=False), layers, [None])[0]
                         for image in (style.original, style.image))
        gains.append({layer: float(tf.reduce_sum(tf.square(before[layer])) / tf.reduce_sum(tf.square(after[layer])))
                      for layer in layers})
    return gains


def style_terms(targets: TargetPass, styles: Sequence[PreparedStyle], layers: Sequence[str],
                content_shape: tuple[int, int], grams: Sequence[dict[str, np.ndarray]] | None = None,
                gains: Sequence[dict[str, float]] | None = None) -> list[StyleTerm]:
    """One term per group of styles with equal content masks: target ``sum_k v_k g_k A_k / sum_k v_k g_k``
    per layer, weight ``sum_k v_k`` unmasked or ``mean(sum_k rho_k)`` masked, times the gain
    ``sum_k v_k g_k / sum_k v_k`` per layer, Grams weighted by ``sum_k rho_k`` (losses: the same
    minimiser as one term per style, at one comparison per layer). ``grams``, ``gains``: each style's
    target Grams and :func:`recolour_gains` when already computed (a tiled scale's)."""
    grams = style_grams(targets, styles, layers) if grams is None else grams
    gains = recolour_gains(targets, styles, layers) if gains is None else gains
    content_shapes = {layer: feature_size(layer, *content_shape) for layer in layers}
    terms = []
    for group in sorted({s.group for s in styles}):
        members = [k for k, s in enumerate(styles) if s.group == group]
        total = sum(styles[k].weight for k in members)
        if total <= 0:
            continue
        target, layer_gains = {}, {}
        for layer in layers:
            weights = [styles[k].weight * gains[k][layer] for k in members]
            target[layer] = tf.constant(blend_grams(weights, [{layer: grams[k][layer]} for k in members])[layer])
            layer_gains[layer] = sum(weights) / total
        maps = [styles[k].mask for k in members]
        if any(m is None for m in maps):  # a map of ones (or no masks at all): the whole image, unmasked
            terms.append(StyleTerm(target, total, gains=layer_gains))
            continue
        rho = np.sum(maps, axis=0)
        layer_masks = {layer: tf.constant(m) for layer, m in masks_for_layers(rho, content_shapes).items()}
        terms.append(StyleTerm(target, float(rho.mean()), layer_masks, layer_gains))
    return terms
