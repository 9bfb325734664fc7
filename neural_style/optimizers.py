"""Optimisers over the image pixels: Adam, and scipy's L-BFGS-B with pixel bounds.

Both take an objective (image -> Evaluation), a start image ``[H, W, 3]`` float32 in 0..255 and a
callback that receives a :class:`StepInfo` after every iteration. Both keep the best image seen and
return it when they finish, when the user interrupts (KeyboardInterrupt) or when the loss stops being
finite, so a run is never lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import scipy.optimize

PIXEL_MIN, PIXEL_MAX = 0.0, 255.0


@dataclass(frozen=True)
class Evaluation:
    """Loss and gradient at one image, as numpy: ``gradient`` has the image's shape ``[H, W, 3]``."""

    total: float
    parts: dict[str, float]
    gradient: np.ndarray


@dataclass(frozen=True)
class StepInfo:
    """Progress after one iteration. ``image`` is the current iterate ``[H, W, 3]`` float32 in 0..255."""

    iteration: int
    max_iterations: int
    total: float
    parts: Mapping[str, float]
    elapsed: float
    image: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class OptimizationResult:
    """The best image seen and how the run ended (``completed``, ``converged``, ``interrupted``, ``nonfinite``)."""

    image: np.ndarray
    iterations: int
    total: float
    parts: dict[str, float]
    stop_reason: str


ObjectiveFn = Callable[[np.ndarray], Evaluation]
Callback = Callable[[StepInfo], None]


class _NonFinite(Exception):
    """The loss became NaN or infinite."""


class _Tracker:
    """Counts iterations, keeps the best finite image, and reports steps."""

    def __init__(self, max_iterations: int, callback: Callback | None) -> None:
        self.max_iterations = max_iterations
        self.callback = callback
        self.start = time.perf_counter()
        self.iterations = 0
        self.best: tuple[float, np.ndarray, dict[str, float]] | None = None
        self.last: Evaluation | None = None

    def evaluated(self, image: np.ndarray, result: Evaluation) -> None:
        if not math.isfinite(result.total) or not np.all(np.isfinite(result.gradient)):
            raise _NonFinite
        self.last = result
        if self.best is None or result.total < self.best[0]:
            self.best = (result.total, image.copy(), result.parts)

    def step(self, image: np.ndarray) -> None:
        self.iterations += 1
        if self.callback is not None and self.last is not None:
            elapsed = time.perf_counter() - self.start
            self.callback(StepInfo(self.iterations, self.max_iterations, self.last.total, self.last.parts, elapsed, image))

    def result(self, stop_reason: str, fallback: np.ndarray) -> OptimizationResult:
        if self.best is None:
            return OptimizationResult(fallback, self.iterations, math.nan, {}, stop_reason)
        total, image, parts = self.best
        return OptimizationResult(image, self.iterations, total, dict(parts), stop_reason)


def run_adam(
    objective: ObjectiveFn, start: np.ndarray, max_iterations: int, learning_rate: float = 1.0,
    callback: Callback | None = None,
) -> OptimizationResult:
    """Adam (beta1 0.9, beta2 0.999, eps 1e-8) on the pixels, clipped to 0..255 after every step."""
    tracker = _Tracker(max_iterations, callback)
    image = start.astype(np.float32).copy()
    m = np.zeros_like(image)
    v = np.zeros_like(image)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    try:
        for t in range(1, max_iterations + 1):
            result = objective(image)
            tracker.evaluated(image, result)
            g = result.gradient
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            step = learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
            image = np.clip(image - step, PIXEL_MIN, PIXEL_MAX).astype(np.float32)
            tracker.step(image)
        tracker.evaluated(image, objective(image))
    except KeyboardInterrupt:
        return tracker.result("interrupted", start)
    except _NonFinite:
        return tracker.result("nonfinite", start)
    return tracker.result("completed", start)


def run_lbfgs(
    objective: ObjectiveFn, start: np.ndarray, max_iterations: int, learning_rate: float = 1.0,
    callback: Callback | None = None,
) -> OptimizationResult:
    """One ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` call with bounds 0..255.

    ``learning_rate`` is unused (L-BFGS chooses its own steps by line search). The tolerances are
    zero so that it runs ``max_iterations`` unless it truly cannot progress.
    """
    del learning_rate
    tracker = _Tracker(max_iterations, callback)
    shape = start.shape

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        image = x.reshape(shape).astype(np.float32)
        result = objective(image)
        tracker.evaluated(image, result)
        return result.total, result.gradient.astype(np.float64).ravel()

    def on_iteration(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        tracker.step(intermediate_result.x.reshape(shape).astype(np.float32))

    try:
        outcome = scipy.optimize.minimize(
            fun, start.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(PIXEL_MIN, PIXEL_MAX), callback=on_iteration,
            options={"maxiter": max_iterations, "maxfun": 4 * max_iterations + 50, "ftol": 0.0, "gtol": 0.0},
        )
    except KeyboardInterrupt:
        return tracker.result("interrupted", start)
    except _NonFinite:
        return tracker.result("nonfinite", start)
    budget_spent = tracker.iterations >= max_iterations or outcome.status == 1  # 1: maxiter/maxfun reached
    return tracker.result("completed" if budget_spent else "converged", outcome.x.reshape(shape))


OPTIMIZERS: Mapping[str, Callable[..., OptimizationResult]] = MappingProxyType({"adam": run_adam, "lbfgs": run_lbfgs})
