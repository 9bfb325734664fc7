"""Batch runs: every content x style (x grid point) job, in one process on one network, resumable.

``run_batch`` plans the jobs, skips those whose output and record already exist with the same
parameters, runs the rest on one :class:`~neural_style.transfer.Engine` (or on Ray workers, one engine
each), writes each output atomically with its JSON record, and keeps ``batch.json`` and ``batch.csv``
(status, seconds and loss parts per job) up to date after every job. A job with bad input fails alone,
with its one-line error in the summary. Ray is imported only in :func:`_run_on_ray`.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from neural_style import images
from neural_style.config import ImageSource, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.library import StoredStyle
from neural_style.optimizers import StepInfo
from neural_style.outputs import run_record, spec_record
from neural_style.weights import file_sha256

SUMMARY_VERSION = 1
"""batch.json's format; bump it (and keep reading the old one) when it changes."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
MEMO_BYTES = 512 << 20
"""Targets a batch keeps for reuse (each style's Grams and each photo's content features per size)."""
STATUSES = ("done", "skipped", "failed", "interrupted", "pending")
"""done: run now; skipped: output and record of an earlier batch with the same parameters kept;
failed: its one-line error in ``error``; interrupted: stopped by a signal, not saved; pending: not reached."""
_GRID_TYPES = {float: float, int: int, str: str, bool: None}
CSV_COLUMNS = ("name", "status", "seconds", "total", "content_loss", "style_loss", "tv_loss", "content", "style",
               "params", "output", "error")


@dataclass(frozen=True)
class Job:
    """One output: a photo, one style (image file or stored style), a config (the grid point's values
    applied) and the grid point as given, ``(("style_weight", "1e3"), ...)``."""

    name: str
    content: Path
    style: StyleSpec
    style_label: str
    config: TransferConfig
    params: tuple[tuple[str, str], ...] = ()

    def output(self, out: Path) -> Path:
        return out / f"{self.name}.png"

    def identity(self, digest: Callable[[Path], str] = file_sha256) -> dict:
        """What must match for an earlier output to count as this job's: the inputs' bytes (``digest``:
        sha256 of a file; a stored style: its entry) and every parameter."""
        image = self.style.image
        style_id = repr(image.info) + image.region if isinstance(image, StoredStyle) else digest(Path(image))
        identity = {"content": str(self.content), "content_sha256": digest(self.content),
                    "style": self.style_label, "style_id": style_id, "config": asdict(self.config)}
        return json.loads(json.dumps(identity, default=str))


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


class BatchListener:
    """Progress of a batch (the CLI's bars); every method may be left as is."""

    def batch_started(self, total: int, to_run: int) -> None: ...

    def job_started(self, job: Job) -> None: ...

    def step(self, info: StepInfo) -> None: ...

    def job_finished(self, outcome: JobOutcome) -> None: ...


# --- planning -----------------------------------------------------------------------------------------

def expand_contents(items: Iterable[str | Path]) -> list[Path]:
    """Photos from files, globs (``'photos/*.jpg'``) and directories (their images, not recursive), in
    the order given, each once. A name that matches nothing is kept, so that its job fails with a
    one-line error instead of vanishing."""
    paths: list[Path] = []
    for item in items:
        text = str(item)
        if Path(text).is_dir():
            found = sorted(p for p in Path(text).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                raise NeuralStyleError(f"contents: no images in directory {text!r}")
            paths += found
        elif glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(text) if Path(p).suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise NeuralStyleError(f"contents: no images match {text!r}")
            paths += found
        else:
            paths.append(Path(text))
    return list(dict.fromkeys(paths))


def parse_grid(grid: str | Mapping[str, Sequence] | None) -> list[tuple[tuple[str, str], ...]]:
    """Every combination of ``"style_weight=1e3,1e4 content_weight=50,100"`` (or a mapping of option
    to values), in order, as ``((option, value as given), ...)``. Options are TransferConfig fields
    with one value (numbers, words, flags)."""
    if not grid:
        return [()]
    if isinstance(grid, str):
        axes = []
        for part in grid.split():
            key, eq, values = part.partition("=")
            if not eq or not key or not values:
                raise NeuralStyleError(f"grid: expected option=value,value,... Received: {part!r}")
            axes.append((key.lstrip("-"), [v for v in values.split(",") if v]))
    else:
        axes = [(key, [str(v) for v in values]) for key, values in grid.items()]
    names = {f.name: f for f in fields(TransferConfig)}
    points: list[tuple[tuple[str, str], ...]] = [()]
    for key, values in axes:
        if key not in names or type(getattr(TransferConfig(), key)) not in _GRID_TYPES:
            allowed = sorted(k for k in names if type(getattr(TransferConfig(), k)) in _GRID_TYPES)
            raise NeuralStyleError(f"grid: {key!r} is not an option with one value; use one of {', '.join(allowed)}")
        if not values:
            raise NeuralStyleError(f"grid: {key} has no values")
        if any(k == key for k, _ in points[0]):
            raise NeuralStyleError(f"grid: {key} is given twice")
        points = [point + ((key, value),) for point in points for value in values]
    return points


def _grid_value(key: str, text: str) -> object:
    default = getattr(TransferConfig(), key)
    if isinstance(default, bool):
        if text.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise NeuralStyleError(f"grid: {key} takes true or false. Received: {text!r}")
        return text.lower() in ("1", "true", "yes", "on")
    try:
        return type(default)(text)
    except ValueError:
        raise NeuralStyleError(f"grid: {key} takes {type(default).__name__} values. Received: {text!r}") from None


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._+-=" else "_" for c in text)


def style_label(style: ImageSource | StoredStyle) -> str:
    """How a style is named in job names: a file's stem, or a stored style's name."""
    return style.name if isinstance(style, StoredStyle) else Path(str(style)).stem


def plan_jobs(contents: Sequence[Path], styles: Sequence[StyleSpec], config: TransferConfig,
              grid: str | Mapping[str, Sequence] | None = None) -> list[Job]:
    """Jobs in order (content, then style, then grid point), named
    ``{content}__{style}[__{option}={value}...]``; two jobs with one name are an error."""
    points = parse_grid(grid)
    configs = [replace(config, **{k: _grid_value(k, v) for k, v in point}) for point in points]
    jobs, seen = [], {}
    for content in contents:
        for spec in styles:
            label = style_label(spec.image)
            for point, job_config in zip(points, configs, strict=True):
                name = "__".join([_safe(content.stem), _safe(label)] + [_safe(f"{k}={v}") for k, v in point])
                if name in seen:
                    raise NeuralStyleError(f"two jobs would write {name}.png ({seen[name]} and {content}); "
                                           "give the photos or styles different names")
                seen[name] = content
                jobs.append(Job(name, content, spec, label, job_config, point))
    return jobs


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


def _save(job: Job, out: Path, result, config: TransferConfig, command: Sequence[str],
          digest: Callable[[Path], str]) -> dict:
    """The job's image, then its record (atomic both): a record exists only beside its image.
    ``config``: the job's, as run (device resolved), as a single run records it."""
    output = job.output(out)
    images.save_image(output, result.image)
    record = run_record(output, job.content, [spec_record(job.style)], [], config, result, command)
    record |= {"job": job.identity(digest), "params": dict(job.params)}
    images.write_atomic(output.with_suffix(".json"), (json.dumps(record, indent=2, default=str) + "\n").encode())
    return record


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

class BatchInterrupted(KeyboardInterrupt):
    """SIGINT/SIGTERM during a batch: finished jobs and the summary are saved; ``summary`` says what."""

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
) -> BatchSummary:
    """Stylise every photo of ``contents`` (files, globs, directories) with every style (paths,
    StyleSpecs or stored styles) at every point of ``grid``; outputs ``out/{content}__{style}[__k=v].png``
    with a JSON record each, and ``out/batch.json`` + ``batch.csv``. ``ray``: None (this process),
    ``"auto"`` (a local Ray) or a cluster address. Returns the summary; raises
    :class:`BatchInterrupted` on SIGINT (SIGTERM, via the CLI) after saving it."""
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
    summary = lambda: BatchSummary(out, tuple(outcomes.values()), time.perf_counter() - start, engine)  # noqa: E731
    listener.batch_started(len(jobs), len(pending))
    for job in jobs:
        if outcomes[job.name].status != "pending":
            listener.job_finished(outcomes[job.name])
    runner = _run_local(pending, listener) if ray is None else _run_on_ray(ray, pending)
    try:
        for job, result, config, error in runner:
            if result is not None and result.stop_reason == "interrupted":
                outcomes[job.name] = _outcome(job, out, "interrupted", result.seconds)
                raise KeyboardInterrupt
            if result is None:
                outcomes[job.name] = _outcome(job, out, "failed", error=error)
            elif result.stop_reason == "nonfinite":
                outcomes[job.name] = _outcome(job, out, "failed", result.seconds,
                                              error=f"the loss became NaN or infinite at iteration {result.iterations}")
            else:
                record = _save(job, out, result, config, command, digest)
                outcomes[job.name] = _outcome(job, out, "done", result.seconds, record)
            listener.job_finished(outcomes[job.name])
            write_summary(summary())
    except KeyboardInterrupt:
        runner.close()
        final = summary()
        write_summary(final)
        raise BatchInterrupted(final) from None
    final = summary()
    write_summary(final)
    return final


Outcome = tuple[Job, "object | None", TransferConfig, str]
"""(job as planned, TransferResult or None, its config as run, one-line error)."""


def _run_local(jobs: Sequence[Job], listener: BatchListener) -> Iterator[Outcome]:
    """Every job in this process, on one engine: the network is built once, a shape traced once, and
    each style's targets at a size computed once."""
    from neural_style.transfer import Engine, resolve_device, run_transfer

    engine = Engine(memo_bytes=MEMO_BYTES)
    for job in jobs:
        listener.job_started(job)
        config = job.config
        try:
            config = replace(job.config, device=resolve_device(job.config.device)[0])
            yield job, run_transfer(job.content, [job.style], config, listener.step, engine), config, ""
        except NeuralStyleError as exc:
            yield job, None, config, str(exc)
        except Exception as exc:  # noqa: BLE001 - a fault in one job must not stop the batch
            yield job, None, config, internal_error(exc)
        except KeyboardInterrupt:
            yield job, _Interrupted(), config, ""


def internal_error(exc: Exception) -> str:
    """A job's unexpected fault as its one summary line."""
    return f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@dataclass(frozen=True)
class _Interrupted:
    """A job stopped before its first scale finished: nothing to save."""

    stop_reason: str = "interrupted"
    seconds: float = 0.0


# --- Ray ----------------------------------------------------------------------------------------------

RAY_INSTALL = 'pip install "neural-style[ray]"'


class _RayWorker:
    """A Ray actor: one engine for all the jobs it is given; inputs arrive as bytes and are written to
    its own temporary folder, so the workers need not share the driver's files."""

    def __init__(self) -> None:
        from neural_style.transfer import Engine

        self.engine = Engine(memo_bytes=MEMO_BYTES)
        self.folder = Path(tempfile.mkdtemp(prefix="neural-style-worker-"))

    def _local(self, name: str, data: bytes) -> Path:
        path = self.folder / file_digest(data) / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return path

    def run(self, job: Job, files: dict):
        """``(TransferResult or None, config as run, error)``; ``files``: ``{driver path: Ray reference
        to (file name, bytes)}``."""
        import ray

        from neural_style.transfer import resolve_device, run_transfer

        files = {key: ray.get(ref) for key, ref in files.items()}
        def local(value):
            if isinstance(value, StoredStyle):
                return replace(value, library=self._local(*files[str(value.library)]))
            return self._local(*files[str(value)]) if str(value) in files else value

        try:
            config = replace(job.config, device=resolve_device(job.config.device)[0])
            style = replace(job.style, image=local(job.style.image))
            return run_transfer(local(job.content), [style], config, None, self.engine), config, ""
        except NeuralStyleError as exc:
            return None, job.config, str(exc)
        except Exception as exc:  # noqa: BLE001 - a fault in one job must not stop the batch
            return None, job.config, internal_error(exc)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def size_groups(jobs: Sequence[Job], workers: int, shape_of: Callable[[Job], tuple]) -> list[list[Job]]:
    """Jobs split among ``workers`` so that each worker's jobs share as few image sizes as possible:
    each size's jobs go to one worker, or, with fewer sizes than workers, are split evenly among a
    share of them; the least loaded worker (by pixels) takes the next chunk."""
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault(shape_of(job), []).append(job)
    total = len(jobs)
    chunks = []
    for shape, members in groups.items():
        pieces = max(1, min(len(members), round(workers * len(members) / max(total, 1)))) if len(groups) < workers else 1
        step = math.ceil(len(members) / pieces)
        chunks += [(shape, members[i:i + step]) for i in range(0, len(members), step)]
    loads = [0.0] * workers
    assigned: list[list[Job]] = [[] for _ in range(workers)]
    for shape, chunk in sorted(chunks, key=lambda c: -len(c[1]) * math.prod(c[0] or (1,))):
        k = loads.index(min(loads))
        assigned[k] += chunk
        loads[k] += len(chunk) * math.prod(shape or (1,))
    return [a for a in assigned if a]


def _run_on_ray(address: str, jobs: Sequence[Job]) -> Iterator[Outcome]:
    """The jobs as tasks of Ray actors (one engine each, jobs grouped by size); ``address`` ``auto``
    starts a local Ray with this machine's CPUs, otherwise joins that cluster. Results come back to
    this process, which writes every file."""
    try:
        import ray
    except ImportError:
        raise NeuralStyleError(f"--ray needs Ray, an optional extra: {RAY_INSTALL}") from None
    import logging

    if not jobs:
        return
    started = not ray.is_initialized()
    if started:
        options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        try:
            ray.init(**options) if address == "auto" else ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise NeuralStyleError(f"--ray {address}: cannot start or join Ray: {str(exc).splitlines()[0]}") from None
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        shapes: dict[Path, tuple] = {}

        def shape_of(job: Job) -> tuple:
            if job.content not in shapes:
                try:
                    shapes[job.content] = images.load_image(job.content, "content", job.config.max_size).shape[:2]
                except NeuralStyleError:
                    shapes[job.content] = ()
            return (*shapes[job.content], job.config.max_size)

        worker_class = ray.remote(num_cpus=1)(_RayWorker)
        refs = {}
        sent: dict[str, ray.ObjectRef] = {}

        def files_of(job: Job) -> dict:
            paths = [job.content] + ([job.style.image.library] if isinstance(job.style.image, StoredStyle)
                                     else [job.style.image])
            files = {}
            for path in paths:
                key = str(path)
                if key not in sent and Path(path).is_file():
                    sent[key] = ray.put((Path(path).name, Path(path).read_bytes()))
                if key in sent:
                    files[key] = sent[key]
            return files

        for chunk in size_groups(jobs, min(cpus, len(jobs)), shape_of):
            worker = worker_class.remote()
            for job in chunk:
                refs[worker.run.remote(job, files_of(job))] = job
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            job = refs.pop(ready[0])
            result, config, error = ray.get(ready[0])
            yield job, result, config, error
    finally:
        if started:
            ray.shutdown()
