"""Batch runs: every content x style (x grid point) job, in one process on one network, resumable.

``run_batch`` plans the jobs, skips those whose output and record already exist with the same
parameters, runs the rest on one :class:`~neural_style.scales.Engine` (or on Ray workers, one engine
each), writes each output atomically with its JSON record, and keeps ``batch.json`` and ``batch.csv``
(status, seconds and loss parts per job) up to date after every job. A job with bad input fails alone,
with its one-line error in the summary. Jobs are planned in :mod:`neural_style.batch_jobs`; Ray runs
them in :mod:`neural_style.batch_ray`, which alone imports it.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from neural_style import images
from neural_style.batch_jobs import (
    MEMO_BYTES,
    Job,
    Outcome,
    expand_contents,
    parse_grid,
    plan_jobs,
    run_job,
)
from neural_style.batch_ray import run_on_ray, size_groups
from neural_style.cancel import CancelToken
from neural_style.config import ImageSource, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.library import StoredStyle
from neural_style.listeners import Listener
from neural_style.weights import file_sha256

__all__ = ["BatchInterrupted", "BatchListener", "BatchSummary", "Job", "JobOutcome", "expand_contents", "parse_grid",
           "plan_jobs", "read_summary", "run_batch", "size_groups", "write_summary"]

SUMMARY_VERSION = 1
"""batch.json's format; bump it (and keep reading the old one) when it changes."""
STATUSES = ("done", "skipped", "failed", "interrupted", "pending")
"""done: run now; skipped: output and record of an earlier batch with the same parameters kept;
failed: its one-line error in ``error``; interrupted: stopped by a signal, not saved; pending: not reached."""
CSV_COLUMNS = ("name", "status", "seconds", "total", "content_loss", "style_loss", "tv_loss", "content", "style",
               "params", "output", "error")


@dataclass(frozen=True)
class JobOutcome:
    """One row of the summary."""

    name: str
    content: str
    style: str
    params: dict[str, str]
    status: str
    output: str
    seconds: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    total: float | None = None
    error: str = ""


@dataclass(frozen=True)
class BatchSummary:
    """What :func:`run_batch` returns and writes to ``batch.json``/``batch.csv``."""

    out: Path
    jobs: tuple[JobOutcome, ...]
    seconds: float
    engine: str  # "local" or "ray"

    @property
    def failed(self) -> int:
        return sum(job.status == "failed" for job in self.jobs)

    def counts(self) -> dict[str, int]:
        return {status: n for status in STATUSES if (n := sum(job.status == status for job in self.jobs))}


class BatchListener(Listener):
    """Progress of a batch (the CLI's bars): the batch's events, and each job's run events (it is the
    jobs' :class:`~neural_style.listeners.Listener`); every method may be left as is."""

    def batch_started(self, total: int, to_run: int) -> None: ...

    def job_started(self, job: Job) -> None: ...

    def job_finished(self, outcome: JobOutcome) -> None: ...


# --- files ------------------------------------------------------------------------------------------

def _earlier(job: Job, out: Path, digest: Callable[[Path], str]) -> dict | None:
    """The record of an earlier run of exactly this job, if its output is there too."""
    output, record_file = job.output(out), job.output(out).with_suffix(".json")
    if not (output.exists() and record_file.exists()):
        return None
    try:
        record = json.loads(record_file.read_text())
        return record if record.get("job") == job.identity(digest) else None
    except (OSError, ValueError, NeuralStyleError):
        return None


def _remove_partial_files(jobs: Sequence[Job], out: Path) -> None:
    """Temporary files a killed batch left behind (``images.write_atomic``'s ``.name.*.tmp``)."""
    for job in jobs:
        for name in (f"{job.name}.png", f"{job.name}.json"):
            for temp in out.glob(f".{glob.escape(name)}.*.tmp"):
                temp.unlink(missing_ok=True)
    for name in ("batch.json", "batch.csv"):
        for temp in out.glob(f".{name}.*.tmp"):
            temp.unlink(missing_ok=True)


def _outcome(job: Job, out: Path, status: str, seconds: float = 0.0, record: dict | None = None,
             error: str = "") -> JobOutcome:
    loss = dict((record or {}).get("final_loss", {}))
    total = loss.pop("total", None)
    return JobOutcome(job.name, str(job.content), job.style_label, dict(job.params), status, str(job.output(out)),
                      round(seconds, 3), loss, total, error)


def _save(job: Job, out: Path, result, described: dict, command: Sequence[str],
          digest: Callable[[Path], str]) -> dict:
    """The job's image, then its record (:func:`runs.save`), with the job's identity and grid point; the
    image keeps its photo's EXIF, as a single run's does."""
    from neural_style.runs import save

    return save(job.output(out), result, described, command, {"job": job.identity(digest), "params": dict(job.params)},
                content=job.content)


def write_summary(summary: BatchSummary) -> None:
    """``batch.json`` (versioned) and ``batch.csv`` in the output folder, atomically."""
    data = {"version": SUMMARY_VERSION, "out": str(summary.out), "engine": summary.engine,
            "seconds": round(summary.seconds, 3), "counts": summary.counts(),
            "jobs": [asdict(job) for job in summary.jobs]}
    images.write_atomic(summary.out / "batch.json", (json.dumps(data, indent=2) + "\n").encode())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for job in summary.jobs:
        writer.writerow([job.name, job.status, job.seconds, "" if job.total is None else job.total,
                         job.parts.get("content", ""), job.parts.get("style", ""), job.parts.get("tv", ""),
                         job.content, job.style, " ".join(f"{k}={v}" for k, v in job.params.items()),
                         job.output, job.error])
    images.write_atomic(summary.out / "batch.csv", buffer.getvalue().encode())


def read_summary(path: str | Path) -> dict:
    """A batch.json as written by any version so far (1)."""
    data = json.loads(Path(path).read_text())
    if data.get("version") != SUMMARY_VERSION:
        raise NeuralStyleError(f"{path}: batch summary version {data.get('version')!r} is not one this version reads")
    return data


# --- running ----------------------------------------------------------------------------------------

class BatchInterrupted(Exception):
    """The batch was cancelled (SIGINT/SIGTERM at the CLI): finished jobs and the summary are saved;
    ``summary`` says what."""

    def __init__(self, summary: BatchSummary) -> None:
        super().__init__("batch interrupted")
        self.summary = summary


def run_batch(
    contents: Sequence[str | Path],
    styles: Sequence[StyleSpec | ImageSource | StoredStyle],
    config: TransferConfig | None = None,
    grid: str | Mapping[str, Sequence] | None = None,
    out: str | Path = "batch_output",
    ray: str | None = None,
    listener: BatchListener | None = None,
    command: Sequence[str] = (),
    cancel: CancelToken | None = None,
) -> BatchSummary:
    """Stylise every photo of ``contents`` (files, globs, directories) with every style (paths,
    StyleSpecs or stored styles) at every point of ``grid``; outputs ``out/{content}__{style}[__k=v].png``
    with a JSON record each, and ``out/batch.json`` + ``batch.csv``. ``ray``: None (this process),
    ``"auto"`` (a local Ray) or a cluster address. Returns the summary; raises
    :class:`BatchInterrupted` once ``cancel`` is set, after saving it (the job running then is not
    saved: the same command runs it again)."""
    config = config or TransferConfig()
    listener = listener or BatchListener()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NeuralStyleError(f"out: {str(out)!r} is a file, not a directory")
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK | os.X_OK):
        raise NeuralStyleError(f"out: directory {str(out)!r} is not writable")
    specs = [s if isinstance(s, StyleSpec) else StyleSpec(s) for s in styles]
    if not specs:
        raise NeuralStyleError("style_imgs: at least one style is needed")
    if any(s.mask is not None or s.style_mask is not None for s in specs):
        raise NeuralStyleError("batch styles apply to the whole photo: masks and segmentations are for single runs")
    jobs = plan_jobs(expand_contents(contents), specs, config, grid)
    inputs = {p.resolve() for job in jobs for p in (job.content, job.style.image) if isinstance(p, Path)}
    if any(job.output(out).resolve() in inputs for job in jobs):
        raise NeuralStyleError(f"out: {str(out)!r} holds input images that a job would overwrite; choose another folder")
    _remove_partial_files(jobs, out)
    digests: dict[Path, str] = {}

    def digest(path: Path) -> str:  # each input file read once per batch
        if path not in digests:
            digests[path] = file_sha256(path)
        return digests[path]

    start = time.perf_counter()
    outcomes: dict[str, JobOutcome] = {job.name: _outcome(job, out, "pending") for job in jobs}
    pending = []
    for job in jobs:
        try:
            record = _earlier(job, out, digest)
        except NeuralStyleError as exc:
            outcomes[job.name] = _outcome(job, out, "failed", error=str(exc))
            continue
        if record is None:
            pending.append(job)
        else:
            outcomes[job.name] = _outcome(job, out, "skipped", record.get("seconds", 0.0), record)
    engine = "local" if ray is None else "ray"
    summary = lambda: BatchSummary(out, tuple(outcomes.values()), time.perf_counter() - start, engine)
    listener.batch_started(len(jobs), len(pending))
    for job in jobs:
        if outcomes[job.name].status != "pending":
            listener.job_finished(outcomes[job.name])
    runner = _run_local(pending, listener, cancel) if ray is None else run_on_ray(ray, pending, cancel)
    try:
        for job, result, described, error in runner:
            if result is not None and result.stop_reason == "interrupted":
                outcomes[job.name] = _outcome(job, out, "interrupted", result.seconds)
                break
            if result is None:
                outcomes[job.name] = _outcome(job, out, "failed", error=error)
            elif result.stop_reason == "nonfinite":
                outcomes[job.name] = _outcome(job, out, "failed", result.seconds,
                                              error=f"the loss became NaN or infinite at iteration {result.iterations}")
            else:
                record = _save(job, out, result, described, command, digest)
                outcomes[job.name] = _outcome(job, out, "done", result.seconds, record)
            listener.job_finished(outcomes[job.name])
            write_summary(summary())
    finally:
        runner.close()
    final = summary()
    write_summary(final)
    if cancel is not None and cancel.cancelled:
        raise BatchInterrupted(final)
    return final


def _run_local(jobs: Sequence[Job], listener: BatchListener, cancel: CancelToken | None) -> Iterator[Outcome]:
    """Every job in this process, on one engine: the network is built once, a shape traced once, and
    each style's targets at a size computed once."""
    from neural_style.scales import Engine

    engine = Engine(memo_bytes=MEMO_BYTES)
    for job in jobs:
        if cancel is not None and cancel.cancelled:
            return
        listener.job_started(job)
        yield job, *run_job(job, job.content, job.style, engine, listener, cancel)
