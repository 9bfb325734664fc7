"""``stylize``: orchestration only. Load and size the images, build the extractor once, compute the
targets once per scale, build the objective and hand it to the optimiser named in the configuration."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from neural_style import colour, images, planner
from neural_style.config import ImageSource, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.features import resolve_precision
from neural_style.layers import CAFFE_MEAN_BGR
from neural_style.optimizers import Callback, StepInfo
from neural_style.scales import (
    EVALUATION_ALLOWANCE,
    Engine,
    Networks,
    build_objective,
    evaluation_budget,
    is_tiled,
    run_scale,
    run_tiled_scale,
)
from neural_style.styles import PreparedStyle, check_stored, prepare_styles, styles_at

__all__ = ["Checkpoint", "Checkpointing", "Engine", "ScaleReport", "TransferResult", "build_objective", "run_transfer",
           "stylize"]

NOISE_AMPLITUDE = 20.0
"""Random init: the mean pixel plus uniform noise in +-20 (neural-style-tf's noise image)."""


@dataclass(frozen=True)
class ScaleReport:
    """How one coarse-to-fine scale went: its longest side, its budget (``planned`` plus ``carried``,
    the iterations the scale before left to it: :func:`carried_iterations`), iterations run, how the
    optimiser stopped (``optimizers.STOP_REASONS``), fresh L-BFGS starts, scipy's messages, how
    many iterations ran in float32 after bfloat16 stopped early (:func:`scales.optimise`) and the
    objective evaluations made."""

    size: int
    planned: int
    iterations: int
    stop_reason: str
    restarts: int = 0
    messages: tuple[str, ...] = ()
    float32_iterations: int = 0
    carried: int = 0
    evaluations: int = 0

    @property
    def early(self) -> bool:
        """Whether the scale stopped before its budget."""
        return self.iterations < self.planned + self.carried


@dataclass(frozen=True)
class Checkpoint:
    """Where a run stands, to resume it from: scale ``scale`` (index into ``config.schedule``) has run
    ``iterations`` of its budget (``planned + carried``; ``carried``: iterations earlier scales left
    over); ``image`` ``[h, w, 3]`` float32 0..255 is that scale's current iterate; ``state`` the
    optimiser's (Adam; None for L-BFGS, which restarts its memory); ``reports`` the finished scales;
    ``visits``: in a tiled scale, the tile visits done (``image`` is the whole scale's image then)."""

    scale: int
    iterations: int
    image: np.ndarray
    reports: tuple[ScaleReport, ...]
    carried: int
    state: Mapping[str, np.ndarray] | None = None
    visits: int = 0


@dataclass(frozen=True)
class Checkpointing:
    """``save`` receives a :class:`Checkpoint` every ``every`` iterations of the run (never at a scale's
    last iteration: the next scale's first checkpoint follows); ``resume``: continue from this one."""

    every: int
    save: Callable[[Checkpoint], None]
    resume: Checkpoint | None = None


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
    scales: tuple[ScaleReport, ...]  # coarsest first; only the scales that ran

    @property
    def scale_sizes(self) -> tuple[int, ...]:
        """Longest side of each scale run, coarsest first."""
        return tuple(scale.size for scale in self.scales)


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


def initial_image(config: TransferConfig, content: np.ndarray, styles: Sequence[PreparedStyle]) -> np.ndarray:
    """The optimisation's start ``[H, W, 3]`` float32 0..255, from ``config.init_img_type``."""
    height, width = content.shape[:2]
    kind = config.init_img_type
    if kind == "content":
        return content.copy()
    if kind == "random":
        rng = np.random.default_rng(config.seed)
        noise = np.array(CAFFE_MEAN_BGR[::-1], np.float32) + rng.uniform(-NOISE_AMPLITUDE, NOISE_AMPLITUDE, content.shape)
        return (config.noise_ratio * noise + (1.0 - config.noise_ratio) * content).astype(np.float32)
    if kind == "style" and styles[0].image is None:
        raise NeuralStyleError("init_img_type style needs the first style to be an image file, not a stored style")
    source = styles[0].image if kind == "style" else images.load_image(kind, "init_img_type", max(height, width))
    return images.resize_to(source, height, width)


def describe_early_stops(reports: Sequence[ScaleReport]) -> str:
    """The scales that stopped early or were given iterations, for the output line: ``256 px scale
    converged after 3 of 60 iterations; 512 px scale: 14 iterations carried in``; empty if none."""
    parts = []
    for report in reports:
        if report.early:
            reason = report.stop_reason.replace("_", " ")
            parts.append(f"{report.size} px scale {reason} after {report.iterations} of "
                         f"{report.planned + report.carried} iterations")
        if report.carried:
            parts.append(f"{report.size} px scale: {report.carried} iteration(s) carried in")
    return "; ".join(parts)


def carried_iterations(report: ScaleReport, pixels: int, next_pixels: int) -> int:
    """The iterations a scale of ``pixels`` leaves to the next one, of ``next_pixels``. Only a scale
    whose L-BFGS failed (``line_search_failed``: still making progress when no lower point could be
    found) leaves any: the evaluations of its budget it did not spend (:func:`scales.evaluation_budget`),
    counted as time (an evaluation costs about its pixel count) and turned into iterations of the
    next scale, whose budget grows by as much. So a run stays within its planned budget, 1.3x its
    planned time, however its scales stop. A converged scale leaves nothing: there was nothing left to
    gain, and the next scale is the more expensive one."""
    if report.stop_reason != "line_search_failed":
        return 0
    unused = evaluation_budget(report.planned + report.carried) - report.evaluations
    return max(0, math.floor(unused * pixels / (next_pixels * EVALUATION_ALLOWANCE)))


def _offset(callback: Callback | None, done: int, total: int) -> Callback | None:
    """Report a scale's iterations as part of the whole run."""
    if callback is None:
        return None
    return lambda info: callback(replace(info, iteration=done + info.iteration, max_iterations=total))


def _checkpointed(step: Callback | None, checkpointing: Checkpointing, done: int, base: Checkpoint,
                  budget: int) -> Callback:
    """``step``, and a checkpoint every ``checkpointing.every`` iterations of the run (``done``: the
    run's iterations before this call; ``base``: the scale's checkpoint at its start)."""
    def on_step(info: StepInfo) -> None:
        if step is not None:
            step(info)
        scale_iterations = base.iterations + info.iteration
        if (done + info.iteration) % checkpointing.every == 0 and scale_iterations < budget:
            state = None if info.state is None else {k: np.array(v) for k, v in info.state.items()}
            checkpointing.save(replace(base, iterations=scale_iterations, image=info.image.copy(), state=state))
    return on_step


def _visit_checkpoints(checkpointing: Checkpointing, base: Checkpoint, budget: int):
    """A tiled scale's ``on_visit``: a checkpoint after the tile visit that completes another
    ``checkpointing.every`` optimiser iterations, counted over the tiles (a tile's iteration costs
    what a whole scale's does, over fewer pixels: a 4096 px scale of 28 iterations in 6 tiles runs
    168 of them and takes half an hour)."""
    steps = [0]

    def on_visit(visits: int, iterations: int, visit_steps: int, image: np.ndarray) -> None:
        steps[0] += visit_steps
        if steps[0] >= checkpointing.every and iterations < budget:
            checkpointing.save(replace(base, iterations=iterations, image=image.copy(), visits=visits))
            steps[0] = 0
    return on_visit


def run_transfer(
    content: ImageSource,
    styles: Sequence[StyleSpec | ImageSource],
    config: TransferConfig | None = None,
    callback: Callback | None = None,
    engine: Engine | None = None,
    checkpointing: Checkpointing | None = None,
) -> TransferResult:
    """Stylise ``content`` with ``styles`` and report how it went. See :func:`stylize`. ``engine``:
    networks kept from earlier runs (a batch); a fresh one if None. ``checkpointing``: save where the
    run stands every so many iterations, and/or resume from such a checkpoint.

    Coarse-to-fine: each scale starts from the last one's result; iterations a scale could not use
    (its optimiser stopped early) go to the next. The planner may switch L-BFGS to Adam or tile the
    scales larger than ``config.tile`` to fit the memory budget (:mod:`planner`, :func:`run_tiled_scale`). An interrupt (KeyboardInterrupt, which the CLI also
    raises for SIGTERM) at any point after the first scale finished returns the last finished image
    with ``stop_reason="interrupted"``; before that it propagates.
    """
    config = config or TransferConfig()
    specs = [s if isinstance(s, StyleSpec) else StyleSpec(s) for s in styles]
    if not specs:
        raise NeuralStyleError("at least one style image is needed")
    check_stored(specs, config)
    device, warning = resolve_device(config.device)
    if warning:
        warnings.warn(warning, RuntimeWarning, stacklevel=2)
    start = time.perf_counter()
    content_full = images.read_image(content, "content_img", config.max_size, config.enlarge)
    full_shape = content_full.shape[:2]
    space = config.color_convert_type
    recolour = colour.style_recolouring(content_full, config.color_transfer, config.luminance_only, space)
    prepared = prepare_styles(specs, full_shape, config.style_scale, recolour)
    content_run = colour.luminance_image(content_full, space) if config.luminance_only else content_full
    precision = resolve_precision(config.precision, device)
    masked_terms = len({s.group for s in prepared if s.mask is not None})
    plan = planner.plan_run(config, full_shape, masked_terms, precision)  # refuses before any network is built
    if plan.note:
        warnings.warn(plan.note, RuntimeWarning, stacklevel=2)
    config = plan.config
    networks = Networks(engine or Engine(), config, precision)
    reports: list[ScaleReport] = []
    image, result, carried = None, None, 0
    resume = checkpointing.resume if checkpointing else None
    total = config.total_iterations()
    schedule = config.schedule(*full_shape)
    try:
        with tf.device(device):
            for index, (size, planned) in enumerate(schedule):
                if resume is not None and index < resume.scale:
                    continue
                content_image = images.fit_longest_side(content_run, size)
                scaled = styles_at(prepared, size / max(full_shape), content_image.shape[:2])
                first, state, visits = 0, None, 0
                if resume is not None and index == resume.scale:
                    reports, carried = list(resume.reports), resume.carried
                    image = start_image = images.resize_to(resume.image, *content_image.shape[:2])
                    first, state, visits = resume.iterations, resume.state, resume.visits
                elif image is None:
                    start_image = initial_image(config, content_image, scaled)
                else:
                    start_image = images.resize_to(image, *content_image.shape[:2])
                budget = planned + carried
                done = sum(r.iterations for r in reports)
                base = Checkpoint(index, first, start_image, tuple(reports), carried)
                if is_tiled(config, size):  # a tiled scale counts its own iterations, resumed or not
                    saving = checkpointing is not None and checkpointing.every > 0
                    on_visit = _visit_checkpoints(checkpointing, base, budget) if saving else None
                    result = run_tiled_scale(networks, content_image, scaled, start_image, budget,
                                             _offset(callback, done, total), visits if first else 0, on_visit)
                    first = 0
                else:
                    step = _offset(callback, done + first, total)
                    if checkpointing is not None and checkpointing.every > 0:
                        step = _checkpointed(step, checkpointing, done + first, base, budget)
                    result = run_scale(networks, content_image, scaled, start_image, budget - first, step, state)
                image = result.image
                reports.append(ScaleReport(size, planned, first + result.iterations, result.stop_reason,
                                           result.restarts, result.messages, result.float32_iterations, carried,
                                           result.evaluations))
                if result.stop_reason in ("interrupted", "nonfinite"):
                    break
                if index + 1 < len(schedule):
                    next_shape = images.scaled_shape(*full_shape, schedule[index + 1][0])
                    carried = carried_iterations(reports[-1], int(np.prod(content_image.shape[:2])),
                                                 int(np.prod(next_shape)))
    except KeyboardInterrupt:
        if image is None:
            raise
        result = replace(result, stop_reason="interrupted")
    final = colour.finish_colours(images.resize_to(image, *full_shape), content_full, config.original_colors,
                                  config.luminance_only, space)
    return TransferResult(
        images.to_uint8(final), sum(r.iterations for r in reports), result.total, result.parts, result.stop_reason,
        time.perf_counter() - start, device, networks.precision, tuple(reports),
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
