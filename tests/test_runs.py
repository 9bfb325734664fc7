"""The application layer (neural_style.runs): a run cancelled from another thread, and a start image
given as an array."""

from __future__ import annotations

import json
import threading

import numpy as np
from conftest import DATA

from neural_style import (
    CancelToken,
    Request,
    StyleSpec,
    TransferConfig,
    execute,
    prepare,
)
from neural_style.listeners import Listener
from neural_style.runs import describe, save

CONFIG = TransferConfig(max_size=96, max_iterations=40, scales=1, precision="float32")


class CancelAt(Listener):
    """At iteration ``at`` another thread cancels the run; this step waits until it has."""

    def __init__(self, cancel: CancelToken, at: int) -> None:
        self.cancel, self.at, self.totals = cancel, at, []

    def step(self, info) -> None:
        self.totals.append(info.total)
        if info.iteration == self.at:
            other = threading.Thread(target=self.cancel.cancel)
            other.start()
            other.join()


def test_a_run_cancelled_from_another_thread_stops_within_an_iteration_and_saves_its_best(tmp_path):
    cancel = CancelToken()
    listener = CancelAt(cancel, 5)
    prepared = prepare(Request(DATA / "tubingen.jpg", (StyleSpec(DATA / "starry_night.jpg"),), CONFIG))
    result = execute(prepared, listener, cancel)
    assert result.stop_reason == "interrupted"
    assert result.iterations == 5 and len(listener.totals) == 5  # not one more iteration
    assert result.total <= min(listener.totals)  # the best image seen, not the last
    output = tmp_path / "cancelled.png"
    record = save(output, result, describe(prepared))
    assert output.exists() and json.loads(output.with_suffix(".json").read_text()) == json.loads(json.dumps(record, default=str))
    assert record["stop_reason"] == "interrupted" and record["iterations"] == 5
    assert not np.array_equal(result.image, np.round(prepared.content).astype(np.uint8))  # it had moved


def test_the_start_image_can_be_an_array():
    """A start image given as an array (here noise) is where the optimisation starts: with no iteration
    to run, the output is that image."""
    noise = np.random.default_rng(0).uniform(0, 255, (48, 64, 3)).astype(np.uint8)
    prepared = prepare(Request(DATA / "tubingen.jpg", (StyleSpec(DATA / "starry_night.jpg"),),
                               TransferConfig(max_size=64, max_iterations=1, scales=1, precision="float32"),
                               start=noise))
    assert prepared.start is not None and prepared.start.shape == prepared.content.shape
    assert np.abs(prepared.start - noise).max() < 1.0
