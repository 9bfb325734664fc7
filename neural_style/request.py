"""What a user asks of a run, before anything is computed: the photo, the styles, the configuration,
segmentations and a start image (:class:`Request`), and the checks every input file passes before a
network is built (:func:`check_inputs`). Light to import: no TensorFlow, so a front end can refuse bad
input in a fraction of a second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.config import ImageSource, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.library import StoredStyle
from neural_style.masks import check_aspect, read_mask
from neural_style.regions import AUTO_REGIONS, MAX_AUTO_REGIONS, is_auto


@dataclass(frozen=True)
class Segmentation:
    """Colour-coded segmentations: the content photo's, and one per style image *file* (in order;
    a stored style brings its own regions). Any of them may be :data:`AUTO`; ``regions`` is then how
    many regions are found when none is given by hand (None: as many as the photo shows,
    :func:`~neural_style.regions.pick_regions`)."""

    content: ImageSource
    styles: tuple[ImageSource, ...] = ()
    regions: int | None = AUTO_REGIONS

    def __post_init__(self) -> None:
        if self.regions is not None and (isinstance(self.regions, bool) or not isinstance(self.regions, int)
                                         or not 2 <= self.regions <= MAX_AUTO_REGIONS):
            raise NeuralStyleError(f"regions must be a whole number from 2 to {MAX_AUTO_REGIONS}. Received: {self.regions}")

    @property
    def automatic(self) -> bool:
        """Whether any segmentation is to be found by the package."""
        return any(is_auto(s) for s in (self.content, *self.styles))


@dataclass(frozen=True)
class Request:
    """What the user asked: the photo (path or RGB array), the styles (paths, arrays, stored styles,
    with weights and masks), the configuration, and optionally segmentations, a start image (path
    or array; default: ``config.init_img_type``) and ``cache_styles`` (each style file replaced by
    its entry in ``library``, added on first use)."""

    content: ImageSource
    styles: tuple[StyleSpec, ...]
    config: TransferConfig = field(default_factory=TransferConfig)
    segmentation: Segmentation | None = None
    start: ImageSource | None = None
    cache_styles: bool = False
    library: str | Path | None = None


def check_inputs(content: ImageSource, specs: Sequence[StyleSpec], segmentation: Segmentation | None,
                 config: TransferConfig) -> None:
    """Decode every input file once before anything is computed, so a bad file fails in a second:
    images large enough, masks not empty, masks and segmentations with their image's aspect ratio."""
    if isinstance(content, np.ndarray):
        shape = images.as_rgb_array(content, "content_img").shape
    else:
        shape = images.load_image(content, "content_img", config.max_size).shape
    if max(shape[:2]) > config.max_size:
        images.check_min_side(images.scaled_shape(shape[0], shape[1], config.max_size), "content_img")
    images.check_min_side(shape, "content_img")
    style_shapes = [images.load_image(path, f"style_imgs[{k}]", round(config.style_scale * config.max_size)).shape
                    for k, path in enumerate(spec.image for spec in specs)
                    if not isinstance(path, (StoredStyle, np.ndarray))]
    for k, spec in enumerate(specs):
        if isinstance(spec.mask, Path | str):
            mask = images.load_mask(spec.mask, f"style_mask_imgs[{k}]")
            read_mask(mask, shape[:2], f"style_mask_imgs[{k}]", "the content image")
    if segmentation is not None:
        if not isinstance(segmentation.content, np.ndarray) and not is_auto(segmentation.content):
            check_aspect(images.load_mask(segmentation.content, "content_seg").shape, shape, "content_seg",
                         "the content image")
        for k, (seg, style_shape) in enumerate(zip(segmentation.styles, style_shapes, strict=False)):
            if not isinstance(seg, np.ndarray) and not is_auto(seg):
                check_aspect(images.load_mask(seg, f"style_segs[{k}]").shape, style_shape, f"style_segs[{k}]",
                             f"style_imgs[{k}]")
    if config.init_img_type not in ("content", "random", "style"):
        images.load_image(config.init_img_type, "init_img_type", config.max_size)
