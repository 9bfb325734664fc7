"""Coarse to fine: one run's scales, each started from the last one's image, with the targets
computed once per scale and the objective handed to the optimiser the plan names. What a run needs
is prepared by :mod:`neural_style.runs`; this module only runs the scales and reports to a listener."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import tensorflow as tf

from neural_style import images
from neural_style.cancel import Cancelled, CancelToken
from neural_style.checkpoints import Checkpoint, Checkpointing, ScaleReport
from neural_style.config import TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.layers import CAFFE_MEAN_BGR
from neural_style.listeners import Listener
from neural_style.optimizers import Callback, OptimizationResult, StepInfo
from neural_style.scales import (
    EVALUATION_ALLOWANCE,
    Networks,
    evaluation_budget,
    is_tiled,
    run_scale,
    run_tiled_scale,
)
from neural_style.styles import PreparedStyle, styles_at
from neural_style.terms import TemporalTerm

NOISE_AMPLITUDE = 20.0
"""Random init: the mean pixel plus uniform noise in +-20 (neural-style-tf's noise image)."""


@dataclass(frozen=True)
class TransferResult:
    """The output image (RGB uint8 ``[H, W, 3]``) and how the run went: the best image's loss, its parts
    (``total`` = the sum of ``parts``) and named terms, the stop reason (optimizers.STOP_REASONS).
    ``float_image``: the same image before rounding, RGB float32 ``[H, W, 3]`` in 0..255, what a 16-bit
    file is written from (None where a caller made the result from 8-bit pixels)."""

    image: np.ndarray
    iterations: int
    total: float
    parts: dict[str, float]
    stop_reason: str
    seconds: float
    device: str
    precision: str  # as resolved from "auto"
    scales: tuple[ScaleReport, ...]  # coarsest first; only the scales that ran
    terms: dict[str, float] = field(default_factory=dict)  # ``parts`` by layer: ``style/relu3_1``, ...
    float_image: np.ndarray | None = field(default=None, repr=False)

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


def _steps(listener: Listener, done: int, total: int, index: int, size: int) -> Callback:
    """A scale's steps, reported to ``listener`` as part of the whole run (``done`` iterations before)."""
    return lambda info: listener.step(replace(info, iteration=done + info.iteration, max_iterations=total,
                                              scale=index, size=size))


def _checkpointed(step: Callback, listener: Listener, every: int, done: int, base: Checkpoint,
                  budget: int) -> Callback:
    """``step``, and a checkpoint to ``listener`` every ``every`` iterations of the run (``done``: the
    run's iterations before this call; ``base``: the scale's checkpoint at its start)."""
    def on_step(info: StepInfo) -> None:
        step(info)
        scale_iterations = base.iterations + info.iteration
        if (done + info.iteration) % every == 0 and scale_iterations < budget:
            state = None if info.state is None else {k: np.array(v) for k, v in info.state.items()}
            listener.checkpoint(replace(base, iterations=scale_iterations, image=info.image.copy(), state=state))
    return on_step


def _visit_checkpoints(listener: Listener, every: int, base: Checkpoint, budget: int):
    """A tiled scale's ``on_visit``: a checkpoint after the tile visit that completes another ``every``
    optimiser iterations, counted over the tiles (a tile's iteration costs what a whole scale's does,
    over fewer pixels: a 4096 px scale of 28 iterations in 6 tiles runs 168 of them and takes half an
    hour)."""
    steps = [0]

    def on_visit(visits: int, iterations: int, visit_steps: int, image: np.ndarray) -> None:
        steps[0] += visit_steps
        if steps[0] >= every and iterations < budget:
            listener.checkpoint(replace(base, iterations=iterations, image=image.copy(), visits=visits))
            steps[0] = 0
    return on_visit


def run_scales(networks: Networks, content: np.ndarray, styles: Sequence[PreparedStyle], start: np.ndarray | None,
               device: str, listener: Listener, cancel: CancelToken | None = None,
               checkpointing: Checkpointing | None = None,
               temporal: TemporalTerm | None = None) -> tuple[np.ndarray, OptimizationResult, list[ScaleReport]]:
    """Run ``networks.config``'s schedule on ``content`` (RGB ``[H, W, 3]`` float32 0..255, full size;
    the luminance image under ``luminance_only``) with ``styles`` prepared for that size. ``start``:
    the start image at any size (resized to each first scale), or None for ``init_img_type``.
    Returns the last scale's image (``[h, w, 3]`` float32 at that scale's size), its optimiser result
    and every scale's report.

    Iterations a failed scale could not use go to the next (:func:`carried_iterations`). ``cancel``
    is checked before every evaluation and between tile visits: once set, the run ends with stop
    reason ``interrupted`` and the best image so far (a scale cancelled before its first iteration is
    not reported: the scales before it stand), or raises :class:`~neural_style.cancel.Cancelled` if
    not one iteration was done. ``temporal``: a term of the scale of its target's size (a video
    frame's), which may not be tiled.
    """
    config = networks.config
    full_shape = content.shape[:2]
    reports: list[ScaleReport] = []
    image, result, previous, carried = None, None, None, 0
    resume = checkpointing.resume if checkpointing else None
    every = checkpointing.every if checkpointing else 0
    total = config.total_iterations()
    schedule = config.schedule(*full_shape)
    with tf.device(device):
        for index, (size, planned) in enumerate(schedule):
            if resume is not None and index < resume.scale:
                continue
            content_image = images.fit_longest_side(content, size)
            scaled = styles_at(styles, size / max(full_shape), content_image.shape[:2])
            first, state, visits = 0, None, 0
            if resume is not None and index == resume.scale:
                reports, carried = list(resume.reports), resume.carried
                image = start_image = images.resize_to(resume.image, *content_image.shape[:2])
                first, state, visits = resume.iterations, resume.state, resume.visits
            elif image is None:
                start_image = (initial_image(config, content_image, scaled) if start is None
                               else images.resize_to(start, *content_image.shape[:2]))
            else:
                start_image = images.resize_to(image, *content_image.shape[:2])
            budget = planned + carried
            done = sum(r.iterations for r in reports)
            listener.scale_started(index, size, budget)
            base = Checkpoint(index, first, start_image, tuple(reports), carried)
            if is_tiled(config, size):  # a tiled scale counts its own iterations, resumed or not
                on_visit = _visit_checkpoints(listener, every, base, budget) if every > 0 else None
                result = run_tiled_scale(networks, content_image, scaled, start_image, budget,
                                         _steps(listener, done, total, index, size), visits if first else 0, on_visit,
                                         cancel)
                first = 0
            else:
                step = _steps(listener, done + first, total, index, size)
                if every > 0:
                    step = _checkpointed(step, listener, every, done + first, base, budget)
                tie = temporal if temporal is not None and temporal.target.shape[:2] == content_image.shape[:2] else None
                result = run_scale(networks, content_image, scaled, start_image, budget - first, step, state, cancel, tie)
            if result.stop_reason == "interrupted" and first + result.iterations == 0:
                if previous is None:
                    raise Cancelled  # not one iteration done: nothing worth saving
                result = replace(previous, stop_reason="interrupted")  # the finished scales' image stands
                break
            image, previous = result.image, result
            reports.append(ScaleReport(size, planned, first + result.iterations, result.stop_reason,
                                       result.restarts, result.messages, result.float32_iterations, carried,
                                       result.evaluations))
            listener.scale_finished(reports[-1])
            if result.stop_reason in ("interrupted", "nonfinite"):
                break
            if index + 1 < len(schedule):
                if cancel is not None and cancel.cancelled:
                    result = replace(result, stop_reason="interrupted")
                    break
                next_shape = images.scaled_shape(*full_shape, schedule[index + 1][0])
                carried = carried_iterations(reports[-1], int(np.prod(content_image.shape[:2])),
                                             int(np.prod(next_shape)))
    return image, result, reports
