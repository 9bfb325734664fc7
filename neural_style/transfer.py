"""``stylize``: orchestration only. Load and size the images, build the extractor once, compute the
targets once, build the objective and hand it to the optimiser named in the configuration."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from neural_style import images
from neural_style.config import (
    ImageSource,
    StyleSpec,
    TransferConfig,
    normalize_weights,
)
from neural_style.errors import NeuralStyleError
from neural_style.features import build_feature_extractor, resolve_precision
from neural_style.images import MIN_SIDE
from neural_style.layers import CAFFE_MEAN_BGR, feature_size
from neural_style.masks import coverage_weights, masks_for_layers, resize_mask
from neural_style.objective import Objective, StyleTerm, TargetPass
from neural_style.optimizers import OPTIMIZERS, Callback
from neural_style.weights import load_vgg19_weights

NOISE_AMPLITUDE = 20.0
"""Random init: the mean pixel plus uniform noise in +-20 (neural-style-tf's noise image)."""


@dataclass(frozen=True)
class TransferResult:
    """The output image (RGB uint8 ``[H, W, 3]``) and how the run went."""

    image: np.ndarray
    iterations: int
    total: float
    parts: dict[str, float]
    stop_reason: str
    seconds: float
    device: str
    precision: str  # as resolved from "auto"
    scale_sizes: tuple[int, ...]  # longest side of each scale run, coarsest first


@dataclass(frozen=True)
class _Style:
    image: np.ndarray  # [H, W, 3] float32 0..255
    weight: float  # normalised per pixel over the masks (masks.coverage_weights)
    mask: np.ndarray | None  # content-space [H_c, W_c] 0..1
    style_mask: np.ndarray | None  # style-space [H_s, W_s] 0..1


def resolve_device(device: str | None) -> tuple[str, str | None]:
    """Map ``/gpu:0``, ``/cpu:0`` or None (the GPU if there is one) to a usable TF device and an
    optional one-line warning."""
    if device is None:
        return ("/gpu:0" if tf.config.list_physical_devices("GPU") else "/cpu:0"), None
    if device.lower().startswith("/cpu"):
        return "/cpu:0", None
    if device.lower().startswith("/gpu"):
        if tf.config.list_physical_devices("GPU"):
            return device.lower(), None
        return "/cpu:0", f"no GPU available for device {device!r}; running on the CPU"
    raise NeuralStyleError(f"device must look like /cpu:0 or /gpu:0. Received: device={device!r}")


def _load(source: ImageSource, what: str, longest: int, enlarge: bool = False) -> np.ndarray:
    """Load (path or array) and scale so the longest side is ``longest`` (only down unless ``enlarge``)."""
    if isinstance(source, np.ndarray):
        image = images.as_rgb_array(source, what)
    else:
        image = images.load_image(source, what, longest)
    image = images.fit_longest_side(image, longest, enlarge)
    images.check_min_side(image.shape, what)
    return image


def _load_mask(source: ImageSource, shape: tuple[int, int], what: str) -> np.ndarray:
    if isinstance(source, np.ndarray):  # an API user's array: 0..1, or uint8 0..255
        mask = source.astype(np.float32) / (255.0 if source.dtype == np.uint8 else 1.0)
    else:
        mask = images.load_mask(source, what)
    if mask.ndim != 2:
        raise NeuralStyleError(f"{what}: a mask must be a single-channel [H, W] array. Received shape {mask.shape}")
    mask = resize_mask(np.clip(mask, 0.0, 1.0), *shape)
    images.check_mask_not_empty(mask, what)
    return mask


def _prepare_styles(specs: Sequence[StyleSpec], content_shape: tuple[int, int], config: TransferConfig) -> list[_Style]:
    """Load, size and weigh the styles for the full-size output: weights normalised per pixel over
    the masks (see masks). :func:`_styles_at` shrinks them for a coarser scale."""
    longest = round(config.style_scale * max(content_shape))
    loaded: dict[int | str, np.ndarray] = {}
    style_images, content_masks, style_masks = [], [], []
    for k, spec in enumerate(specs):
        key = id(spec.image) if isinstance(spec.image, np.ndarray) else str(spec.image)
        if key not in loaded:
            loaded[key] = _load(spec.image, f"style_imgs[{k}]", longest, enlarge=True)
        image = loaded[key]
        style_images.append(image)
        content_masks.append(None if spec.mask is None else _load_mask(spec.mask, content_shape, f"style_mask_imgs[{k}]"))
        style_masks.append(
            None if spec.style_mask is None else _load_mask(spec.style_mask, image.shape[:2], f"style_segs[{k}]")
        )
    weights = normalize_weights("style_imgs_weights", tuple(s.weight for s in specs), len(specs))
    weights = coverage_weights(weights, content_masks)
    return [_Style(*fields) for fields in zip(style_images, weights, content_masks, style_masks, strict=True)]


def _styles_at(styles: Sequence[_Style], factor: float, content_shape: tuple[int, int]) -> list[_Style]:
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
        out.append(_Style(image, style.weight, mask, style_mask))
    return out


def initial_image(config: TransferConfig, content: np.ndarray, styles: Sequence[_Style]) -> np.ndarray:
    """The optimisation's start ``[H, W, 3]`` float32 0..255, from ``config.init_img_type``."""
    height, width = content.shape[:2]
    kind = config.init_img_type
    if kind == "content":
        return content.copy()
    if kind == "random":
        rng = np.random.default_rng(config.seed)
        noise = np.array(CAFFE_MEAN_BGR[::-1], np.float32) + rng.uniform(-NOISE_AMPLITUDE, NOISE_AMPLITUDE, content.shape)
        return (config.noise_ratio * noise + (1.0 - config.noise_ratio) * content).astype(np.float32)
    source = styles[0].image if kind == "style" else images.load_image(kind, "init_img_type", max(height, width))
    return images.resize_to(source, height, width)


def _style_grams(targets: TargetPass, styles: Sequence[_Style], layers) -> list[dict[str, tf.Tensor]]:
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


def _style_terms(targets: TargetPass, styles: Sequence[_Style], layers, content_shape) -> list[StyleTerm]:
    """One blended term for all unmasked styles (see ``losses``: same minimiser), one per masked style."""
    blended: dict[str, tf.Tensor] = {}
    blended_weight = 0.0
    terms = []
    content_shapes = {layer: feature_size(layer, *content_shape) for layer in layers}
    for style, grams in zip(styles, _style_grams(targets, styles, layers), strict=True):
        if style.mask is None:
            for layer in layers:
                blended[layer] = blended.get(layer, 0.0) + style.weight * grams[layer]
            blended_weight += style.weight
        else:
            masks = {k: tf.constant(v) for k, v in masks_for_layers(style.mask, content_shapes).items()}
            terms.append(StyleTerm(grams, style.weight, masks))
    if blended_weight > 0:
        terms.insert(0, StyleTerm({k: v / blended_weight for k, v in blended.items()}, blended_weight))
    return terms


def _build_objective(extractor, content: np.ndarray, styles: Sequence[_Style], config: TransferConfig) -> Objective:
    """Targets computed once, outside the gradient path, for one image size."""
    targets = TargetPass(extractor)
    return Objective(
        extractor,
        targets.features(content, config.content_layers),
        config.content_layer_weights,
        _style_terms(targets, styles, config.style_layers, content.shape[:2]),
        dict(zip(config.style_layers, config.style_layer_weights, strict=True)),
        (config.content_weight, config.style_weight, config.tv_weight),
        content.shape[:2],
    )


def _offset(callback: Callback | None, done: int, total: int) -> Callback | None:
    """Report a scale's iterations as part of the whole run."""
    if callback is None:
        return None
    return lambda info: callback(replace(info, iteration=done + info.iteration, max_iterations=total))


def run_transfer(
    content: ImageSource,
    styles: Sequence[StyleSpec | ImageSource],
    config: TransferConfig | None = None,
    callback: Callback | None = None,
) -> TransferResult:
    """Stylise ``content`` with ``styles`` and report how it went. See :func:`stylize`."""
    config = config or TransferConfig()
    specs = [s if isinstance(s, StyleSpec) else StyleSpec(s) for s in styles]
    if not specs:
        raise NeuralStyleError("at least one style image is needed")
    device, warning = resolve_device(config.device)
    if warning:
        warnings.warn(warning, RuntimeWarning, stacklevel=2)
    start = time.perf_counter()
    content_full = _load(content, "content_img", config.max_size)
    full_shape = content_full.shape[:2]
    styles_full = _prepare_styles(specs, full_shape, config)
    schedule = config.schedule(*full_shape)
    precision = resolve_precision(config.precision, device)
    image, done, result = None, 0, None
    with tf.device(device):
        layers = tuple(dict.fromkeys(config.content_layers + config.style_layers))
        extractor = build_feature_extractor(layers, load_vgg19_weights(config.weights), config.pooling_type, precision)
        optimize = OPTIMIZERS[config.optimizer]
        for size, count in schedule:
            content_image = images.fit_longest_side(content_full, size)
            scaled = _styles_at(styles_full, size / max(full_shape), content_image.shape[:2])
            if image is None:
                start_image = initial_image(config, content_image, scaled)
            else:
                start_image = images.resize_to(image, *content_image.shape[:2])
            objective = _build_objective(extractor, content_image, scaled, config)
            result = optimize(objective, start_image, count, config.learning_rate,
                              _offset(callback, done, config.total_iterations()))
            image, done = result.image, done + result.iterations
            if result.stop_reason in ("interrupted", "nonfinite"):
                break
    final = images.resize_to(image, *full_shape)
    return TransferResult(
        images.to_uint8(final), done, result.total, result.parts, result.stop_reason,
        time.perf_counter() - start, device, precision, tuple(size for size, _ in schedule),
    )


def stylize(
    content: ImageSource,
    styles: Sequence[StyleSpec | ImageSource],
    config: TransferConfig | None = None,
    callback: Callback | None = None,
) -> np.ndarray:
    """Repaint ``content`` in the style of ``styles``; returns RGB uint8 ``[H, W, 3]``.

    ``content``: image path or RGB array. ``styles``: StyleSpec objects, or plain paths/arrays (equal
    weights). ``callback`` receives a :class:`~neural_style.optimizers.StepInfo` after every iteration.
    Raises :class:`~neural_style.errors.NeuralStyleError` for bad input.
    """
    return run_transfer(content, styles, config, callback).image
