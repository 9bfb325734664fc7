"""The application layer: one way to run style transfer under every front end (the command line, batch
runs and their Ray workers, the Python API; the studio and video build on the same calls).

    prepared = prepare(Request(content, styles, config))   # inputs read and checked, plan decided, once
    result = execute(prepared, listener, cancel)            # the scales (neural_style.transfer)
    record = save(prepared, result, output)                 # image and record, atomically

A request is what the user asked; :class:`Prepared` keeps beside it what was decided (device,
precision, memory plan), so a record's ``config`` and a resume's comparison are the user's settings,
never the plan (which follows the free memory of the moment).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from neural_style import colour, images
from neural_style.cancel import CancelToken
from neural_style.checkpoints import (
    Checkpoint,
    Checkpointing,
    checkpoint_path,
    load_checkpoint,
    save_checkpoint,
)
from neural_style.config import ImageSource, OutputConfig, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.features import emulated_precision_note, resolve_precision
from neural_style.library import StoredStyle, StyleLibrary
from neural_style.listeners import Listener, StepCallback
from neural_style.optimizers import StepInfo
from neural_style.outputs import run_record, spec_record, versions, write_record
from neural_style.planner import Plan, plan_run
from neural_style.request import Request, Segmentation, check_inputs
from neural_style.scales import Engine, Networks
from neural_style.segmentation import Region, segmentation_styles
from neural_style.styles import PreparedStyle, check_stored, prepare_styles
from neural_style.terms import TemporalTerm
from neural_style.transfer import TransferResult, resolve_device, run_scales

__all__ = ["Prepared", "Request", "Segmentation", "execute", "for_frame", "prepare", "run_transfer", "save", "stylize"]

FINISHED = ("completed", "converged", "line_search_failed", "evaluations")
"""Stop reasons of a run that ended by itself: nothing is left to resume."""


@dataclass(frozen=True)
class Prepared:
    """A request made ready to run. ``config``: the request's, device resolved (what records keep and
    a resume compares); ``plan``: what will run (``plan.config`` may use Adam or tiles to fit the
    memory); ``specs``: the styles by region (segmentations) and after ``cache_styles``;
    ``content``: the photo at its output size, RGB ``[H, W, 3]`` float32 0..255 (``content_run``: its
    luminance under ``luminance_only``); ``styles``: loaded and weighed; ``start``: the start image
    ``[H, W, 3]`` or None; ``notes``: one-line notes for the user (a device fallback, a changed plan;
    the regions are described by :func:`describe_regions`); ``seconds``: time taken so far."""

    request: Request
    config: TransferConfig
    plan: Plan
    device: str
    precision: str
    specs: tuple[StyleSpec, ...]
    regions: tuple[Region, ...]
    content: np.ndarray = field(repr=False)
    content_run: np.ndarray = field(repr=False)
    styles: tuple[PreparedStyle, ...] = field(repr=False)
    start: np.ndarray | None = field(repr=False)
    notes: tuple[str, ...]
    seconds: float

    @property
    def shape(self) -> tuple[int, int]:
        """The output's ``(height, width)``."""
        return self.content.shape[:2]


def _cache_styles(library: StyleLibrary, specs: Sequence[StyleSpec], segmentation: Segmentation | None,
                  config: TransferConfig) -> tuple[list[StyleSpec], Segmentation | None]:
    """Each style file (with its segmentation) replaced by its library entry, added on first use with
    the sizes this run needs (more added when a later run needs them); the segmentation left is the
    content's only."""
    from neural_style.library_build import find_or_add

    segs = iter(segmentation.styles if segmentation else ())
    out = []
    for spec in specs:
        if isinstance(spec.image, StoredStyle):
            out.append(spec)
            continue
        stored = find_or_add(library, spec.image, next(segs, None), config.weights, config.pooling_type,
                             round(config.style_scale * config.max_size))
        out.append(replace(spec, image=stored))
    return out, None if segmentation is None else Segmentation(segmentation.content)


def prepare(request: Request) -> Prepared:
    """Read and check the inputs, resolve stored styles and regions, decide device, precision and
    memory plan: everything before a network is built. Bad input raises a one-line
    :class:`~neural_style.errors.NeuralStyleError`."""
    start_time = time.perf_counter()
    config = request.config
    specs = [s if isinstance(s, StyleSpec) else StyleSpec(s) for s in request.styles]
    if not specs:
        raise NeuralStyleError("at least one style image is needed")
    segmentation = request.segmentation
    check_inputs(request.content, specs, segmentation, config)
    if segmentation is not None and segmentation.automatic:
        from neural_style.regions import auto_segmentation

        segmentation = auto_segmentation(segmentation, request.content, specs, config)
    if request.cache_styles:
        specs, segmentation = _cache_styles(StyleLibrary(request.library), specs, segmentation, config)
    regions: list[Region] = []
    if segmentation is not None:
        specs, regions = segmentation_styles(segmentation.content, specs, list(segmentation.styles), config.max_size,
                                             round(config.style_scale * config.max_size))
    check_stored(specs, config)
    device, warning = resolve_device(config.device)
    content = images.read_image(request.content, "content_img", config.max_size, config.enlarge)
    space = config.color_convert_type
    recolour = colour.style_recolouring(content, config.color_transfer, config.luminance_only, space)
    styles = prepare_styles(specs, content.shape[:2], config.style_scale, recolour)
    content_run = colour.luminance_image(content, space) if config.luminance_only else content
    precision = resolve_precision(config.precision, device)
    masked_terms = len({s.group for s in styles if s.mask is not None})
    plan = plan_run(config, content.shape[:2], masked_terms, precision)  # refuses before any network is built
    start = None
    if request.start is not None:
        start = images.resize_to(images.read_image(request.start, "start image", max(content.shape[:2]), True),
                                 *content.shape[:2])
    notes = [note for note in (warning, emulated_precision_note(config.precision, device), plan.note) if note]
    return Prepared(request, replace(config, device=device), plan, device, precision, tuple(specs), tuple(regions),
                    content, content_run, tuple(styles), start, tuple(notes), time.perf_counter() - start_time)


def for_frame(prepared: Prepared, content: np.ndarray, start: np.ndarray | None) -> Prepared:
    """``prepared`` for another photo of its size (a video's next frame, RGB ``[H, W, 3]`` float32
    0..255) and start image: styles, plan and device as decided; its notes said once, not again."""
    if content.shape[:2] != prepared.shape:
        raise ValueError(f"a frame of {content.shape[:2]} for a run prepared at {prepared.shape}")
    config = prepared.config
    content_run = colour.luminance_image(content, config.color_convert_type) if config.luminance_only else content
    return replace(prepared, content=content, content_run=content_run, start=start, notes=())


def execute(prepared: Prepared, listener: Listener | None = None, cancel: CancelToken | None = None,
            engine: Engine | None = None, checkpointing: Checkpointing | None = None,
            temporal: TemporalTerm | None = None) -> TransferResult:
    """Run a prepared request: the plan's scales (:func:`transfer.run_scales`), then colour finishing.
    ``listener`` receives every event (notes first); ``cancel`` stops the run within an iteration,
    returning the best image so far (stop reason ``interrupted``; :class:`~neural_style.cancel.Cancelled`
    if not one iteration ran). ``engine``: networks kept from earlier runs (a batch, the studio);
    ``checkpointing``: checkpoints to the listener every so many iterations, or a run resumed;
    ``temporal``: a video frame's tie to the frame before, a term of its full-size scale."""
    listener = listener or Listener()
    for note in prepared.notes:
        listener.note(note)
    start = time.perf_counter()
    config = prepared.plan.config
    networks = Networks(engine or Engine(), config, prepared.precision)
    image, last, reports = run_scales(networks, prepared.content_run, prepared.styles, prepared.start, prepared.device,
                                      listener, cancel, checkpointing, temporal)
    final = colour.finish_colours(images.resize_to(image, *prepared.shape), prepared.content, config.original_colors,
                                  config.luminance_only, config.color_convert_type)
    return TransferResult(
        images.to_uint8(final), sum(r.iterations for r in reports), last.total, last.parts, last.stop_reason,
        prepared.seconds + time.perf_counter() - start, prepared.device, networks.precision, tuple(reports),
        last.terms, np.clip(final, 0.0, 255.0).astype(np.float32),
    )


def plan_record(plan: Plan) -> dict:
    """What the planner decided, for the record beside the user's ``config``."""
    return {"optimizer": plan.config.optimizer, "tile": plan.config.tile, "predicted_bytes": plan.predicted,
            "budget_bytes": plan.budget, "note": plan.note}


def describe(prepared: Prepared) -> dict:
    """What a record keeps of a prepared run: the photo, the styles (by region), the regions, the
    user's settings (``config``) and, beside them, the memory plan (``plan``); ``input_profiles``
    where an input's colours were converted to sRGB."""
    content = prepared.request.content
    described = {"content_img": f"array {list(content.shape)}" if isinstance(content, np.ndarray) else str(content),
                 "styles": [spec_record(s) for s in prepared.specs],
                 "regions": [asdict(r) | {"name": r.name} for r in prepared.regions],
                 "config": asdict(prepared.config), "plan": plan_record(prepared.plan)}
    profiles = input_profiles(prepared.request)
    return described | {"input_profiles": profiles} if profiles else described


def input_profiles(request: Request) -> dict[str, str]:
    """The colour profiles the input files were converted from to sRGB, by option (``{"content_img":
    "Display P3"}``); only files that had one (:func:`images.icc_profile_name`)."""
    styles = [s.image if isinstance(s, StyleSpec) else s for s in request.styles]
    files = {"content_img": request.content, **{f"style_imgs[{k}]": image for k, image in enumerate(styles)}}
    names = {key: images.icc_profile_name(path) for key, path in files.items() if isinstance(path, (str, Path))}
    return {key: name for key, name in names.items() if name}


def save(output: Path, result: TransferResult, described: dict, command: Sequence[str] = (),
         extra: dict | None = None, *, options: OutputConfig | None = None, content: ImageSource | None = None) -> dict:
    """Write the image, then its JSON record (both atomically: a record exists only beside its image),
    and remove the run's checkpoint once nothing is left to resume. ``described``: :func:`describe`
    of the prepared run (small: a Ray worker sends it back with the result); ``extra``: more record
    fields (a resumed run's identity, a batch job's); ``options``: how the image is written (default
    :class:`OutputConfig`: 8 bits, an sRGB profile), recorded when given; ``content``: the photo whose
    EXIF the image keeps, unless ``options.strip_metadata`` (a path; None or an array: no EXIF).
    Returns the record."""
    settings = options or OutputConfig()
    pixels = result.float_image if settings.bit_depth == 16 and result.float_image is not None else result.image
    exif = None if settings.strip_metadata or not isinstance(content, (str, Path)) else images.output_exif(content)
    images.save_image(output, pixels, bit_depth=settings.bit_depth, quality=settings.quality, exif=exif)
    record = run_record(output, described, result, command) | (extra or {})
    if options is not None:
        record["output_options"] = asdict(options)
    write_record(output, record)
    if result.stop_reason in FINISHED:
        checkpoint_path(output).unlink(missing_ok=True)  # finished: nothing left to resume
    return record


# --- checkpoints and resume -----------------------------------------------------------------------------

def _identity(prepared: Prepared) -> dict:
    """What a resumed run must share with its record: photo, styles and settings, not the plan."""
    described = describe(prepared)
    return {key: described[key] for key in ("content_img", "styles", "config")}


def start_record(prepared: Prepared, output: Path, identity: dict) -> dict:
    """The provisional record of a checkpointed run (status ``running``), written before it starts:
    what a resume must match (:func:`resume_from`)."""
    record = {"status": "running", "output": str(output), **_identity(prepared)} | identity
    record = json.loads(json.dumps(record, default=str))
    write_record(output, record | {"checkpoint": str(checkpoint_path(output)), "versions": versions()})
    return record


def resume_from(prepared: Prepared, output: Path, earlier: dict, identity: dict, source: str) -> Checkpoint:
    """The checkpoint of the run recorded in ``earlier`` (its record, read from ``source``), if this
    prepared run is that run: the same photo, styles, settings (the user's: the plan may differ, as
    the free memory does) and input bytes. Otherwise one line saying what differs."""
    record = json.loads(json.dumps(_identity(prepared) | identity, default=str))
    defaults = json.loads(json.dumps(asdict(TransferConfig()), default=str))
    if isinstance(earlier.get("config"), dict):  # a setting added since the record was written ran at its default
        earlier = earlier | {"config": defaults | earlier["config"]}
    for key in ("content_img", "styles", "config", "inputs"):
        if earlier.get(key) != record.get(key):
            raise NeuralStyleError(f"resume: {_difference(key, earlier.get(key), record.get(key))} differs from the "
                                   f"record {source!r}; a resumed run keeps its settings and inputs")
    path = checkpoint_path(output)
    if earlier.get("stop_reason") in FINISHED and not path.exists():
        raise NeuralStyleError(f"resume: the run of {source!r} already finished ({earlier['stop_reason']}); "
                               "nothing to resume")
    return load_checkpoint(path)


def _difference(key: str, before, now) -> str:
    """Name what changed between a record and a resumed run, as a user would say it."""
    if key == "config" and isinstance(before, dict):
        changed = [k for k in now if before.get(k) != now[k]]
        return ", ".join(f"--{k} ({before.get(k)!r} there, {now[k]!r} now)" for k in changed[:3])
    if key == "inputs" and isinstance(before, dict):
        changed = [k for k in set(before) | set(now) if before.get(k) != now.get(k)]
        return "the contents of " + ", ".join(sorted(changed)[:3])
    return key


class CheckpointFile(Listener):
    """Forwards every event to ``inner`` and writes each checkpoint to ``path`` (atomically)."""

    def __init__(self, inner: Listener, path: Path) -> None:
        self.inner, self.path = inner, path

    def step(self, info: StepInfo) -> None:
        self.inner.step(info)

    def scale_started(self, scale: int, size: int, iterations: int) -> None:
        self.inner.scale_started(scale, size, iterations)

    def scale_finished(self, report) -> None:
        self.inner.scale_finished(report)

    def checkpoint(self, checkpoint: Checkpoint) -> None:
        save_checkpoint(self.path, checkpoint)
        self.inner.checkpoint(checkpoint)

    def note(self, text: str) -> None:
        self.inner.note(text)


# --- the Python API -----------------------------------------------------------------------------------

class _Warnings(StepCallback):
    """The API's listener: steps to ``callback``, notes as RuntimeWarnings."""

    def note(self, text: str) -> None:
        warnings.warn(text, RuntimeWarning, stacklevel=4)


def run_transfer(
    content: ImageSource,
    styles: Sequence[StyleSpec | ImageSource],
    config: TransferConfig | None = None,
    callback: Callable[[StepInfo], None] | None = None,
    engine: Engine | None = None,
    checkpointing: Checkpointing | None = None,
    *,
    listener: Listener | None = None,
    cancel: CancelToken | None = None,
    start: ImageSource | None = None,
) -> TransferResult:
    """Stylise ``content`` (path or RGB array) with ``styles`` (StyleSpecs, or paths/arrays with equal
    weights) and report how it went; nothing is written. ``callback`` receives a
    :class:`~neural_style.optimizers.StepInfo` after every iteration (or give a ``listener`` for every
    event); ``cancel`` stops it from another thread; ``start``: the start image (path or array).
    ``engine``: networks kept from earlier runs; ``checkpointing``: checkpoints to the listener, or
    resume from one. Plan notes (Adam or tiles chosen to fit the memory, no GPU) are RuntimeWarnings."""
    specs = tuple(s if isinstance(s, StyleSpec) else StyleSpec(s) for s in styles)
    prepared = prepare(Request(content, specs, config or TransferConfig(), start=start))
    return execute(prepared, listener or _Warnings(callback), cancel, engine, checkpointing)


def stylize(
    content: ImageSource,
    styles: Sequence[StyleSpec | ImageSource],
    config: TransferConfig | None = None,
    callback: Callable[[StepInfo], None] | None = None,
) -> np.ndarray:
    """Repaint ``content`` in the style of ``styles``; returns RGB uint8 ``[H, W, 3]``.

    ``content``: image path or RGB array. ``styles``: StyleSpec objects, or plain paths/arrays (equal
    weights). ``callback`` receives a :class:`~neural_style.optimizers.StepInfo` after every iteration.
    Raises :class:`~neural_style.errors.NeuralStyleError` for bad input.
    """
    return run_transfer(content, styles, config, callback).image
