"""Optimisers over the image pixels: Adam, and scipy's L-BFGS-B with pixel bounds.

Both take an objective (image -> Evaluation), a start image ``[H, W, 3]`` float32 in 0..255, a
callback that receives a :class:`StepInfo` after every iteration and a :class:`CancelToken`, checked
before every evaluation. Both keep the best image seen and return it when they finish, when the token
is set (stop reason ``interrupted``) or when the loss stops being finite, so a run is never lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import scipy.optimize
from threadpoolctl import threadpool_limits

from neural_style.cancel import CancelToken

PIXEL_MIN, PIXEL_MAX = 0.0, 255.0


@dataclass(frozen=True)
class Evaluation:
    """Loss and gradient at one image, as numpy: ``gradient`` has the image's shape ``[H, W, 3]``;
    ``parts`` the weighted loss parts (content, style, tv), ``terms`` the same by layer, named as
    the record names them (``style/relu3_1``)."""

    total: float
    parts: dict[str, float]
    gradient: np.ndarray
    terms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StepInfo:
    """Progress after one iteration. ``image`` is the current iterate ``[H, W, 3]`` float32 in 0..255.
    ``iteration`` of ``max_iterations`` count over the whole run once it reaches a listener; ``scale``
    is the coarse-to-fine scale's index (coarsest 0) and ``size`` its longest side in px."""

    iteration: int
    max_iterations: int
    total: float
    parts: Mapping[str, float]
    elapsed: float
    image: np.ndarray = field(repr=False)
    state: Mapping[str, np.ndarray] | None = field(default=None, repr=False)
    """The optimiser's own state after this step, where it has one to resume from (Adam: ``m``, ``v``
    ``[H, W, 3]`` and ``t``); None for L-BFGS, whose curvature memory scipy does not expose."""
    scale: int = 0
    size: int = 0


STOP_REASONS = ("completed", "converged", "line_search_failed", "evaluations", "interrupted", "nonfinite")
"""How an optimiser run ends: every iteration done; converged (a projected gradient of zero, or a line
search that failed after iterations that had stopped lowering the loss: see CONVERGED_DECREASE);
L-BFGS could not find a lower point although it was still making progress, even after a fresh
start; L-BFGS used its evaluation budget before its iterations; cancelled (Ctrl-C, SIGTERM, a cancel
token set by another thread); the loss stopped being finite."""

CONVERGED_WINDOW = 5
CONVERGED_DECREASE = 1e-5
"""A failed line search is convergence when the CONVERGED_WINDOW iterations before it (all, if fewer)
lowered the best loss by at most this share of it: the point is a minimum as far as the loss's own
arithmetic can tell (a float32 sum of ~1e5 terms resolves about 1e-6 of it), and what a further
step could gain is below what the image shows. Example: a style image that is its own content photo,
where content and style are met at the start and only the total variation pulls; a step of 1e-5
grey levels RMS along the gradient raised content and style, by their rounding alone, more than it
lowered TV. A line search that fails after iterations that were still making progress is a
failure (the bfloat16 loss staircase: steps too small for bfloat16 to show): a bfloat16 scale goes
on in float32 (scales.optimise), a float32 one gets a fresh start (MAX_LBFGS_RESTARTS)."""


@dataclass(frozen=True)
class OptimizationResult:
    """The best image seen and how the run ended (one of STOP_REASONS). ``restarts``: fresh L-BFGS
    starts after failed line searches; ``messages``: scipy's message for each L-BFGS-B call."""

    image: np.ndarray
    iterations: int
    total: float
    parts: dict[str, float]
    stop_reason: str
    restarts: int = 0
    messages: tuple[str, ...] = ()
    float32_iterations: int = 0  # set by scales.optimise when bfloat16 stopped early
    evaluations: int = 0  # objective evaluations, line searches' included
    terms: dict[str, float] = field(default_factory=dict)  # the best image's named terms (Evaluation.terms)


ObjectiveFn = Callable[[np.ndarray], Evaluation]
Callback = Callable[[StepInfo], None]


class _Cancelled(Exception):
    """The cancel token was set."""


class _NonFinite(Exception):
    """The loss became NaN or infinite."""


class _OutOfEvaluations(Exception):
    """L-BFGS spent its evaluation budget."""


class _Tracker:
    """Counts iterations, keeps the best finite image, and reports steps."""

    def __init__(self, max_iterations: int, callback: Callback | None, cancel: CancelToken | None) -> None:
        self.max_iterations = max_iterations
        self.callback = callback
        self.cancel = cancel
        self.start = time.perf_counter()
        self.iterations = 0
        self.best: tuple[float, np.ndarray, Evaluation] | None = None
        self.last: Evaluation | None = None
        self.restarts = 0
        self.evaluations = 0
        self.history: list[float] = []  # the best loss after each iteration, the start's first

    @property
    def best_total(self) -> float:
        return math.inf if self.best is None else self.best[0]

    def check(self) -> None:
        """Before an evaluation: stop if the run was cancelled."""
        if self.cancel is not None and self.cancel.cancelled:
            raise _Cancelled

    def evaluated(self, image: np.ndarray, result: Evaluation) -> None:
        if not math.isfinite(result.total) or not np.all(np.isfinite(result.gradient)):
            raise _NonFinite
        self.last = result
        self.evaluations += 1
        if self.best is None or result.total < self.best[0]:
            self.best = (result.total, image.copy(), result)
        if not self.history:
            self.history.append(result.total)

    def step(self, image: np.ndarray, state: Mapping[str, np.ndarray] | None = None) -> None:
        self.iterations += 1
        self.history.append(self.best_total)
        if self.callback is not None and self.last is not None:
            elapsed = time.perf_counter() - self.start
            self.callback(StepInfo(self.iterations, self.max_iterations, self.last.total, self.last.parts, elapsed,
                                   image, state))

    def flat(self) -> bool:
        """Whether the last CONVERGED_WINDOW iterations (all of them, if fewer) lowered the best loss by at
        most CONVERGED_DECREASE of it: no progress the arithmetic can show."""
        if self.best is None:
            return False
        then = self.history[max(0, len(self.history) - 1 - CONVERGED_WINDOW)]
        return then - self.best_total <= CONVERGED_DECREASE * abs(self.best_total)

    def result(self, stop_reason: str, fallback: np.ndarray, messages: Sequence[str] = ()) -> OptimizationResult:
        if self.best is None:
            return OptimizationResult(fallback, self.iterations, math.nan, {}, stop_reason, self.restarts,
                                      tuple(messages), evaluations=self.evaluations)
        total, image, best = self.best
        return OptimizationResult(image, self.iterations, total, dict(best.parts), stop_reason, self.restarts,
                                  tuple(messages), evaluations=self.evaluations, terms=dict(best.terms))


def run_adam(
    objective: ObjectiveFn, start: np.ndarray, max_iterations: int, learning_rate: float = 1.0,
    callback: Callback | None = None, state: Mapping[str, np.ndarray] | None = None,
    max_evaluations: int | None = None, cancel: CancelToken | None = None,
) -> OptimizationResult:
    """Adam (beta1 0.9, beta2 0.999, eps 1e-8) on the pixels, clipped to 0..255 after every step.
    ``state``: a StepInfo's ``state`` to continue from (a resumed run), else a fresh start.
    ``max_evaluations`` is unused: Adam makes one evaluation per iteration."""
    del max_evaluations
    tracker = _Tracker(max_iterations, callback, cancel)
    image = start.astype(np.float32).copy()
    m = np.zeros_like(image) if state is None else np.asarray(state["m"], np.float32).copy()
    v = np.zeros_like(image) if state is None else np.asarray(state["v"], np.float32).copy()
    t0 = 0 if state is None else int(state["t"])
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    try:
        for t in range(t0 + 1, t0 + max_iterations + 1):
            tracker.check()
            result = objective(image)
            tracker.evaluated(image, result)
            g = result.gradient
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            step = learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
            image = np.clip(image - step, PIXEL_MIN, PIXEL_MAX).astype(np.float32)
            tracker.step(image, {"m": m, "v": v, "t": np.array(t)})
        tracker.evaluated(image, objective(image))
    except _Cancelled:
        return tracker.result("interrupted", start)
    except _NonFinite:
        return tracker.result("nonfinite", start)
    return tracker.result("completed", start)


MAX_LBFGS_RESTARTS = 1
"""Fresh starts L-BFGS-B may make in a row, without progress in between, after a failed line search
(see run_lbfgs). A failing start costs up to LINE_SEARCH_STEPS evaluations; in bfloat16 none is made
(scales.optimise goes on in float32 instead)."""
LBFGS_BLAS_THREADS = 1
"""BLAS threads while scipy's L-BFGS-B runs. Its vector work is small (``O(m n)`` a step), and with the
BLAS's default of one thread per core the threads wait for each other whenever the cores are busy, as
they are when other processes share the machine: 100 steps over a 96x72 image's 20,736 values took
6.3 s of CPU with 2 threads on a loaded 2-core machine and 0.18 s with one, a 512 px step 482 against
205 ms (bench/results/speed.md, "L-BFGS-B and BLAS threads"). TensorFlow's thread pools are not BLAS."""
LINE_SEARCH_STEPS = 10
"""Evaluations one L-BFGS-B line search may make (scipy's ``maxls``; its default is 20). With the first
trial step scaled (FIRST_STEP) an iteration takes about 1.07 evaluations, so a search that has not
found a lower point in 10 has failed, and what it would spend in 10 more comes out of the scale's
budget (scales.evaluation_budget)."""


def run_lbfgs(
    objective: ObjectiveFn, start: np.ndarray, max_iterations: int, learning_rate: float = 1.0,
    callback: Callback | None = None, state: Mapping[str, np.ndarray] | None = None,
    max_evaluations: int | None = None, max_restarts: int = MAX_LBFGS_RESTARTS, cancel: CancelToken | None = None,
) -> OptimizationResult:
    """scipy's L-BFGS-B (``method="L-BFGS-B", jac=True``) with bounds 0..255, for ``max_iterations``,
    or until ``max_evaluations`` objective evaluations (line searches and fresh starts included; None:
    no limit) are spent: stop reason ``evaluations``. A line search may take LINE_SEARCH_STEPS
    evaluations.

    ``learning_rate`` is unused (L-BFGS chooses its own steps by line search); so is ``state``: scipy
    keeps its curvature memory to itself, so a resumed run starts a fresh memory. The tolerances are
    zero, so scipy stops before the budget only when its line search fails (no step lowers the
    loss along the search direction; "ABNORMAL_TERMINATION_IN_LNSRCH") or an accepted step did not
    lower the loss at all ("REL_REDUCTION_OF_F"). After iterations that were still making progress,
    both mean the curvature memory points nowhere useful, not that the image has converged. The
    remaining iterations then go to a fresh L-BFGS-B
    from the best image, memory cleared, up to MAX_LBFGS_RESTARTS times in a row without progress
    (STYLE.md's "never restart L-BFGS" is about routine restarts, which throw good memory away; this
    only replaces memory that has already failed). A projected gradient of zero is "converged", and so
    is a failed line search after iterations that no longer lowered the loss (CONVERGED_DECREASE): no
    fresh start then.

    Each L-BFGS-B call minimises ``c f`` with ``c = FIRST_STEP / rms(grad f(x0))`` (see FIRST_STEP);
    progress and results report ``f`` itself.
    """
    del learning_rate, state
    tracker = _Tracker(max_iterations, callback, cancel)
    shape = start.shape
    first: dict[str, object] = {}  # the evaluation at a call's start point, made to choose its scale

    def evaluate(x: np.ndarray) -> Evaluation:
        if first and np.array_equal(first["x"], x):
            result = first.pop("result")
            first.clear()
            return result
        if max_evaluations is not None and tracker.evaluations >= max_evaluations:
            raise _OutOfEvaluations
        tracker.check()
        image = x.reshape(shape).astype(np.float32)
        result = objective(image)
        tracker.evaluated(image, result)
        return result

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        result = evaluate(x)
        return scale * result.total, scale * result.gradient.astype(np.float64).ravel()

    def on_iteration(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        tracker.step(intermediate_result.x.reshape(shape).astype(np.float32))

    x = start.astype(np.float64).ravel()
    failures, messages = 0, []
    try:
        while True:
            remaining = max_iterations - tracker.iterations
            before = (tracker.iterations, tracker.best_total)
            result = evaluate(x)
            first.update(x=x, result=result)
            scale = first_step_scale(result.gradient)
            with threadpool_limits(limits=LBFGS_BLAS_THREADS, user_api="blas"):
                outcome = scipy.optimize.minimize(
                    fun, x, jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(PIXEL_MIN, PIXEL_MAX),
                    callback=on_iteration,
                    options={"maxiter": remaining, "maxfun": 4 * remaining + 50, "ftol": 0.0, "gtol": 0.0,
                             "maxls": LINE_SEARCH_STEPS},
                )
            messages.append(str(outcome.message))
            reason = _lbfgs_stop(outcome, tracker.iterations >= max_iterations)
            progressed = tracker.iterations > before[0] and tracker.best_total < before[1]
            failures = 0 if progressed else failures + 1
            if reason == "line_search_failed" and tracker.flat():
                reason = "converged"
            if reason != "line_search_failed" or failures > max_restarts or max_restarts == 0:  # 0: never a fresh start
                break
            x = tracker.best[1].astype(np.float64).ravel()
            tracker.restarts += 1
    except _Cancelled:
        return tracker.result("interrupted", start, messages)
    except _NonFinite:
        return tracker.result("nonfinite", start, messages)
    except _OutOfEvaluations:
        return tracker.result("evaluations", start, messages)
    return tracker.result(reason, outcome.x.reshape(shape), messages)


FIRST_STEP = 4.0
"""The RMS pixel change, in grey levels, of L-BFGS-B's first trial step. With bounds, scipy's L-BFGS-B
starts from the model ``B = I``: its first trial step is the whole gradient, clipped to 0..255. Our
losses are about 1e10 with per-pixel gradients far above 255, so that trial turns the image into
black and white pixels, and the line search backs off: the first iteration took 3 evaluations at the
start of a 256 px scale and 4 at the start of a 512 px one (tubingen x Starry Night). Scaling the
objective by ``c = FIRST_STEP / rms(gradient)`` makes the first trial a gradient step of 4 grey
levels RMS, which the line search accepts at once: 2 evaluations (the start point and the step), 2.2 s
saved at 512 px on a 2-core CPU. From the second iteration on L-BFGS(-B) is invariant to the scale of
``f`` (its curvature pairs rescale ``B``), so only the first iteration's step changes; it also keeps
the image away from the box corners. Measured on that pair, 256 then 512 px, 40 + 15 iterations: 59
evaluations instead of 62 and a 4 % lower loss at the end; 1, 4 and 16 grey levels gave the same
evaluation counts (12 iterations at 256 px: 13 evaluations, loss 4.32e10 / 4.33e10 / 4.34e10, against
15 and 4.83e10 unscaled)."""


def first_step_scale(gradient: np.ndarray) -> float:
    """``FIRST_STEP / rms(gradient)``: the factor on the objective that makes L-BFGS-B's first trial
    step ``FIRST_STEP`` grey levels RMS (1 for a zero gradient)."""
    rms = float(np.sqrt(np.mean(np.square(gradient, dtype=np.float64))))
    return FIRST_STEP / rms if rms > 0.0 and math.isfinite(rms) else 1.0


def _lbfgs_stop(outcome: scipy.optimize.OptimizeResult, budget_spent: bool) -> str:
    """Why one L-BFGS-B call ended: ``completed`` (iteration budget), ``converged`` (projected gradient
    zero), ``evaluations`` (the evaluation budget ran out first) or ``line_search_failed``."""
    if budget_spent:
        return "completed"
    message = str(outcome.message).upper()
    if "PGTOL" in message:
        return "converged"
    if outcome.status == 1:  # maxiter is checked above, so this is maxfun
        return "evaluations"
    return "line_search_failed"


OPTIMIZERS: Mapping[str, Callable[..., OptimizationResult]] = MappingProxyType({"adam": run_adam, "lbfgs": run_lbfgs})
