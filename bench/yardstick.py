"""One quality yardstick for a style-transfer result, computed the same way whatever tool made it.

Two numbers, both relative distances (0 = identical, lower = closer), measured with this package's
own VGG-19 feature extractor (shipped ImageNet weights, average pooling) on RGB 0..255 images:

- ``gram``: style distance, the mean over relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 of
  ``||G(out) - G(style)||_F / ||G(style)||_F`` with ``G = F^T F / M`` (M = spatial positions,
  :func:`neural_style.losses.gram_matrix`);
- ``content``: ``||relu4_2(out) - relu4_2(content)||_F / ||relu4_2(content)||_F``.

Before measuring, the content image is resized so its longest side is ``size`` (aspect kept) and the
output is resized to exactly that shape; the style image is resized so its longest side is ``size``
(aspect kept). All resizes use ``cv2.INTER_AREA`` (whether shrinking or enlarging), so an output is
never judged at its own size but always at the content's shape at ``size``.

The tests measure with the same two functions (:func:`gram_distance`, :func:`content_distance`,
which take images at their own sizes and, for a region, its masks), so a figure in a test and a figure
in a bench table mean the same thing.

Library use (build the network once, measure many images), from the repository root::

    from bench.yardstick import Yardstick
    stick = Yardstick()
    print(stick.measure(output_rgb, content_rgb, style_rgb, size=512))
    # or: yardstick(output_rgb, content_rgb, style_rgb, 512, stick=stick)

Command line (prints JSON)::

    python -m bench.yardstick OUTPUT CONTENT STYLE [--size 512]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"
DEFAULT_SIZE = 512


def _shape_at(height: int, width: int, longest: int) -> tuple[int, int]:
    """(height, width) with the aspect kept and the longest side ``longest``."""
    factor = longest / max(height, width)
    return max(1, round(height * factor)), max(1, round(width * factor))


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize an RGB float image to ``height x width`` with INTER_AREA (no-op if already that shape)."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB array [H, W, 3]; got shape {image.shape}")
    if image.shape[:2] == (height, width):
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)


def _features(model: Any, rgb: np.ndarray) -> dict[str, Any]:
    """``{internal layer name: [H_l, W_l, C_l]}`` for one RGB image ``[H, W, 3]`` in 0..255."""
    import tensorflow as tf

    outputs = model(tf.constant(np.asarray(rgb, np.float32)[None]), training=False)
    return {name: tf.cast(value[0], tf.float32) for name, value in outputs.items()}


def gram_distances(model: Any, image: np.ndarray, style: np.ndarray, mask: np.ndarray | None = None,
                   style_mask: np.ndarray | None = None, layers: Sequence[str] = STYLE_LAYERS) -> dict[str, float]:
    """``{layer: ||G(image) - G(style)||_F / ||G(style)||_F}`` over ``layers`` (the model must tap
    them), each image at its own size; with ``mask`` / ``style_mask`` (``[H, W]`` in 0..1, at the
    image's size) the Grams of those regions."""
    import tensorflow as tf

    from neural_style.layers import canonical_layer_name
    from neural_style.losses import gram_matrix
    from neural_style.masks import resize_mask

    fi, fs = _features(model, image), _features(model, style)
    result = {}
    for name in layers:
        key = canonical_layer_name(name)
        mi = None if mask is None else resize_mask(mask, *fi[key].shape[:2])
        ms = None if style_mask is None else resize_mask(style_mask, *fs[key].shape[:2])
        target = gram_matrix(fs[key], ms)
        result[name] = float(tf.norm(gram_matrix(fi[key], mi) - target) / tf.norm(target))
    return result


def gram_distance(model: Any, image: np.ndarray, style: np.ndarray, mask: np.ndarray | None = None,
                  style_mask: np.ndarray | None = None, layers: Sequence[str] = STYLE_LAYERS) -> float:
    """The style distance: the mean of :func:`gram_distances` (by default over relu1_1 ... relu5_1)."""
    return float(np.mean(list(gram_distances(model, image, style, mask, style_mask, layers).values())))


def content_distance(model: Any, image: np.ndarray, content: np.ndarray, mask: np.ndarray | None = None) -> float:
    """The content distance ``||relu4_2(image) - relu4_2(content)||_F / ||relu4_2(content)||_F``
    (both images the same size); with ``mask`` (``[H, W]`` in 0..1) both features weighted by it."""
    from neural_style.layers import canonical_layer_name
    from neural_style.masks import resize_mask

    key = canonical_layer_name(CONTENT_LAYER)
    a, b = _features(model, image)[key].numpy(), _features(model, content)[key].numpy()
    m = 1.0 if mask is None else resize_mask(mask, *a.shape[:2])[:, :, None]
    return float(np.linalg.norm(m * (a - b)) / np.linalg.norm(m * b))


def chroma_error(image: np.ndarray, content: np.ndarray, space: str) -> float:
    """Mean absolute chroma difference (the two chroma channels of ``space``, 0..255 scale) between an
    image, rounded as its uint8 file would be, and the content photo (both ``[H, W, 3]``, 0..255)."""
    from neural_style import colour

    ours = colour.to_space(np.rint(image), space)[..., 1:]
    return float(np.abs(ours - colour.to_space(content, space)[..., 1:]).mean())


def sliced_wasserstein_ab(a: np.ndarray, b: np.ndarray, directions: int = 64) -> float:
    """Sliced Wasserstein-1 distance between the a*b* colours (CIELAB) of two images: the mean over
    random directions of the distance between the sorted projections, at equal sample sizes."""
    from neural_style import colour

    rng = np.random.default_rng(0)
    pa = colour.to_space(a, "lab")[..., 1:].reshape(-1, 2)
    pb = colour.to_space(b, "lab")[..., 1:].reshape(-1, 2)
    n = min(len(pa), len(pb))
    pa, pb = pa[rng.choice(len(pa), n, replace=False)], pb[rng.choice(len(pb), n, replace=False)]
    angles = rng.uniform(0, np.pi, directions)
    axes = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return float(np.mean(np.abs(np.sort(pa @ axes.T, axis=0) - np.sort(pb @ axes.T, axis=0))))


def build_model(weights: Any = "default", pooling: str = "avg") -> Any:
    """The measuring network: VGG-19 (float32) tapping relu1_1 ... relu5_1 and relu4_2. ``weights`` is a
    source for :func:`neural_style.weights.load_vgg19_weights` or weights already loaded."""
    from neural_style.features import build_feature_extractor
    from neural_style.weights import load_vgg19_weights

    if isinstance(weights, (str, Path)):
        weights = load_vgg19_weights(str(weights))
    return build_feature_extractor(list(STYLE_LAYERS) + [CONTENT_LAYER], weights, pooling)


class Yardstick:
    """Holds the measuring network (built once) and measures images with it."""

    def __init__(self, weights: Any = "default", pooling: str = "avg") -> None:
        self.pooling = pooling
        self.model = build_model(weights, pooling)

    def measure(self, output_rgb: np.ndarray, content_rgb: np.ndarray, style_rgb: np.ndarray,
                size: int = DEFAULT_SIZE) -> dict[str, Any]:
        """The two distances (see the module docstring) plus per-layer detail and the shapes used."""
        if size < 32:
            raise ValueError(f"size must be at least 32 px (VGG-19 pools five times); got {size}")
        content_rgb = np.asarray(content_rgb, np.float32)
        style_rgb = np.asarray(style_rgb, np.float32)
        height, width = _shape_at(*content_rgb.shape[:2], size)
        content = _resize(content_rgb, height, width)
        output = _resize(output_rgb, height, width)
        style = _resize(style_rgb, *_shape_at(*style_rgb.shape[:2], size))
        per_layer = gram_distances(self.model, output, style)
        return {
            "gram": float(np.mean(list(per_layer.values()))),
            "content": content_distance(self.model, output, content),
            "gram_per_layer": per_layer,
            "size": size,
            "measured_shape": [height, width],
            "style_shape": list(style.shape[:2]),
            "pooling": self.pooling,
        }


def yardstick(output_rgb: np.ndarray, content_rgb: np.ndarray, style_rgb: np.ndarray, size: int = DEFAULT_SIZE,
              *, stick: Yardstick | None = None) -> dict[str, Any]:
    """Measure ``output_rgb`` against ``content_rgb`` and ``style_rgb`` (RGB float 0..255 arrays).

    Returns ``{"gram": ..., "content": ..., ...}`` (see the module docstring). Pass ``stick`` (a
    :class:`Yardstick`) to reuse one network over many calls; without it one is built for this call.
    """
    return (stick or Yardstick()).measure(output_rgb, content_rgb, style_rgb, size)


def measure_files(output: str | Path, content: str | Path, style: str | Path, size: int = DEFAULT_SIZE,
                  *, stick: Yardstick | None = None) -> dict[str, Any]:
    """:func:`yardstick` on image files, read with :func:`neural_style.images.load_image`."""
    from neural_style.images import load_image

    result = yardstick(load_image(output), load_image(content), load_image(style), size, stick=stick)
    result["files"] = {"output": str(output), "content": str(content), "style": str(style)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Style (Gram) and content distances of a style-transfer output.")
    parser.add_argument("output", type=Path, help="the stylised image")
    parser.add_argument("content", type=Path, help="the content photo it was made from")
    parser.add_argument("style", type=Path, help="the style image")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="longest side images are measured at (px)")
    parser.add_argument("--pooling", choices=("avg", "max"), default="avg",
                        help="VGG-19 pooling of the measuring network (default avg)")
    args = parser.parse_args(argv)
    result = measure_files(args.output, args.content, args.style, args.size, stick=Yardstick(pooling=args.pooling))
    if not (math.isfinite(result["gram"]) and math.isfinite(result["content"])):
        print(json.dumps(result), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
