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

Library use (build the network once, measure many images)::

    from yardstick import Yardstick          # with bench/ on sys.path
    stick = Yardstick()
    print(stick.measure(output_rgb, content_rgb, style_rgb, size=512))
    # or: yardstick(output_rgb, content_rgb, style_rgb, 512, stick=stick)

Command line (prints JSON)::

    python bench/yardstick.py OUTPUT CONTENT STYLE [--size 512]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import json
import math
import sys
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


class Yardstick:
    """Holds the VGG-19 feature extractor (built once) and measures images with it."""

    def __init__(self, weights: str = "default", pooling: str = "avg") -> None:
        from neural_style.features import build_feature_extractor
        from neural_style.layers import canonical_layer_name
        from neural_style.weights import load_vgg19_weights

        self.pooling = pooling
        self.style_keys = tuple(canonical_layer_name(name) for name in STYLE_LAYERS)
        self.content_key = canonical_layer_name(CONTENT_LAYER)
        self.model = build_feature_extractor(list(STYLE_LAYERS) + [CONTENT_LAYER], load_vgg19_weights(weights), pooling)

    def features(self, rgb: np.ndarray) -> dict[str, Any]:
        """``{internal layer name: [H_l, W_l, C_l]}`` for one RGB image ``[H, W, 3]`` in 0..255."""
        import tensorflow as tf

        outputs = self.model(tf.constant(np.asarray(rgb, np.float32)[None]), training=False)
        return {name: value[0] for name, value in outputs.items()}

    def measure(self, output_rgb: np.ndarray, content_rgb: np.ndarray, style_rgb: np.ndarray,
                size: int = DEFAULT_SIZE) -> dict[str, Any]:
        """The two distances (see the module docstring) plus per-layer detail and the shapes used."""
        import tensorflow as tf

        from neural_style.losses import gram_matrix

        if size < 32:
            raise ValueError(f"size must be at least 32 px (VGG-19 pools five times); got {size}")
        content_rgb = np.asarray(content_rgb, np.float32)
        style_rgb = np.asarray(style_rgb, np.float32)
        height, width = _shape_at(*content_rgb.shape[:2], size)
        content = _resize(content_rgb, height, width)
        output = _resize(output_rgb, height, width)
        style = _resize(style_rgb, *_shape_at(*style_rgb.shape[:2], size))

        out_f, content_f, style_f = self.features(output), self.features(content), self.features(style)
        per_layer = {}
        for name, key in zip(STYLE_LAYERS, self.style_keys):
            target = gram_matrix(style_f[key])
            per_layer[name] = float(tf.norm(gram_matrix(out_f[key]) - target) / tf.norm(target))
        key = self.content_key
        content_distance = float(tf.norm(out_f[key] - content_f[key]) / tf.norm(content_f[key]))
        return {
            "gram": float(np.mean(list(per_layer.values()))),
            "content": content_distance,
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
