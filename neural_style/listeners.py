"""What a run tells its front end, through one object: every iteration (with its scale and size), each
scale's start and end, each checkpoint, and notes for the user. The CLI's progress bar, a batch's
bars, the studio's live view and a video's frame loop are listeners; a snapshot every so many
iterations is the listener's to take (a step carries the current image)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the CLI's progress classes build on Listener, and 'styles list'
    # must start without OpenCV or scipy (tests/test_library.py)
    from neural_style.checkpoints import Checkpoint, ScaleReport
    from neural_style.optimizers import StepInfo


class Listener:
    """Receives a run's events; every method may be left as is (it does nothing)."""

    def step(self, info: StepInfo) -> None:
        """After every iteration; ``info.iteration`` counts over the whole run."""

    def scale_started(self, scale: int, size: int, iterations: int) -> None:
        """Scale ``scale`` (coarsest 0), ``size`` px longest side, starts with a budget of ``iterations``."""

    def scale_finished(self, report: ScaleReport) -> None:
        """A scale ended (completed, converged, stopped early or cancelled)."""

    def checkpoint(self, checkpoint: Checkpoint) -> None:
        """Where the run stands, every ``Checkpointing.every`` iterations, to resume from."""

    def note(self, text: str) -> None:
        """A one-line note for the user (a changed plan, a device fallback, the regions found)."""


class StepCallback(Listener):
    """A plain ``callback(StepInfo)`` as a listener (the Python API's ``callback`` argument)."""

    def __init__(self, callback: Callable[[StepInfo], None] | None) -> None:
        self.callback = callback

    def step(self, info: StepInfo) -> None:
        if self.callback is not None:
            self.callback(info)
