"""The objective: precomputed targets, composed into one ``tf.function`` that returns the total loss,
its named parts and the gradient with respect to the image.

Targets, masks and weights are captured as constants when the objective is built; the image is the
only argument, with a fixed shape, so the function is traced once per objective (``trace_count``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from neural_style import losses
from neural_style.optimizers import Evaluation


@dataclass(frozen=True)
class StyleTerm:
    """One Gram-matching term.

    ``targets``: ``{layer: [N, N]}`` target Gram matrices. ``weight``: its share of the style loss.
    ``masks``: ``{layer: [H_l, W_l]}`` region of the output (values 0..1) at each layer's resolution,
    or None for the whole image.
    """

    targets: Mapping[str, tf.Tensor]
    weight: float
    masks: Mapping[str, tf.Tensor] | None = None


class TargetPass:
    """Forward passes of the extractor for the targets: graph mode, no gradient, float32 results.

    Run eagerly, a Keras model holds every intermediate activation until it returns, and the process
    keeps that memory for the rest of the run (1.4 GB at 1024 px, measured); in a ``tf.function`` each
    activation is freed after its last use and only the requested layers, or their Gram matrices,
    come back. One instance serves a whole run, with one graph per request and exact image shape,
    traced once (``trace_count``): a graph generalised to several shapes lets oneDNN round some
    Grams differently, and a style's targets must not depend on what else the run computed (the
    style library's stored Grams equal a file's only so).
    """

    def __init__(self, extractor: keras.Model) -> None:
        self._extractor = extractor
        self.trace_count = 0
        self._graphs: dict[tuple, Callable] = {}

    def _graph(self, body: Callable, key: tuple) -> Callable:
        if key not in self._graphs:
            # A fresh Python callable per graph: TensorFlow counts traces per callable, and one trace
            # each of several callables is not the retracing it warns of.
            self._graphs[key] = tf.function(lambda *args: body(*args))
        return self._graphs[key]

    def _forward(self, image: tf.Tensor, layers: tuple[str, ...]) -> dict[str, tf.Tensor]:
        outputs = self._extractor(image[None], training=False)
        return {layer: tf.cast(outputs[layer][0], tf.float32) for layer in layers}

    def _features_graph(self, image: tf.Tensor, layers: tuple[str, ...]) -> dict[str, tf.Tensor]:
        self.trace_count += 1  # runs only while tracing
        return self._forward(image, layers)

    def _grams_graph(
        self, image: tf.Tensor, layers: tuple[str, ...], regions: tuple[dict[str, tf.Tensor] | None, ...]
    ) -> list[dict[str, tf.Tensor]]:
        self.trace_count += 1  # runs only while tracing
        features = self._forward(image, layers)
        return [compute_style_grams(features, layers, masks) for masks in regions]

    def features(self, image: np.ndarray, layers: Sequence[str]) -> dict[str, tf.Tensor]:
        """``{layer: [H_l, W_l, C_l]}`` float32 for one RGB image ``[H, W, 3]`` (0..255)."""
        layers = tuple(layers)
        return self._graph(self._features_graph, ("features", image.shape, layers))(tf.constant(image, tf.float32), layers)

    def grams(
        self, image: np.ndarray, layers: Sequence[str], regions: Sequence[Mapping[str, np.ndarray] | None]
    ) -> list[dict[str, tf.Tensor]]:
        """``{layer: [N, N]}`` Gram matrices of one RGB image ``[H, W, 3]`` (0..255), one dict per region,
        from one forward pass. A region is None (the whole image) or a mask at each layer's resolution
        (``{layer: [H_l, W_l]}`` 0..1)."""
        tensors = tuple(
            None if masks is None else {layer: tf.constant(masks[layer], tf.float32) for layer in layers}
            for masks in regions
        )
        layers = tuple(layers)
        key = ("grams", image.shape, layers, tuple(masks is None for masks in regions))
        return self._graph(self._grams_graph, key)(tf.constant(image, tf.float32), layers, tensors)


def extract_features(extractor: keras.Model, image: np.ndarray) -> dict[str, tf.Tensor]:
    """Every output of the extractor for one RGB image ``[H, W, 3]`` (0..255), float32
    ``{layer: [H_l, W_l, C_l]}``: a one-off :class:`TargetPass`."""
    return TargetPass(extractor).features(image, tuple(extractor.output))


def compute_style_grams(
    features: Mapping[str, tf.Tensor], layers: Sequence[str], masks: Mapping[str, tf.Tensor] | None = None
) -> dict[str, tf.Tensor]:
    """Target Gram matrices ``{layer: [N, N]}`` of a style image's features, optionally inside a region
    (``{layer: [H_l, W_l]}``). Made exactly symmetric, ``(G + G^T) / 2``: the matrix product may round
    ``G_ij`` and ``G_ji`` differently, and the style library stores only the upper triangle."""
    grams = {layer: losses.gram_matrix(features[layer], None if masks is None else masks[layer]) for layer in layers}
    return {layer: (gram + tf.transpose(gram)) * 0.5 for layer, gram in grams.items()}


class Objective:
    """``alpha * content + beta * style + theta * tv`` for one image size (formulas in ``losses``)."""

    def __init__(
        self,
        extractor: keras.Model,
        content_targets: Mapping[str, tf.Tensor],
        content_layer_weights: Sequence[float],
        style_terms: Sequence[StyleTerm],
        style_layer_weights: Mapping[str, float],
        loss_weights: tuple[float, float, float],
        image_shape: tuple[int, int],
    ) -> None:
        self._extractor = extractor
        self._content = [(layer, target, w) for (layer, target), w in zip(content_targets.items(), content_layer_weights, strict=True)]
        self._style_terms = list(style_terms)
        self._style_layer_weights = dict(style_layer_weights)
        self._alpha, self._beta, self._theta = loss_weights
        self._scale = losses.size_factor(max(image_shape))
        self.trace_count = 0
        spec = tf.TensorSpec((image_shape[0], image_shape[1], 3), tf.float32)
        self._value_and_grad = tf.function(self._compute, input_signature=[spec])

    def _parts(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        features = self._extractor(image[None], training=False)
        content = tf.add_n([
            w * losses.content_layer_loss(features[layer][0], target, self._scale) for layer, target, w in self._content
        ]) / len(self._content)
        style = tf.add_n([self._style_term_loss(features, term) for term in self._style_terms])
        style = style / len(self._style_layer_weights)
        tv = losses.total_variation_loss(image, self._scale)
        return {"content": self._alpha * content, "style": self._beta * style, "tv": self._theta * tv}

    def _style_term_loss(self, features: Mapping[str, tf.Tensor], term: StyleTerm) -> tf.Tensor:
        per_layer = []
        for layer, weight in self._style_layer_weights.items():
            mask = None if term.masks is None else term.masks[layer]
            gram = losses.gram_matrix(features[layer][0], mask)
            per_layer.append(weight * losses.style_layer_loss(gram, term.targets[layer]))
        return term.weight * tf.add_n(per_layer)

    def _compute(self, image: tf.Tensor) -> tuple[tf.Tensor, dict[str, tf.Tensor], tf.Tensor]:
        self.trace_count += 1  # runs only while tracing
        with tf.GradientTape() as tape:
            tape.watch(image)
            parts = self._parts(image)
            total = tf.add_n(list(parts.values()))
        return total, parts, tape.gradient(total, image)

    def __call__(self, image: np.ndarray) -> Evaluation:
        """Loss parts and gradient at ``image`` ``[H, W, 3]`` float32 in 0..255."""
        total, parts, gradient = self._value_and_grad(tf.constant(image, tf.float32))
        return Evaluation(float(total), {k: float(v) for k, v in parts.items()}, gradient.numpy())
