"""The objective: its terms (:mod:`neural_style.terms`, each with its precomputed targets) composed into
one ``tf.function`` that returns the total loss, its parts, its named terms and the gradient with
respect to the image; and the target pass that computes the targets.

Targets, masks and weights are the arguments of a compiled graph (:class:`LossGraphs`) shared by every
objective of one image shape and term layout, so it is traced once per shape, not once per objective
or per run (``trace_count``).
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from neural_style import losses
from neural_style.optimizers import Evaluation
from neural_style.terms import ContentTerm, StyleTerm, Term, TVTerm

__all__ = ["ContentTerm", "LossGraphs", "Objective", "StyleTerm", "TVTerm", "TargetPass", "Term", "compute_style_grams",
           "extract_features"]


# _own_graph: TensorFlow counts a tf.function's traces by its Python function's code object, so graphs
# made from one lambda or method share a count and, past five traces, warn of retracing although each
# traced once. A functools.partial has no code object: each graph is counted on its own.
# autograph=False: nothing traced here branches or loops on a tensor, so AutoGraph's rewriting of the
# Python (ours and each Keras layer's call) builds the same graph (the same output bytes, checked) and
# only costs time: a 256 px run's first iteration took 5.79 s with it, 3.91 s without
# (bench/results/speed.md, "Tracing without AutoGraph").


class TargetPass:
    """Forward passes of the extractor for the targets: graph mode, no gradient, float32 results.

    Run eagerly, a Keras model holds every intermediate activation until it returns, and the process
    keeps that memory for the rest of the run (1.4 GB at 1024 px, measured); in a ``tf.function`` each
    activation is freed after its last use and only the requested layers, or their Gram matrices,
    come back. One instance serves a whole run, with one graph per request and exact image shape,
    traced once (``trace_count``): a graph generalised to several shapes lets oneDNN round some
    Grams differently, and a style's targets must not depend on what else the run computed (the
    style library's stored Grams equal a file's only so).

    ``memo_bytes`` > 0 (a batch): results are kept, oldest dropped first beyond that many bytes, and a
    request for the same pixels, layers and masks is answered from them (``memo_hits``).
    """

    def __init__(self, extractor: keras.Model, memo_bytes: int = 0) -> None:
        self._extractor = extractor
        self.trace_count = 0
        self.memo_hits = 0
        self._graphs: dict[tuple, Callable] = {}
        self._memo_bytes = memo_bytes
        self._memo: OrderedDict[tuple, tuple[object, int]] = OrderedDict()

    def _remembered(self, key: tuple, arrays: Sequence[np.ndarray | None], compute: Callable[[], object]) -> object:
        """``compute()``, or its earlier result for the same ``key`` and array contents."""
        if self._memo_bytes <= 0:
            return compute()
        digest = hashlib.blake2b(digest_size=16)
        for array in arrays:
            digest.update(b"-" if array is None else repr((array.shape, array.dtype.str)).encode() + np.ascontiguousarray(array).tobytes())
        key = (*key, digest.digest())
        if key in self._memo:
            self._memo.move_to_end(key)
            self.memo_hits += 1
            return self._memo[key][0]
        value = compute()
        tensors = value.values() if isinstance(value, dict) else [t for d in value for t in d.values()]
        size = sum(int(np.prod(t.shape)) * 4 for t in tensors)
        self._memo[key] = (value, size)
        while sum(entry[1] for entry in self._memo.values()) > self._memo_bytes and len(self._memo) > 1:
            self._memo.popitem(last=False)
        return value

    def _graph(self, body: Callable, key: tuple) -> Callable:
        if key not in self._graphs:
            self._graphs[key] = tf.function(functools.partial(body), autograph=False)  # one trace each: see _own_graph
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
        graph = self._graph(self._features_graph, ("features", image.shape, layers))
        return self._remembered(("features", layers), [image], lambda: graph(tf.constant(image, tf.float32), layers))

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
        graph = self._graph(self._grams_graph, key)
        arrays = [image] + [None if masks is None else np.asarray(masks[layer]) for masks in regions for layer in layers]
        return self._remembered(("grams", layers), arrays, lambda: graph(tf.constant(image, tf.float32), layers, tensors))


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


class LossGraphs:
    """Compiled loss-and-gradient graphs of one extractor, shared by every objective built on it.

    Targets, masks and all weights are the graph's arguments (each term's, :mod:`neural_style.terms`),
    not constants captured in it, so one graph per image shape and term layout serves every run at
    that size: later scales of equal shape, and a batch's jobs with other styles, photos or weights,
    trace nothing again (``traces[key]`` counts each layout's traces; it stays 1).
    """

    def __init__(self, extractor: keras.Model) -> None:
        self.extractor = extractor
        self.traces: dict[tuple, int] = {}
        self._graphs: dict[tuple, Callable] = {}

    def get(self, key: tuple) -> Callable:
        """The graph for ``key = (image shape, ((term class, layout), ...), ((part, divisor), ...))``."""
        if key not in self._graphs:
            self.traces[key] = 0
            self._graphs[key] = tf.function(functools.partial(self._compute, key), autograph=False)  # see _own_graph
        return self._graphs[key]

    def _compute(self, key: tuple, image, scale, weights, arguments):
        self.traces[key] += 1  # runs only while tracing
        with tf.GradientTape() as tape:
            tape.watch(image)
            parts, terms = self._parts(key, image, scale, weights, arguments)
            total = tf.add_n(list(parts.values()))
        return total, parts, terms, tape.gradient(total, image)

    def _parts(self, key, image, scale, weights, arguments) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
        """Each part ``weight * sum(its terms' contributions) / divisor``, and each named contribution
        the same way (``style/relu3_1``: every style group's at that layer), for the record."""
        _, layouts, parts = key
        features = self.extractor(image[None], training=False)
        by_part: dict[str, list[tf.Tensor]] = {part: [] for part, _ in parts}
        by_name: dict[str, tuple[str, list[tf.Tensor]]] = {}
        for (term, layout), term_arguments in zip(layouts, arguments, strict=True):
            for name, value in term.contributions(layout, features, image, term_arguments, scale).items():
                by_part[term.part].append(value)
                by_name.setdefault(name, (term.part, []))[1].append(value)
        index = {part: (k, divisor) for k, (part, divisor) in enumerate(parts)}

        def weighted(part: str, values: list[tf.Tensor]) -> tf.Tensor:
            k, divisor = index[part]
            summed = tf.add_n(values)
            return weights[k] * (summed if divisor == 1 else summed / divisor)
        return ({part: weighted(part, values) for part, values in by_part.items()},
                {name: weighted(part, values) for name, (part, values) in by_name.items()})


class Objective:
    """``sum_p w_p * part_p`` for one image size, the parts made of ``terms`` (content, style, tv by
    default: formulas in ``losses``) and weighted by ``weights`` ``{part: w_p}``; evaluated by a
    graph of ``graphs`` (a private one if None). ``scale``: the size factor ``s`` of content and total
    variation; None for the image's own, ``losses.size_factor(max(image_shape))`` (a tile passes its
    whole image's: ``scales.tile_scale``)."""

    def __init__(
        self,
        extractor: keras.Model,
        terms: Sequence[Term],
        weights: Mapping[str, float],
        image_shape: tuple[int, int],
        graphs: LossGraphs | None = None,
        scale: float | None = None,
    ) -> None:
        self._graphs = graphs if graphs is not None and graphs.extractor is extractor else LossGraphs(extractor)
        parts = tuple(dict.fromkeys(term.part for term in terms))
        divisors = {}
        for term in terms:
            if divisors.setdefault(term.part, term.divisor()) != term.divisor():
                raise ValueError(f"the {term.part} terms disagree on their divisor: {divisors[term.part]}, {term.divisor()}")
        self._key = ((int(image_shape[0]), int(image_shape[1])), tuple((type(t), t.layout()) for t in terms),
                     tuple((part, divisors[part]) for part in parts))
        self._arguments = (
            tf.constant(np.float32(losses.size_factor(max(image_shape)) if scale is None else scale)),
            tf.constant(np.asarray([weights[part] for part in parts], np.float32)),
            tuple(term.arguments() for term in terms),
        )
        self._value_and_grad = self._graphs.get(self._key)

    @property
    def trace_count(self) -> int:
        """How often the graph this objective uses was traced (1 once it has run)."""
        return self._graphs.traces[self._key]

    def __call__(self, image: np.ndarray) -> Evaluation:
        """Loss parts, named terms and gradient at ``image`` ``[H, W, 3]`` float32 in 0..255."""
        total, parts, terms, gradient = self._value_and_grad(tf.constant(image, tf.float32), *self._arguments)
        return Evaluation(float(total), {k: float(v) for k, v in parts.items()}, gradient.numpy(),
                          {k: float(v) for k, v in terms.items()})
