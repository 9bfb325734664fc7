"""One scale of a run: its objective built on networks an :class:`Engine` keeps, optimised whole
(:func:`run_scale`) or, when the whole image would not fit in memory, tile by tile
(:func:`run_tiled_scale`, geometry and blending in :mod:`neural_style.tiling`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import keras
import numpy as np

from neural_style import losses, tiling
from neural_style.cancel import CancelToken
from neural_style.config import TransferConfig, segmentation_content_factor
from neural_style.features import build_feature_extractor, resolve_precision
from neural_style.layers import feature_size
from neural_style.masks import masks_for_layers
from neural_style.objective import LossGraphs, Objective, TargetPass
from neural_style.optimizers import OPTIMIZERS, Callback, OptimizationResult
from neural_style.styles import (
    PreparedStyle,
    effective_regions,
    recolour_gains,
    style_grams,
    style_terms,
)
from neural_style.terms import ContentTerm, TemporalTerm, TVTerm
from neural_style.weights import load_vgg19_weights

ObjectiveFactory = Callable[[keras.Model, TargetPass, LossGraphs], Objective]
"""``(extractor, target pass, loss graphs) -> Objective``: one scale's objective on given networks."""


class Engine:
    """The networks of one process, built on first use and kept: for each weights file, pooling, layer
    set and precision, the VGG-19 extractor with its target pass and compiled loss graphs. One run
    makes its own; a batch shares one, so its jobs build nothing again, jobs of an equal size trace
    nothing again, and, with ``memo_bytes`` > 0, a style's targets at a size are computed once
    (:class:`~neural_style.objective.TargetPass`)."""

    def __init__(self, memo_bytes: int = 0) -> None:
        self.memo_bytes = memo_bytes
        self._weights: dict[str, dict] = {}
        self._built: dict[tuple, tuple[keras.Model, TargetPass, LossGraphs]] = {}

    def networks(self, config: TransferConfig, precision: str) -> tuple[keras.Model, TargetPass, LossGraphs]:
        """``(extractor, target pass, loss graphs)`` for ``config``'s layers in ``precision``."""
        layers = tuple(dict.fromkeys(config.content_layers + config.style_layers))
        key = (config.weights, config.pooling_type, layers, precision)
        if key not in self._built:
            if config.weights not in self._weights:
                self._weights[config.weights] = load_vgg19_weights(config.weights)
            extractor = build_feature_extractor(layers, self._weights[config.weights], config.pooling_type, precision)
            self._built[key] = (extractor, TargetPass(extractor, self.memo_bytes), LossGraphs(extractor))
        return self._built[key]


class Networks:
    """One run's view of the engine: its configuration in its precision, and float32 if bfloat16 stalls."""

    def __init__(self, engine: Engine, config: TransferConfig, precision: str) -> None:
        self.engine, self.config, self.precision = engine, config, precision

    def get(self, precision: str) -> tuple[keras.Model, TargetPass, LossGraphs]:
        return self.engine.networks(self.config, precision)

    def style_pass(self) -> TargetPass:
        """The target pass of style Grams: float32 whatever the run's precision, so a style's targets
        are the same numbers in every run and equal the style library's (computed in float32), and a
        stored style is exactly its file. One forward pass per style image and scale, no slower than
        bfloat16's on a CPU with native bfloat16 (bench/results/segmentation-balance.md); a bfloat16
        run builds the float32 network once more."""
        return self.engine.networks(self.config, "float32")[1]


def build_objective(extractor, targets: TargetPass, content: np.ndarray, styles: Sequence[PreparedStyle],
                    config: TransferConfig, graphs: LossGraphs | None = None,
                    grams: Sequence[dict[str, np.ndarray]] | None = None, scale: float | None = None,
                    gains: Sequence[dict[str, float]] | None = None,
                    style_targets: TargetPass | None = None, regions: float | None = None,
                    temporal: TemporalTerm | None = None) -> Objective:
    """Targets computed once, outside the gradient path, for one image size: the content's by ``targets``
    (the run's precision, so the photo itself has zero content loss), the styles' by ``style_targets``
    (:meth:`Networks.style_pass`; ``targets`` if None). A segmented run's content weight is
    :func:`config.segmentation_content_factor` times the content weight (losses: "Segmentations").
    ``grams``, ``scale``, ``gains``: a tile's whole-image style Grams, size factor and recoloured styles'
    gains (:func:`run_tiled_scale`). With ``style_normalization`` relative each term's layers are
    weighted by :func:`losses.relative_style_factor` of their targets. ``regions``: the whole image's
    :func:`styles.effective_regions` (a tile's cropped masks would change it; None: from ``styles``).
    ``temporal``: a video frame's temporal term, weighted by its ``gamma``."""
    regions = effective_regions(styles) if regions is None else regions
    factor = segmentation_content_factor(regions, config.segmentation_content_factor)
    content_weight = config.content_weight * factor
    content_targets = targets.features(content, config.content_layers)
    if config.style_normalization == "relative":  # a recoloured style needs no gain (losses: "Relative")
        gains = [dict.fromkeys(config.style_layers, 1.0) for _ in styles]
    style_pass = targets if style_targets is None else style_targets
    terms = style_terms(style_pass, styles, config.style_layers, content.shape[:2], grams, gains)
    if config.style_normalization == "relative":
        terms = [replace(t, gains={layer: (1.0 if t.gains is None else t.gains[layer])
                                   * losses.relative_style_factor(t.targets[layer])
                                   for layer in config.style_layers}) for t in terms]
    layer_weights = dict(zip(config.style_layers, config.style_layer_weights, strict=True))
    terms = [
        ContentTerm(content_targets, config.content_layer_weights),
        *(replace(term, layer_weights=layer_weights) for term in terms),  # one per style group
        TVTerm(),
        *([temporal] if temporal is not None else []),
    ]
    weights = {"content": content_weight, "style": config.style_weight, "tv": config.tv_weight}
    if temporal is not None:
        weights["temporal"] = temporal.gamma
    return Objective(extractor, terms, weights, content.shape[:2], graphs, scale)


EVALUATION_ALLOWANCE = 1.3
"""A scale of ``n`` iterations may make ``evaluation_budget(n) = ceil(1.3 n) + 2`` objective evaluations,
line searches, fresh starts and a float32 finish included: its time stays within 1.3x of its plan
however its optimiser fares. A smooth L-BFGS scale makes about 1.07 per iteration (the first one 2),
so only failing line searches (up to ``optimizers.LINE_SEARCH_STEPS`` evaluations each) reach it."""
FLOAT32_COST = 3
"""What a float32 evaluation counts against a bfloat16 scale's budget: 2.7x the time of a bfloat16 one
at 512 px on a CPU with native bfloat16 (2.862 s against 1.049 s an iteration), the only CPUs on which
``auto`` picks bfloat16."""


def float32_cost() -> int:
    """What a float32 evaluation of a bfloat16 scale's finish counts: FLOAT32_COST on a CPU with native
    bfloat16, 1 on one without (an explicit ``--precision bfloat16`` there runs emulated, slower than
    float32; measured on a 2-core AVX2 EPYC, a 64 px bfloat16 scale spent 49 of its 54 evaluations in
    4 iterations before its line search failed, leaving no float32 finish at a cost of 3)."""
    return FLOAT32_COST if resolve_precision("auto", "/cpu:0") == "bfloat16" else 1


def evaluation_budget(iterations: int) -> int:
    """The objective evaluations a scale of ``iterations`` may make (EVALUATION_ALLOWANCE)."""
    return math.ceil(EVALUATION_ALLOWANCE * iterations) + 2


def optimise(networks: Networks, make_objective: ObjectiveFactory, start: np.ndarray, iterations: int,
             callback: Callback | None, state: Mapping[str, np.ndarray] | None = None,
             cancel: CancelToken | None = None) -> OptimizationResult:
    """Run the configured optimiser on ``make_objective``'s objective, within
    :func:`evaluation_budget`. L-BFGS in bfloat16 can reach a point where its own rounding hides
    every further decrease (a line search that finds no lower point); so when bfloat16 stops early,
    converged or failed, the rest of the iterations run in float32 (no fresh start in bfloat16) from
    the best image so far, content targets recomputed in float32, and only float32 says whether the
    scale converged (``optimizers.CONVERGED_DECREASE``). The result's ``evaluations`` counts a
    float32 evaluation of that finish as :func:`float32_cost`."""
    config = networks.config
    optimize = OPTIMIZERS[config.optimizer]
    budget = evaluation_budget(iterations)
    finish = {"max_restarts": 0} if config.optimizer == "lbfgs" and networks.precision != "float32" else {}
    result = optimize(make_objective(*networks.get(networks.precision)), start, iterations, config.learning_rate,
                      callback, state, max_evaluations=budget, cancel=cancel, **finish)
    remaining = iterations - result.iterations
    cost = float32_cost()
    left = (budget - result.evaluations) // cost
    early = result.stop_reason in ("line_search_failed", "converged")
    if not early or networks.precision == "float32" or remaining <= 0 or left < 2:
        return result
    shifted = None if callback is None else (lambda info: callback(replace(info, iteration=result.iterations + info.iteration)))
    rest = optimize(make_objective(*networks.get("float32")), result.image, remaining, config.learning_rate, shifted,
                    max_evaluations=left, cancel=cancel)
    return replace(rest, iterations=result.iterations + rest.iterations, stop_reason=rest.stop_reason,
                   restarts=result.restarts + rest.restarts, messages=result.messages + rest.messages,
                   float32_iterations=rest.iterations,
                   evaluations=result.evaluations + cost * rest.evaluations)


def run_scale(networks: Networks, content: np.ndarray, styles: Sequence[PreparedStyle], start: np.ndarray,
              iterations: int, callback: Callback | None, state: Mapping[str, np.ndarray] | None = None,
              cancel: CancelToken | None = None, temporal: TemporalTerm | None = None) -> OptimizationResult:
    """Optimise one scale, the whole image ``[H, W, 3]`` at once (:func:`optimise`); ``temporal``: a
    video frame's temporal term."""
    def make(extractor, targets, graphs):
        return build_objective(extractor, targets, content, styles, networks.config, graphs,
                               style_targets=networks.style_pass(), temporal=temporal)
    return optimise(networks, make, start, iterations, callback, state, cancel)


def is_tiled(config: TransferConfig, size: int) -> bool:
    """Whether a scale whose longest side is ``size`` px runs in tiles (``config.tile``)."""
    return bool(config.tile) and size > config.tile


def tile_scale(shape: tuple[int, int], tile: tiling.Tile) -> float:
    """The size factor of a tile's objective: ``s sqrt(M / M_t)`` with ``s`` and ``M`` (pixels) the whole
    image's and ``M_t`` the tile's. Each term's gradient per pixel then stands to the others as in the
    whole image's objective (content ``s / sqrt(M)``, style ``1 / M``, tv ``s^2``: all ``M / M_t`` times
    the whole image's), so a tile is stylised as hard as the image it belongs to."""
    return losses.size_factor(max(shape)) * math.sqrt(shape[0] * shape[1] / (tile.height * tile.width))


def tiled_style_grams(targets: TargetPass, styles: Sequence[PreparedStyle], layers: Sequence[str], tile: int,
                      overlap: int) -> list[dict[str, np.ndarray]]:
    """Each style's target Grams ``{layer: [N, N]}`` float32, a style image larger than ``tile`` px
    computed tile by tile: a Gram is an average over positions, so the whole image's is the tiles'
    averages weighted by :func:`tiling.partition` (times the style mask, if any). Memory is bounded
    by the tile; near tile borders the features see zero padding instead of the neighbour, where the
    partition's weight is small. Smaller images and stored styles: :func:`styles.style_grams`."""
    whole = [k for k, s in enumerate(styles) if s.image is None or max(s.image.shape[:2]) <= tile]
    grams: list[dict[str, np.ndarray]] = [{} for _ in styles]
    for k, computed in zip(whole, style_grams(targets, [styles[k] for k in whole], layers), strict=True):
        grams[k] = computed
    by_image: dict[int, list[int]] = {}
    for k, style in enumerate(styles):
        if k not in whole:
            by_image.setdefault(id(style.image), []).append(k)
    for indices in by_image.values():
        image = styles[indices[0]].image
        tiles = tiling.tile_grid(*image.shape[:2], tile, overlap)
        sums = {k: {layer: 0.0 for layer in layers} for k in indices}
        totals = {k: {layer: 0.0 for layer in layers} for k in indices}
        for part, box in zip(tiling.partition(tiles, *image.shape[:2]), tiles, strict=True):
            shapes = {layer: feature_size(layer, box.height, box.width) for layer in layers}
            regions = [masks_for_layers(part if styles[k].style_mask is None else part * styles[k].style_mask[box.box],
                                        shapes) for k in indices]
            for k, region, region_grams in zip(indices, regions, targets.grams(image[box.box], layers, regions),
                                               strict=True):
                for layer in layers:
                    weight = float(region[layer].sum())
                    sums[k][layer] += weight * region_grams[layer].numpy()
                    totals[k][layer] += weight
        for k in indices:
            grams[k] = {layer: (sums[k][layer] / max(totals[k][layer], 1e-12)).astype(np.float32) for layer in layers}
    return grams


def run_tiled_scale(networks: Networks, content: np.ndarray, styles: Sequence[PreparedStyle], start: np.ndarray,
                    iterations: int, callback: Callback | None, first_visit: int = 0,
                    on_visit: Callable[[int, int, int, np.ndarray], None] | None = None,
                    cancel: CancelToken | None = None) -> OptimizationResult:
    """Optimise one scale ``[H, W, 3]`` tile by tile (``config.tile`` px, ``config.tile_overlap`` overlap):
    ``config.tile_sweeps`` sweeps over the tiles, row by row; each visit optimises its tile, started
    from the current image, for ``ceil(iterations / sweeps)`` iterations against the whole image's
    style Grams (:func:`tiled_style_grams`) and its own region's content, with the whole image's loss
    balance (:func:`tile_scale`), and blends it back feathered (:mod:`tiling`).

    Progress reports iterations of the scale (``iterations`` in all, spread over the visits).
    ``first_visit``: continue a resumed scale after that many visits, ``start`` being the image then.
    ``on_visit(visits done, scale iterations done, optimiser iterations of the visit, image)`` after each visit. The result's loss parts
    are the last tile's. Cancelled (checked between visits and within each), it returns the image as
    it stands, visits done blended in.
    """
    config = networks.config
    height, width = content.shape[:2]
    tiles = tiling.tile_grid(height, width, config.tile, config.tile_overlap)
    feathers = [tiling.feather(t, tiles) for t in tiles]
    per_visit = max(1, math.ceil(iterations / config.tile_sweeps))
    visits = config.tile_sweeps * len(tiles)
    scale = tile_scale((height, width), tiles[0])
    grams: list[tuple[list[dict[str, np.ndarray]], list[dict[str, float]]]] = []  # computed on first use
    canvas = start.astype(np.float32).copy()

    def done(visit: int, step: int = 0) -> int:
        return (visit * per_visit + step) * iterations // (visits * per_visit)
    result, reason, visit = None, "completed", first_visit

    regions = effective_regions(styles)

    def objective_for(tile: tiling.Tile) -> ObjectiveFactory:
        crop = [replace(s, mask=None if s.mask is None else s.mask[tile.box]) for s in styles]

        def make(extractor, targets, graphs):
            if not grams:
                style_pass = networks.style_pass()
                grams.append((tiled_style_grams(style_pass, styles, config.style_layers, config.tile,
                                                config.tile_overlap),
                              recolour_gains(style_pass, styles, config.style_layers)))
            whole_grams, gains = grams[0]
            return build_objective(extractor, targets, content[tile.box], crop, config, graphs, whole_grams, scale,
                                   gains, regions=regions)
        return make

    for visit in range(first_visit, visits):
        if cancel is not None and cancel.cancelled:
            reason = "interrupted"
            break
        tile = tiles[visit % len(tiles)]
        report = None if callback is None else (
            lambda info, v=visit: callback(replace(info, iteration=done(v, info.iteration), max_iterations=iterations)))
        result = optimise(networks, objective_for(tile), canvas[tile.box], per_visit, report, cancel=cancel)
        tiling.blend(canvas, tile, result.image, feathers[visit % len(tiles)])
        if result.stop_reason in ("interrupted", "nonfinite"):
            reason = result.stop_reason
            break
        if on_visit is not None:
            on_visit(visit + 1, done(visit + 1), result.iterations, canvas)
    total = math.nan if result is None else result.total
    parts = {} if result is None else result.parts
    ran = iterations if reason == "completed" else done(visit)
    terms = {} if result is None else result.terms
    return OptimizationResult(canvas, ran, total, parts, reason, terms=terms)
