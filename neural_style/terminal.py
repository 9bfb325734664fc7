"""What the command does to the terminal: the progress bar, silence for TensorFlow's chatter, and
SIGTERM handled like Ctrl-C. Library code never prints; it reports through callbacks."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from neural_style.cancel import CancelToken
from neural_style.icc import ProfileWarning
from neural_style.listeners import Listener

if TYPE_CHECKING:  # annotations only: 'styles list' starts without OpenCV or scipy
    from neural_style.checkpoints import ScaleReport
    from neural_style.optimizers import StepInfo


class Interrupted(Exception):
    """Raised by the command after an interrupted run's image and record are saved."""

    def __init__(self, saved: bool) -> None:
        super().__init__("interrupted")
        self.saved = saved


class StopSignal:
    """The SIGINT and SIGTERM handler of the command: the first signal sets the run's cancel token (the
    run stops within an iteration and its best image so far is saved), a second one, or the first
    where nothing watches a token (``raise_at_once``), raises KeyboardInterrupt. Remembers which
    signal came, for the exit code 128 + signal."""

    def __init__(self, cancel: CancelToken, raise_at_once: bool = False) -> None:
        self.cancel, self.raise_at_once = cancel, raise_at_once
        self.signal = signal.SIGINT

    def __call__(self, signum, frame) -> None:
        self.signal = signum
        if self.raise_at_once or self.cancel.cancelled:
            raise KeyboardInterrupt
        self.cancel.cancel()

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signal)


@contextlib.contextmanager
def quiet_native_output(enabled: bool) -> Iterator[None]:
    """Unless verbose, TensorFlow, absl and OpenCV say nothing, whatever the environment asks for.

    Their C++ code logs to file descriptor 2, some of it before any log level is read ("All log
    messages before absl::InitializeLog() is called are written to STDERR"), so descriptor 2 points at
    /dev/null for the whole command, while Python's ``sys.stderr`` keeps writing to the terminal
    through a copy of the original descriptor: our notes, progress bar and errors still show.
    TensorFlow's Python logger (its retracing warnings) and Python warnings are turned down too, but
    for the package's own :class:`~neural_style.icc.ProfileWarning` (a photo's unreadable colour
    profile), said once per file as a ``neural-style: warning:`` line.
    """
    if not enabled:
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    os.environ["OPENCV_LOG_LEVEL"] = "SILENT"  # read when OpenCV is imported ('styles list' never imports it)
    if "cv2" in sys.modules:
        sys.modules["cv2"].utils.logging.setLogLevel(sys.modules["cv2"].utils.logging.LOG_LEVEL_SILENT)
    sys.stderr.flush()
    python_stderr = sys.stderr
    terminal = os.dup(2)
    with open(os.devnull, "w") as devnull, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.filterwarnings("once", category=ProfileWarning)  # once per message: the file is read more than once
        warnings.showwarning = _warning_line
        os.dup2(devnull.fileno(), 2)
        sys.stderr = open(terminal, "w", buffering=1, encoding=python_stderr.encoding, errors="backslashreplace")
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(sys.stderr.fileno(), 2)
            sys.stderr.close()
            sys.stderr = python_stderr


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Python's warnings, as the command's other notes: one line on the terminal."""
    click.echo(f"neural-style: warning: {message}", err=True)


def format_parts(total: float, parts: dict) -> str:
    """``loss 1.2e+05 (content 3.1e+04 style 8.7e+04 tv 1.1e+03)``."""
    return f"loss {total:.4g} (" + " ".join(f"{k} {v:.3g}" for k, v in parts.items()) + ")"


class Progress(Listener):
    """A single run's listener: steps as a progress bar (default), log lines (--verbose) or nothing
    (--quiet); notes as ``neural-style: note:`` lines; --save_iterations snapshots (each one atomic,
    so a crash keeps them)."""

    def __init__(self, max_iterations: int, verbosity: int, print_every: int, save_every: int, output: Path,
                 done: int = 0) -> None:
        self.verbosity, self.print_every, self.save_every, self.output = verbosity, print_every, save_every, output
        self.max_iterations, self.done = max_iterations, done  # done: iterations before a resume
        self.bar = None

    def note(self, text: str) -> None:
        if self.verbosity:
            click.echo(f"neural-style: note: {text}", err=True)

    def scale_finished(self, report: ScaleReport) -> None:
        if self.verbosity >= 2:
            click.echo(f"scale {report.size} px: {report.iterations} iterations, {report.stop_reason}", err=True)

    def step(self, info: StepInfo) -> None:
        if self.verbosity == 1 and self.bar is None:  # made at the first step, so set-up errors stay one line
            self.bar = click.progressbar(
                length=self.max_iterations, label="stylising", file=sys.stderr, show_pos=True, show_eta=True,
                item_show_func=lambda step: step and format_parts(step.total, step.parts),
            )
            self.bar.__enter__()
            if self.done:
                self.bar.update(self.done)
        if self.bar is not None:
            self.bar.update(1, info)
        if self.verbosity >= 2 and (info.iteration % self.print_every == 0 or info.iteration == info.max_iterations):
            click.echo(f"iteration {info.iteration}/{info.max_iterations}  {format_parts(info.total, info.parts)}"
                       f"  {info.elapsed:.1f}s", err=True)
        if self.save_every and info.iteration % self.save_every == 0:
            from neural_style import images
            from neural_style.outputs import snapshot_path

            images.save_image(snapshot_path(self.output, info.iteration), images.to_uint8(info.image))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _bar(done: float, total: int, width: int = 20) -> str:
    filled = int(width * done / total) if total else width
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class BatchProgress(Listener):
    """A batch's progress (a :class:`~neural_style.batch.BatchListener`): on a terminal, one live line
    with the overall bar (jobs finished of all, ETA from the jobs run so far) and the current job's
    bar with its loss parts; elsewhere, one line per finished job. ``--verbose``: a line when a job
    starts and ends, and every ``print_every`` iterations; ``--quiet``: nothing."""

    label = "batch"
    """The overall bar's name (a clip's: ``video``)."""

    def __init__(self, verbosity: int, print_every: int = 50, stream=None) -> None:
        self.verbosity, self.print_every = verbosity, print_every
        self.stream = stream or sys.stderr
        self.live = verbosity == 1 and self.stream.isatty()
        self.total = self.finished = self.ran = self.timed = 0
        self.run_seconds = 0.0  # of the ``timed`` runs: the pace of those left
        self.job = ""
        self.step_text = ""
        self.to_run = 0
        self._shown = 0.0
        self._width = 0

    def _write(self, line: str) -> None:
        if self.live:
            self.stream.write("\r" + " " * self._width + "\r")
        self.stream.write(line + "\n")
        self.stream.flush()
        self._width = 0
        self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        if not self.live or self.total == 0:
            return
        now = time.monotonic()
        if not force and now - self._shown < 0.1:
            return
        self._shown = now
        left = self.to_run - self.ran
        eta = f" ETA {_clock(left * self.run_seconds / self.timed)}" if self.timed and left > 0 else ""
        line = f"{self.label} {_bar(self.finished, self.total)} {self.finished}/{self.total}{eta}"
        if self.job:
            line += f" | {self.job} {self.step_text}"
        width = shutil.get_terminal_size((120, 20)).columns - 1
        line = line[:width]
        self.stream.write("\r" + line + " " * max(0, self._width - len(line)))
        self.stream.flush()
        self._width = len(line)

    def batch_started(self, total: int, to_run: int) -> None:
        self.total, self.to_run = total, to_run
        if self.verbosity >= 2:
            self._write(f"batch: {total} jobs, {total - to_run} already done, {to_run} to run")
        self._draw(force=True)

    def job_started(self, job) -> None:
        self._started(f"job {job.name}", job.name)

    def _started(self, long_name: str, name: str) -> None:
        self.job, self.step_text = name, ""
        if self.verbosity >= 2:
            self._write(f"{long_name}: started")
        self._draw(force=True)

    def step(self, info) -> None:
        self.step_text = f"{_bar(info.iteration, info.max_iterations, 10)} {info.iteration}/{info.max_iterations} " \
                         f"{format_parts(info.total, info.parts)}"
        if self.verbosity >= 2 and (info.iteration % self.print_every == 0 or info.iteration == info.max_iterations):
            self._write(f"  iteration {info.iteration}/{info.max_iterations}  {format_parts(info.total, info.parts)}")
        self._draw()

    def job_finished(self, outcome) -> None:
        detail = {"failed": outcome.error, "skipped": "kept from an earlier run"}.get(outcome.status, f"{outcome.seconds:.1f} s")
        self._finished(outcome.name, outcome.status, outcome.seconds, detail)

    def _finished(self, name: str, status: str, seconds: float, detail: str, timed: bool = True) -> None:
        """``timed``: whether its seconds tell how long the ones left will take (the ETA)."""
        self.finished += 1
        if status in ("done", "failed", "interrupted"):
            self.ran += 1
            if timed:
                self.timed += 1
                self.run_seconds += seconds
        self.job = ""
        if self.verbosity >= 2 or (self.verbosity == 1 and (not self.live or status == "failed")):
            self._write(f"[{self.finished}/{self.total}] {name}: {status} ({detail})")
        self._draw(force=True)

    def close(self) -> None:
        if self.live and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0


class VideoProgress(BatchProgress):
    """A clip's progress (a :class:`~neural_style.video.VideoListener`): the batch's line with frames for
    jobs (frames written of all, ETA from the frames after the first run so far, the current frame's
    bar and loss parts); notes as ``neural-style: note:`` lines."""

    label = "video"

    def video_started(self, frames: int, done: int) -> None:
        self.total, self.to_run, self.finished = frames, frames - done, done
        if self.verbosity >= 2:
            self._write(f"video: {frames} frames, {done} already written, {frames - done} to stylise")
        self._draw(force=True)

    def frame_started(self, number: int, iterations: int) -> None:
        self._started(f"frame {number} ({iterations} iterations)", f"frame {number}")

    def frame_finished(self, entry: dict) -> None:
        cut = ", scene cut" if entry.get("scene_cut") else ""
        later = "reliable" in entry  # the first frame runs a still's iterations: the ETA comes from the others
        self._finished(f"frame {entry['frame']}", "done", entry["seconds"],
                       f"{entry['seconds']:.1f} s, {entry['iterations']} iterations{cut}", timed=later)

    def note(self, text: str) -> None:
        if self.verbosity:
            self._write(f"neural-style: note: {text}")
