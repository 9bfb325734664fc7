"""The objective (one trace, right gradient) and both optimisers on the real network."""

import numpy as np
import pytest
from conftest import STYLE_LAYERS, small

from neural_style.cancel import CancelToken
from neural_style.config import TransferConfig
from neural_style.objective import (
    ContentTerm,
    Objective,
    StyleTerm,
    TVTerm,
    compute_style_grams,
    extract_features,
)
from neural_style.optimizers import LINE_SEARCH_STEPS, Evaluation, run_adam, run_lbfgs


@pytest.fixture(scope="module")
def setup(extractor):
    content = small("tubingen.jpg", 64)
    style = small("starry_night.jpg", 64)
    grams = compute_style_grams(extract_features(extractor, style), STYLE_LAYERS)
    cfg = TransferConfig()
    terms = [ContentTerm({"block4_relu2": extract_features(extractor, content)["block4_relu2"]}, (1.0,)),
             StyleTerm(grams, 1.0, layer_weights=dict(zip(STYLE_LAYERS, cfg.style_layer_weights, strict=True))),
             TVTerm()]
    weights = {"content": cfg.content_weight, "style": cfg.style_weight, "tv": cfg.tv_weight}
    objective = Objective(extractor, terms, weights, content.shape[:2])
    return objective, content


def test_objective_traces_once_and_reports_named_parts(setup):
    objective, content = setup
    rng = np.random.default_rng(0)
    for _ in range(4):
        result = objective(np.clip(content + rng.normal(0, 5, content.shape), 0, 255).astype(np.float32))
    assert objective.trace_count == 1
    assert set(result.parts) == {"content", "style", "tv"}
    assert result.total == pytest.approx(sum(result.parts.values()), rel=1e-5)
    names = {"content/relu4_2", "style/relu1_1", "style/relu2_1", "style/relu3_1", "style/relu4_1", "style/relu5_1", "tv"}
    assert set(result.terms) == names
    for part in ("content", "style"):  # each part is the sum of its named terms
        assert result.parts[part] == pytest.approx(sum(v for k, v in result.terms.items() if k.startswith(part)), rel=1e-5)


def test_gradient_matches_finite_differences_in_random_directions(setup):
    """Central differences along the gradient and along random directions: an error in any
    component of the gradient shows in some direction, not only along the gradient itself."""
    objective, content = setup
    rng = np.random.default_rng(1)
    image = np.clip(content + rng.normal(0, 3, content.shape), 5, 250).astype(np.float32)
    gradient = objective(image).gradient.astype(np.float64)
    directions = [gradient] + [rng.normal(size=image.shape) for _ in range(4)]
    for direction in directions:
        direction = direction / np.linalg.norm(direction)
        eps = 2.0
        numeric = (objective(image + eps * direction).total - objective(image - eps * direction).total) / (2 * eps)
        analytic = float(np.sum(gradient * direction))
        print(f"directional derivative: analytic {analytic:.6g}, numeric {numeric:.6g}")
        assert numeric == pytest.approx(analytic, rel=0.03, abs=5e-4 * np.linalg.norm(gradient))


@pytest.mark.parametrize("run, rate", [(run_adam, 5.0), (run_lbfgs, 1.0)])
def test_optimisers_lower_the_loss_and_stay_in_range(setup, run, rate):
    objective, content = setup
    start_loss = objective(content).total
    steps = []
    result = run(objective, content, 8, rate, steps.append)
    assert result.stop_reason == "completed" and result.iterations == 8 == len(steps)
    assert result.total < 0.7 * start_loss
    assert result.image.min() >= 0.0 and result.image.max() <= 255.0
    assert [s.iteration for s in steps] == list(range(1, 9))


@pytest.mark.parametrize("run", [run_adam, run_lbfgs])
def test_cancel_returns_the_best_image_so_far(setup, run):
    objective, content = setup
    cancel = CancelToken()

    def cancel_at_3(info):
        if info.iteration == 3:
            cancel.cancel()

    result = run(objective, content, 50, 5.0, cancel_at_3, cancel=cancel)
    assert result.stop_reason == "interrupted" and result.iterations == 3
    assert result.total == pytest.approx(objective(result.image).total, rel=1e-4)
    assert result.total < objective(content).total


@pytest.mark.parametrize("run", [run_adam, run_lbfgs])
def test_nonfinite_loss_stops_with_last_finite_image(run):
    calls = []

    def objective(image):
        calls.append(image.copy())
        bad = len(calls) > 1  # the second evaluation goes bad
        return Evaluation(float("nan") if bad else float(np.sum(image**2)), {}, 2 * image)

    start = np.full((4, 4, 3), 100.0, np.float32)
    result = run(objective, start, 20, 1.0, None)
    assert result.stop_reason == "nonfinite"
    assert np.isfinite(result.total) and np.all(np.isfinite(result.image))


def test_lbfgs_calls_a_failed_line_search_what_it_is_and_tries_a_fresh_start():
    """A quadratic whose value is rounded to steps of 50 (as bfloat16 rounds the network): near the
    minimum no step shows a decrease. That is a failed line search, not convergence."""
    from neural_style.optimizers import MAX_LBFGS_RESTARTS

    curvature = np.linspace(1.0, 10.0, 8 * 8 * 3).reshape(8, 8, 3)  # not one step from the minimum

    def staircase(image):
        exact = float(np.sum(curvature * (image.astype(np.float64) - 100.0) ** 2))
        return Evaluation(round(exact / 50.0) * 50.0, {"q": exact}, (2.0 * curvature * (image - 100.0)).astype(np.float32))

    result = run_lbfgs(staircase, np.zeros((8, 8, 3), np.float32), 200)
    print(result.stop_reason, result.iterations, result.restarts, result.messages)
    assert result.stop_reason == "line_search_failed" and result.iterations < 200
    assert 1 <= result.restarts <= len(result.messages) - 1 and result.restarts >= MAX_LBFGS_RESTARTS
    assert all("ABNORMAL" in m or "REDUCTION" in m for m in result.messages)
    assert np.abs(result.image - 100.0).max() < 5.0  # it got close before the steps became invisible


def test_lbfgs_runs_every_iteration_when_the_loss_is_smooth(setup):
    objective, content = setup
    result = run_lbfgs(objective, content, 30)
    assert result.stop_reason == "completed" and result.iterations == 30 and result.restarts == 0


def test_lbfgs_first_iteration_takes_one_step_not_a_line_search_from_the_box_corners():
    """Our losses are ~1e10 with gradients far above 255 per pixel. Unscaled, L-BFGS-B's first trial
    step is the whole gradient clipped to 0..255 and its line search backs off for several more
    evaluations; scaled (optimizers.FIRST_STEP), the first iteration costs the start point and one step."""
    rng = np.random.default_rng(3)
    target = rng.uniform(60, 200, (16, 16, 3))
    evaluations = []

    def steep(image):
        evaluations.append(image.copy())
        d = image.astype(np.float64) - target
        return Evaluation(1e7 * float(np.sum(d**2)), {}, (2e7 * d).astype(np.float32))

    counts = []
    result = run_lbfgs(steep, np.full(target.shape, 128.0, np.float32), 5, callback=lambda info: counts.append(len(evaluations)))
    print("evaluations before each iteration's report:", counts)
    assert counts[0] == 2  # the start point, one accepted step
    assert all(0.0 <= v <= 255.0 for v in (evaluations[1].min(), evaluations[1].max()))
    assert 0 < np.sqrt(np.mean((evaluations[1] - 128.0) ** 2)) < 10  # a step of a few grey levels, not to the box
    assert result.total < steep(np.full(target.shape, 128.0, np.float32)).total


def test_lbfgs_calls_a_start_it_cannot_improve_converged_without_fresh_starts():
    """At a minimum whose gradient promises a decrease the loss does not show (a style image that is
    its own photo: the TV gradient against content and style terms already met), no step lowers the
    loss: that is convergence, found in one line search, not a failure worth fresh starts."""
    rng = np.random.default_rng(0)
    centre = rng.uniform(50, 200, (8, 8, 3))
    evaluations = []

    def met(image):
        evaluations.append(1)
        d = image.astype(np.float64) - centre
        return Evaluation(1e3 + 1e6 * float(np.sum(d**2)), {}, np.full(image.shape, 1e-3, np.float32))

    result = run_lbfgs(met, centre.astype(np.float32), 60)
    print(result.stop_reason, result.iterations, result.restarts, len(evaluations))
    assert result.stop_reason == "converged" and result.restarts == 0
    assert len(evaluations) <= 2 + LINE_SEARCH_STEPS


def test_lbfgs_stops_at_its_evaluation_budget():
    curvature = np.linspace(1.0, 10.0, 8 * 8 * 3).reshape(8, 8, 3)
    evaluations = []

    def staircase(image):
        evaluations.append(1)
        exact = float(np.sum(curvature * (image.astype(np.float64) - 100.0) ** 2))
        return Evaluation(round(exact / 50.0) * 50.0, {}, (2.0 * curvature * (image - 100.0)).astype(np.float32))

    result = run_lbfgs(staircase, np.zeros((8, 8, 3), np.float32), 200, max_evaluations=15)
    assert result.stop_reason == "evaluations" and len(evaluations) == result.evaluations == 15
