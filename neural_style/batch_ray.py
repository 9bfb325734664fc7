"""A batch on Ray: jobs grouped by image size on actors that each keep one engine; inputs travel as
bytes and results come back to the driver, which writes every file. Ray is imported only here, on use."""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from neural_style import images
from neural_style.batch_jobs import MEMO_BYTES, Job, Outcome, run_job
from neural_style.cancel import CancelToken
from neural_style.errors import NeuralStyleError
from neural_style.library import StoredStyle

RAY_INSTALL = 'pip install "neural-style[ray]"'


class _RayWorker:
    """A Ray actor: one engine for all the jobs it is given; a job's inputs arrive as bytes and are
    written to a temporary folder of its own, removed when the job ends, so the workers need not share
    the driver's files and leave none of them behind (a worker killed by a cancel leaves its job's)."""

    def __init__(self) -> None:
        from neural_style.scales import Engine

        self.engine = Engine(memo_bytes=MEMO_BYTES)

    def run(self, job: Job, files: dict):
        """``(TransferResult or None, description, error)``; ``files``: ``{driver path: Ray reference
        to (file name, bytes)}``."""
        import ray

        files = {key: ray.get(ref) for key, ref in files.items()}
        with tempfile.TemporaryDirectory(prefix="neural-style-job-") as folder:
            def write(name: str, data: bytes) -> Path:
                path = Path(folder) / file_digest(data) / name  # two inputs may share a name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                return path

            def local(value):
                if isinstance(value, StoredStyle):
                    return replace(value, library=write(*files[str(value.library)]))
                return write(*files[str(value)]) if str(value) in files else value

            return run_job(job, local(job.content), replace(job.style, image=local(job.style.image)),
                           self.engine, None, None)


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


def run_on_ray(address: str, jobs: Sequence[Job], cancel: CancelToken | None) -> Iterator[Outcome]:
    """The jobs as tasks of Ray actors (one engine each, jobs grouped by size); ``address`` ``auto``
    starts a local Ray with this machine's CPUs, otherwise joins that cluster. Results come back to
    this process, which writes every file. Once ``cancel`` is set no further result is taken and Ray
    is shut down (the jobs running then are run again by the same command)."""
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
        while refs and not (cancel is not None and cancel.cancelled):
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=0.5)
            if ready:
                job = refs.pop(ready[0])
                yield job, *ray.get(ready[0])
    finally:
        if started:
            ray.shutdown()
