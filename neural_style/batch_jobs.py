"""A batch's jobs: planned from photos, styles and a grid of options (:func:`plan_jobs`), and each one
run through the application layer (:func:`run_job`) on a shared engine."""

from __future__ import annotations

import glob
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from neural_style.cancel import Cancelled, CancelToken
from neural_style.config import ImageSource, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.library import StoredStyle
from neural_style.listeners import Listener
from neural_style.weights import file_sha256

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".heif", ".avif")
MEMO_BYTES = 512 << 20
"""Targets a batch keeps for reuse (each style's Grams and each photo's content features per size)."""
_GRID_TYPES = {float: float, int: int, str: str, bool: None}


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


Outcome = tuple[Job, "object | None", dict, str]
"""(job as planned, TransferResult or None, the run as its record describes it (:func:`runs.describe`),
one-line error)."""


def run_job(job: Job, content: Path, style: StyleSpec, engine, listener: Listener | None,
             cancel: CancelToken | None) -> tuple[object | None, dict, str]:
    """One job through the application layer, on ``engine`` (a :class:`~neural_style.scales.Engine`),
    ``content`` and ``style`` as this process has them: ``(TransferResult or None, description, error)``."""
    from neural_style.runs import Request, describe, execute, prepare

    try:
        prepared = prepare(Request(content, (style,), job.config))
        return execute(prepared, listener, cancel, engine), describe(prepared), ""
    except Cancelled:
        return _Interrupted(), {}, ""
    except NeuralStyleError as exc:
        return None, {}, str(exc)
    except Exception as exc:  # noqa: BLE001 - a fault in one job must not stop the batch
        return None, {}, internal_error(exc)


def internal_error(exc: Exception) -> str:
    """A job's unexpected fault as its one summary line."""
    return f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@dataclass(frozen=True)
class _Interrupted:
    """A job stopped before its first scale finished: nothing to save."""

    stop_reason: str = "interrupted"
    seconds: float = 0.0
