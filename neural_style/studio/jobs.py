"""The studio's work, kept in its folder: paintings, jobs and their results, and the one thread that
runs jobs through the application layer (:mod:`neural_style.runs`) with one shared engine.

Folder layout (``--data``, default ``~/.local/share/neural-style/studio``)::

    uploads/<id>.png            photos, masks and segmentations, by content (studio.uploads)
    paintings/<id>.png          paintings added in the studio; paintings.json names them
    jobs/<job>/job.json         what was asked and where it stands (format JOB_FORMAT)
    jobs/<job>/result.png/.json the image and its run record (runs.save)
    jobs/<job>/preview.jpg      the latest image while it runs (what an interrupted job shows)
    jobs/<job>/result.checkpoint.npz   where a running job stands, to resume after a restart

A job's state: queued, running, done, cancelled (stopped by the user; its best image is kept when
the first scale had finished), failed (bad input or an error: ``message`` says which), interrupted
(the server stopped while it ran and no checkpoint was left).
"""

from __future__ import annotations

import json
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from neural_style import images
from neural_style.cancel import Cancelled, CancelToken
from neural_style.checkpoints import Checkpointing, checkpoint_path, load_checkpoint
from neural_style.errors import NeuralStyleError
from neural_style.library import StyleLibrary
from neural_style.listeners import Listener
from neural_style.request import Request, check_inputs
from neural_style.studio.paintings import Paintings
from neural_style.studio.specs import (
    JobSpec,
    build_request,
    command_line,
    parse_spec,
    with_full_masks,
)
from neural_style.studio.uploads import Upload, encode_upload, store_upload, upload_path

JOB_FORMAT = 1
"""Version of job.json; a later version reads every earlier one (tests/test_studio.py)."""
STATES = ("queued", "running", "done", "cancelled", "failed", "interrupted")
PREVIEW_EVERY = 5
"""Iterations between preview images (the first iteration always sends one)."""
CHECKPOINT_EVERY = 10
"""Iterations between checkpoints, so that a job resumes after the server was killed."""

JOB_DEFAULTS = {"message": "", "iteration": 0, "max_iterations": 0, "preview": 0, "result": False}
"""What a job starts with, and what an older job.json lacking a field reads as."""

Event = dict
Subscriber = Callable[[Event], None]


class JobStore:
    """Jobs as folders under ``root``: job.json written atomically, read back after a restart."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def folder(self, job_id: str) -> Path:
        """A job's folder, after checking the id's form (12 hex digits) and that the job exists."""
        if not isinstance(job_id, str) or len(job_id) != 12 or any(c not in "0123456789abcdef" for c in job_id):
            raise NeuralStyleError(f"not a job id: {str(job_id)[:40]!r}")
        folder = self.root / job_id
        if not (folder / "job.json").is_file():
            raise NeuralStyleError(f"no job {job_id}")
        return folder

    def create(self, spec: JobSpec, command: list[str]) -> dict:
        job_id = uuid.uuid4().hex[:12]
        (self.root / job_id).mkdir()
        job = {"format": JOB_FORMAT, "id": job_id, "state": "queued", "created": time.time(), "spec": spec.as_json(),
               "command": command, **JOB_DEFAULTS}
        self.write(job)
        return job

    def write(self, job: dict) -> None:
        images.write_atomic(self.root / job["id"] / "job.json", json.dumps(job, indent=1).encode())

    def delete(self, job_id: str) -> None:
        """Remove a job's folder: renamed first, so that a deletion cut short leaves no half job."""
        gone = self.root / f".deleted-{job_id}"
        self.folder(job_id).rename(gone)
        shutil.rmtree(gone, ignore_errors=True)

    def read(self, job_id: str) -> dict:
        job = json.loads((self.folder(job_id) / "job.json").read_text())
        return upgrade_job(job)

    def all(self) -> list[dict]:
        """Every readable job, oldest first (a damaged job.json is skipped, not fatal)."""
        jobs = []
        for path in self.root.glob("[0-9a-f]*/job.json"):  # not a deletion cut short (".deleted-ID")
            try:
                jobs.append(upgrade_job(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError):
                continue
        return sorted(jobs, key=lambda job: job["created"])


def upgrade_job(job: dict) -> dict:
    """A job.json of any format as the current one (format 1 is the first; fields added later get
    their defaults here)."""
    if job.get("format", 1) > JOB_FORMAT:
        raise ValueError(f"job format {job['format']} is newer than this studio's {JOB_FORMAT}")
    return JOB_DEFAULTS | job | {"format": JOB_FORMAT}


class JobListener(Listener):
    """A run's events as studio events: progress every iteration, a preview image (written to the
    job's folder) every :data:`PREVIEW_EVERY` iterations, notes."""

    def __init__(self, studio: Studio, job: dict, scales: int) -> None:
        self.studio, self.job, self.scales = studio, job, scales
        self.folder = studio.store.root / job["id"]

    def step(self, info) -> None:
        job = self.job
        job["iteration"], job["max_iterations"] = info.iteration, info.max_iterations
        event = {"type": "progress", "job": job["id"], "iteration": info.iteration,
                 "max_iterations": info.max_iterations, "scale": info.scale, "scales": self.scales, "size": info.size,
                 "loss": float(info.total), "parts": {k: float(v) for k, v in info.parts.items()}}
        if info.iteration == 1 or info.iteration % PREVIEW_EVERY == 0:
            images.write_atomic(self.folder / "preview.jpg", images.encode_image(images.to_uint8(info.image), ".jpg"))
            job["preview"] = info.iteration
            event["preview"] = info.iteration
        self.studio.publish(event)

    def checkpoint(self, checkpoint) -> None:
        self.studio.store.write(self.job)  # the iteration it stands at, beside the checkpoint

    def note(self, text: str) -> None:
        self.studio.publish({"type": "note", "job": self.job["id"], "text": text})


class Studio:
    """The studio's state and its worker: submit jobs, cancel them, subscribe to their events. One
    thread runs one job at a time with one :class:`~neural_style.scales.Engine` (networks and traced
    graphs shared across jobs; ``engine`` to share one). Thread-safe; subscribers are called from the
    worker thread."""

    def __init__(self, root: Path, library: str | Path | None = None, engine=None) -> None:
        self.root = root
        self.uploads = root / "uploads"
        self.library = StyleLibrary(library)
        self.paintings = Paintings(root / "paintings", self.library)
        self.store = JobStore(root / "jobs")
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._cancels: dict[str, CancelToken] = {}
        self._live: dict[str, dict] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._engine = engine  # built on the first job unless given (tests share theirs)
        self._closing = False
        self._thread = threading.Thread(target=self._work, name="studio-worker", daemon=True)
        self._recover()
        self._thread.start()

    # -- events ---------------------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber(event)`` for every event from now on; returns the function that stops it."""
        with self._lock:
            self._subscribers.append(subscriber)
        return lambda: self._unsubscribe(subscriber)

    def _unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber(event)

    # -- jobs -----------------------------------------------------------------------------------------

    def submit(self, data: dict) -> dict:
        """Check a job (a one-line NeuralStyleError for bad input) and queue it."""
        spec = with_full_masks(parse_spec(data), self.uploads)
        request = self._request(spec)  # every input resolved and checked now, not when it runs
        check_inputs(request.content, request.styles, request.segmentation, request.config)
        job = self.store.create(spec, self._command(spec))
        self._queue.put(job["id"])
        self.publish({"type": "state", "job": job["id"], "state": "queued", "message": "", "result": False})
        return job

    def _request(self, spec: JobSpec) -> Request:
        return build_request(spec, self.uploads, self.paintings, self.library)

    def _command(self, spec: JobSpec) -> list[str]:
        return command_line(spec, lambda name: self.paintings.file(name) is not None)

    def command_line(self, data: dict) -> list[str]:
        """The command line a job's JSON would run, without queueing it."""
        return self._command(with_full_masks(parse_spec(data), self.uploads))

    def job(self, job_id: str) -> dict:
        with self._lock:
            live = self._live.get(job_id)
        return dict(live) if live is not None else self.store.read(job_id)

    def jobs(self) -> list[dict]:
        with self._lock:
            live = dict(self._live)
        return [live.get(job["id"], job) for job in self.store.all()]

    def cancel(self, job_id: str) -> dict:
        """Stop a running job (its best image is kept) or drop a queued one."""
        job = self.job(job_id)
        with self._lock:  # the worker takes a job under the same lock: either it runs and sees the
            token = self._cancels.setdefault(job_id, CancelToken())  # token, or it is still queued here
            token.cancel()
            waiting = job_id not in self._live
        if waiting and job["state"] == "queued":
            self._set_state(job, "cancelled", "cancelled before it started")
        return self.job(job_id)

    def delete(self, job_id: str) -> dict:
        """Remove a finished, cancelled, failed or interrupted job with its images; a queued or running
        one must be cancelled first."""
        job = self.job(job_id)
        if job["state"] in ("queued", "running"):
            raise NeuralStyleError(f"job {job_id} is {job['state']}: cancel it first")
        self.store.delete(job_id)
        self.publish({"type": "deleted", "job": job_id})
        return {"deleted": job_id}

    def _set_state(self, job: dict, state: str, message: str = "") -> None:
        job["state"], job["message"] = state, message
        job["result"] = (self.store.root / job["id"] / "result.png").is_file()
        self.store.write(job)
        self.publish({"type": "state", "job": job["id"], "state": state, "message": message, "result": job["result"]})

    def close(self) -> None:
        """Stop the worker after cancelling what runs; a running job stays ``running`` with its
        checkpoint, and resumes when the studio starts again (as after a kill)."""
        self._closing = True
        with self._lock:
            tokens = list(self._cancels.values())
        for token in tokens:
            token.cancel()
        self._queue.put(None)
        self._thread.join(timeout=30)

    # -- helpers for the page ----------------------------------------------------------------------

    def grabcut(self, data: dict) -> Upload:
        """A mask from rough strokes on the photo (``{"photo", "subject", "background"}``: upload ids;
        the strokes are masks at the photo's size), kept as an upload."""
        from neural_style.subject import grabcut_mask, stroke_hints

        photo = images.load_image(upload_path(self.uploads, data.get("photo")), "photo")
        subject = images.load_mask(upload_path(self.uploads, data.get("subject")), "subject strokes")
        background = None
        if data.get("background"):
            background = images.load_mask(upload_path(self.uploads, data["background"]), "background strokes")
        if subject.shape != photo.shape[:2] or (background is not None and background.shape != subject.shape):
            raise NeuralStyleError("grabcut: strokes must be at the photo's size")
        mask = grabcut_mask(photo, stroke_hints(subject, background))
        return store_upload(self.uploads, encode_upload(mask), "mask")

    def describe_regions(self, data: dict) -> dict:
        """For a job's JSON with segmentations: the note the command line prints (``note``) and the
        regions (``regions``: name, colour, share of the photo, share of each painting or None)."""
        from neural_style.segmentation import describe_regions, segmentation_styles

        request = self._request(parse_spec(data))
        if request.segmentation is None:
            raise NeuralStyleError("load a segmentation of the photo first")
        _, regions = segmentation_styles(request.segmentation.content, list(request.styles),
                                         list(request.segmentation.styles), request.config.max_size)
        return {"note": describe_regions(regions),
                "regions": [{"name": r.name, "colour": list(r.colour), "content_share": r.content_share,
                             "style_shares": list(r.style_shares)} for r in regions]}

    # -- the worker -----------------------------------------------------------------------------------

    def _recover(self) -> None:
        """After a restart: queued jobs go back in the queue; a job that was running resumes from its
        checkpoint, or is shown as interrupted (with its last preview) when it left none."""
        for job in self.store.all():
            if job["state"] == "queued":
                self._queue.put(job["id"])
            elif job["state"] == "running":
                if checkpoint_path(self.store.root / job["id"] / "result.png").exists():
                    job["state"], job["message"] = "queued", "resumes from its checkpoint"
                    self.store.write(job)
                    self._queue.put(job["id"])
                else:
                    job["state"], job["message"] = "interrupted", "the studio stopped while it ran"
                    self.store.write(job)

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            job = self.store.read(job_id)
            if job["state"] != "queued":
                continue  # cancelled while it waited
            with self._lock:
                token = self._cancels.setdefault(job_id, CancelToken())
                if token.cancelled:  # cancelled while it waited (cancel marks it)
                    continue
                self._live[job_id] = job
            try:
                self._run(job, token)
            finally:
                with self._lock:
                    self._live.pop(job_id, None)
                    self._cancels.pop(job_id, None)

    def _run(self, job: dict, cancel: CancelToken) -> None:
        from neural_style.runs import CheckpointFile, describe, execute, prepare, save
        from neural_style.scales import Engine

        output = self.store.root / job["id"] / "result.png"
        resume = checkpoint_path(output)
        self._set_state(job, "running", job["message"] if resume.exists() else "")
        try:
            prepared = prepare(self._request(JobSpec.from_json(job["spec"])))
            checkpointing = Checkpointing(CHECKPOINT_EVERY, load_checkpoint(resume) if resume.exists() else None)
            self._engine = self._engine or Engine()
            scales = len(prepared.plan.config.schedule(*prepared.shape))
            listener = CheckpointFile(JobListener(self, job, scales), resume)
            result = execute(prepared, listener, cancel, self._engine, checkpointing)
            if self._closing and result.stop_reason == "interrupted":
                return  # left running, with its checkpoint: the next start resumes it
            save(output, result, describe(prepared), job["command"], {"studio_job": job["id"]})
            resume.unlink(missing_ok=True)
        except Cancelled:
            if self._closing:
                return
            resume.unlink(missing_ok=True)
            self._set_state(job, "cancelled", "cancelled before the first scale finished; nothing to keep")
            return
        except NeuralStyleError as exc:
            self._set_state(job, "failed", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the studio
            self._set_state(job, "failed", f"internal error: {type(exc).__name__}: {exc}")
            return
        job["iteration"], job["stop_reason"] = result.iterations, result.stop_reason
        if result.stop_reason == "interrupted":
            self._set_state(job, "cancelled", f"cancelled at iteration {result.iterations}; the best image is kept")
        elif result.stop_reason == "nonfinite":
            self._set_state(job, "failed", "the loss became NaN or infinite; the last finite image is kept")
        else:
            self._set_state(job, "done", f"{result.iterations} iterations, {result.seconds:.1f} s")
