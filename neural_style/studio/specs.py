"""A studio job as data: what the page sends (:func:`parse_spec`, one-line errors), the request it
becomes for :func:`neural_style.runs.prepare` (:func:`build_request`), and the command line that
would run the same (:func:`command_line`, shown on the page to copy).

A job's JSON::

    {"content": UPLOAD_ID, "content_segmentation": UPLOAD_ID | null,
     "styles": [{"name": LIBRARY_NAME, "weight": 1.0, "mask": UPLOAD_ID | null,
                 "segmentation": UPLOAD_ID | null}, ...],
     "preset": "preview" | "default" | "high", "original_colors": false, "color_transfer": "none",
     "seed": 0, "max_iterations": null, "max_size": null}

``max_size`` and ``max_iterations`` (null: the preset's) override the preset.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.config import StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.library import StyleLibrary
from neural_style.masks import check_aspect
from neural_style.request import Request, Segmentation
from neural_style.studio.paintings import Paintings
from neural_style.studio.uploads import header_size, upload_path

PRESETS = {"preview": {"max_size": 256}, "default": {}, "high": {"max_size": 1024}}
"""The studio's sizes: a quick look at 256 px, the command line's defaults (512 px), a large image at
1024 px; every other setting at its default (neural_style.config)."""
MAX_STYLES = 8


@dataclass(frozen=True)
class StyleChoice:
    """A painting by its library name, its weight (>= 0), and optionally a mask on the photo and a
    segmentation of the painting (upload ids)."""

    name: str
    weight: float = 1.0
    mask: str | None = None
    segmentation: str | None = None


@dataclass(frozen=True)
class JobSpec:
    """What a job asks for (the module's JSON, checked): the photo and segmentations as upload ids,
    the paintings, a preset and the settings the page offers; ``None`` keeps the preset's value."""

    content: str
    styles: tuple[StyleChoice, ...]
    content_segmentation: str | None = None
    preset: str = "default"
    original_colors: bool = False
    color_transfer: str = "none"
    seed: int = 0
    max_iterations: int | None = None
    max_size: int | None = None

    def as_json(self) -> dict:
        return asdict(self) | {"styles": [asdict(s) for s in self.styles]}

    @classmethod
    def from_json(cls, data: dict) -> JobSpec:
        return parse_spec(data)


def _optional_id(value, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise NeuralStyleError(f"{what} must be an upload id")
    return value


def parse_spec(data: dict) -> JobSpec:
    """A job from the page's JSON, checked field by field (unknown fields refused)."""
    if not isinstance(data, dict):
        raise NeuralStyleError("a job is a JSON object")
    known = {f.name for f in fields(JobSpec)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise NeuralStyleError(f"unknown job field(s): {', '.join(unknown)}")
    if not isinstance(data.get("content"), str):
        raise NeuralStyleError("choose a photo first")
    raw_styles = data.get("styles")
    if not isinstance(raw_styles, list) or not raw_styles:
        raise NeuralStyleError("choose at least one painting")
    if len(raw_styles) > MAX_STYLES:
        raise NeuralStyleError(f"at most {MAX_STYLES} paintings in one run")
    styles = []
    for k, style in enumerate(raw_styles):
        if not isinstance(style, dict) or not isinstance(style.get("name"), str):
            raise NeuralStyleError(f"painting {k + 1}: a painting is named by its library name")
        weight = style.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) or weight < 0:
            raise NeuralStyleError(f"painting {k + 1} ({style['name']}): the weight must be a number >= 0")
        styles.append(StyleChoice(style["name"], float(weight), _optional_id(style.get("mask"), "a mask"),
                                  _optional_id(style.get("segmentation"), "a segmentation")))
    if sum(s.weight for s in styles) <= 0:
        raise NeuralStyleError("at least one painting needs a weight above 0")
    preset = data.get("preset", "default")
    if preset not in PRESETS:
        raise NeuralStyleError(f"preset must be one of {', '.join(PRESETS)}. Received: {preset!r}")
    iterations = data.get("max_iterations")
    if iterations is not None and (isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1):
        raise NeuralStyleError("max_iterations must be a whole number from 1")
    size = data.get("max_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        raise NeuralStyleError("max_size must be a whole number of pixels")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise NeuralStyleError("seed must be a whole number")
    spec = JobSpec(data["content"], tuple(styles), _optional_id(data.get("content_segmentation"), "a segmentation"),
                   preset, bool(data.get("original_colors", False)), str(data.get("color_transfer", "none")), seed,
                   iterations, size)
    if any(s.segmentation for s in spec.styles) and not spec.content_segmentation:
        raise NeuralStyleError("a painting's segmentation needs the photo's segmentation too")
    build_config(spec)  # the settings' own checks (neural_style.config), now
    return spec


def build_config(spec: JobSpec) -> TransferConfig:
    settings = dict(PRESETS[spec.preset], seed=spec.seed, original_colors=spec.original_colors,
                    color_transfer=spec.color_transfer)
    for name in ("max_iterations", "max_size"):
        if getattr(spec, name) is not None:
            settings[name] = getattr(spec, name)
    return TransferConfig(**settings)


def _stored_shape(path: Path) -> tuple[int, int]:
    """``(height, width)`` of an upload as the studio keeps it (a PNG), from its header."""
    with path.open("rb") as file:
        width, height = header_size(file.read(24))
    return height, width


def build_request(spec: JobSpec, uploads: Path, paintings: Paintings, library: StyleLibrary) -> Request:
    """The request a job makes: uploads and paintings by id, never a name from the page used as a
    path. A painting the studio holds as a file is run from the file (its library entry reused through
    ``cache_styles`` where the run allows); one known only to the library runs from its Grams."""
    config = build_config(spec)
    content = upload_path(uploads, spec.content)
    specs = []
    for style in spec.styles:
        mask = upload_path(uploads, style.mask) if style.mask else None
        image = paintings.file(style.name)
        if image is None:
            image = library.get(style.name)  # one line if the name is unknown
        specs.append(StyleSpec(image, style.weight, mask))
    segmentation = None
    if spec.content_segmentation:
        photo_labels = upload_path(uploads, spec.content_segmentation)
        check_aspect(_stored_shape(photo_labels), _stored_shape(content), "the photo's segmentation", "the photo")
        missing = [s.name for s in spec.styles if not s.segmentation and paintings.file(s.name) is not None]
        if missing:  # a painting held as a file has no regions until it is given a segmentation
            raise NeuralStyleError(f"the photo's segmentation pairs its regions with each painting's: give "
                                   f"{', '.join(missing)} a segmentation too (its Segmentation… button), or remove the photo's")
        style_segs = []
        for style in spec.styles:
            if style.segmentation and paintings.file(style.name) is None:
                raise NeuralStyleError(f"{style.name}: a painting from the library alone brings its own regions; "
                                       "add its image in the studio to segment it here")
            style_segs.append(upload_path(uploads, style.segmentation) if style.segmentation else None)
        if any(s is None for s in style_segs) and any(s is not None for s in style_segs):
            raise NeuralStyleError("give every painting a segmentation, or none")
        segmentation = Segmentation(photo_labels, tuple(s for s in style_segs if s is not None))
    cache = segmentation is None and spec.color_transfer == "none"
    return Request(content, tuple(specs), config, segmentation, cache_styles=cache, library=library.path)


def command_line(spec: JobSpec, held: Callable[[str], bool]) -> list[str]:
    """The ``neural-style`` command that runs the same job, the studio's files named by their ids
    (``photo-ID.png``; a painting the studio holds as ``NAME.png``, one only in the library as
    ``lib:NAME``; ``held(name)`` says which): what the page shows to copy."""
    config, defaults = build_config(spec), TransferConfig()
    args = ["neural-style", "--content_img", f"photo-{spec.content}.png",
            "--style_imgs", *[f"{s.name}.png" if held(s.name) else f"lib:{s.name}" for s in spec.styles]]
    if any(s.weight != 1.0 for s in spec.styles):
        args += ["--style_imgs_weights", *[f"{s.weight:g}" for s in spec.styles]]
    if any(s.mask for s in spec.styles):  # Studio.submit gives every painting a mask when one has
        args += ["--style_mask", "--style_mask_imgs", *[f"mask-{s.mask}.png" for s in spec.styles]]
    if spec.content_segmentation:
        args += ["--content_seg", f"segmentation-{spec.content_segmentation}.png"]
        if any(s.segmentation for s in spec.styles):
            args += ["--style_segs", *[f"segmentation-{s.segmentation}.png" for s in spec.styles]]
    for name in ("max_size", "max_iterations", "seed", "color_transfer"):
        if getattr(config, name) != getattr(defaults, name):
            args += [f"--{name}", str(getattr(config, name))]
    if config.original_colors:
        args.append("--original_colors")
    return [*args, "-o", "result.png"]


def with_full_masks(spec: JobSpec, uploads: Path) -> JobSpec:
    """When some paintings have a mask, the others get an all-white one (the photo's size): the
    command line wants a mask per painting, and a painting without one covers the whole photo."""
    if not any(s.mask for s in spec.styles) or all(s.mask for s in spec.styles):
        return spec
    from neural_style.studio.uploads import store_upload

    height, width = images.load_mask(upload_path(uploads, spec.content)).shape
    white = store_upload(uploads, images.encode_image(np.full((height, width, 3), 255, np.uint8), ".png"), "mask")
    return replace(spec, styles=tuple(s if s.mask else replace(s, mask=white.id) for s in spec.styles))
