"""The objective's terms: each one holds its targets and weights (handed to the compiled graph as
arguments, so one trace per image shape serves every run) and says, inside the graph, what it adds to
its part of the loss, layer by layer, under a name for the record (``style/relu3_1``).

A term's ``contributions`` are weighted within the term (layer weights, a style group's share and
gains); the objective multiplies each part by its weight (alpha, beta, theta) and divides it by the
term's ``divisor`` (its number of layers: losses, "Layer weights"). Adding a term (a histogram term, say)
is one new class here and one line where the terms are listed (:func:`neural_style.scales.build_objective`),
as the video's :class:`TemporalTerm` was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import tensorflow as tf

from neural_style import losses
from neural_style.layers import paper_name


class Term:
    """One term: ``part`` names the loss part it adds to; ``layout()`` is what shapes its graph (hashable:
    layers, which inputs are present); ``arguments()`` its tensors; ``contributions(...)`` runs inside
    the graph."""

    part: ClassVar[str]

    def layout(self) -> tuple:
        return ()

    def arguments(self) -> tuple:
        return ()

    def divisor(self) -> int:
        return 1

    @staticmethod
    def contributions(layout: tuple, features: Mapping[str, tf.Tensor], image: tf.Tensor, arguments: tuple,
                      scale: tf.Tensor) -> dict[str, tf.Tensor]:
        """``{name: loss}`` at ``image`` ``[H, W, 3]`` (0..255) with the extractor's ``features``
        ``{layer: [1, H_l, W_l, C_l]}``; ``scale``: the size factor ``s`` (losses)."""
        raise NotImplementedError


def _constant(values) -> tf.Tensor:
    return tf.constant(np.asarray(values, np.float32))


@dataclass(frozen=True)
class ContentTerm(Term):
    """Feature matching at the content layers: ``targets`` ``{layer: [H_l, W_l, C_l]}`` (the photo's),
    ``layer_weights`` one per layer, in that order (losses.content_layer_loss)."""

    part: ClassVar[str] = "content"
    targets: Mapping[str, tf.Tensor]
    layer_weights: Sequence[float]

    def layout(self) -> tuple:
        return tuple(self.targets)

    def arguments(self) -> tuple:
        return (tuple(tf.convert_to_tensor(t, tf.float32) for t in self.targets.values()),
                _constant(list(self.layer_weights)))

    def divisor(self) -> int:
        return len(self.targets)

    @staticmethod
    def contributions(layout, features, image, arguments, scale):
        targets, weights = arguments
        return {f"content/{paper_name(layer)}": weights[i] * losses.content_layer_loss(features[layer][0], targets[i], scale)
                for i, layer in enumerate(layout)}


@dataclass(frozen=True)
class StyleTerm(Term):
    """One Gram-matching term: a group of styles with equal content masks (styles.style_terms).

    ``targets``: ``{layer: [N, N]}`` target Gram matrices. ``weight``: its share of the style loss.
    ``masks``: ``{layer: [H_l, W_l]}`` region of the output (values 0..1) at each layer's resolution,
    or None for the whole image. ``gains``: ``{layer: g_l}``, the weight's factor per layer (a
    recoloured style's, :func:`styles.recolour_gains`; the relative loss's,
    :func:`losses.relative_style_factor`), or None for 1. ``layer_weights``: ``{layer: w_l}``, in the
    order of the style layers (None: set by :func:`scales.build_objective` from the configuration).
    """

    part: ClassVar[str] = "style"
    targets: Mapping[str, tf.Tensor]
    weight: float
    masks: Mapping[str, tf.Tensor] | None = None
    gains: Mapping[str, float] | None = None
    layer_weights: Mapping[str, float] | None = field(default=None)

    def _layers(self) -> tuple[str, ...]:
        return tuple(self.targets if self.layer_weights is None else self.layer_weights)

    def layout(self) -> tuple:
        return self._layers(), self.masks is not None

    def arguments(self) -> tuple:
        layers = self._layers()
        weights = self.layer_weights or dict.fromkeys(layers, 1.0)
        return (tuple(tf.convert_to_tensor(self.targets[layer], tf.float32) for layer in layers),
                None if self.masks is None else tuple(tf.convert_to_tensor(self.masks[layer], tf.float32)
                                                      for layer in layers),
                _constant([self.weight * (1.0 if self.gains is None else self.gains[layer]) for layer in layers]),
                _constant([weights[layer] for layer in layers]))

    def divisor(self) -> int:
        return len(self._layers())

    @staticmethod
    def contributions(layout, features, image, arguments, scale):
        layers, _ = layout
        targets, masks, term_weights, layer_weights = arguments
        return {f"style/{paper_name(layer)}": term_weights[i] * layer_weights[i] * losses.style_layer_loss(
                    losses.gram_matrix(features[layer][0], None if masks is None else masks[i]), targets[i])
                for i, layer in enumerate(layers)}


@dataclass(frozen=True)
class TVTerm(Term):
    """Total variation of the image (losses.total_variation_loss)."""

    part: ClassVar[str] = "tv"

    @staticmethod
    def contributions(layout, features, image, arguments, scale):
        return {"tv": losses.total_variation_loss(image, scale)}


@dataclass(frozen=True)
class TemporalTerm(Term):
    """A video frame's tie to the frame before (losses.temporal_loss): ``target`` ``[H, W, 3]`` (0..255),
    the previous stylised frame warped onto this one; ``weights`` ``[H, W]`` (0..1), where the warp
    can be trusted (:func:`neural_style.flow.consistency`). Unlike the other parts' weights (the
    configuration's), ``gamma`` comes with the term: only a video frame has one."""

    part: ClassVar[str] = "temporal"
    target: np.ndarray
    weights: np.ndarray
    gamma: float
    """The temporal part's weight (``video.VideoConfig.temporal_weight``), which the objective is given."""

    def arguments(self) -> tuple:
        return _constant(self.target), _constant(self.weights)

    @staticmethod
    def contributions(layout, features, image, arguments, scale):
        target, weights = arguments
        return {"temporal": losses.temporal_loss(image, target, weights)}
