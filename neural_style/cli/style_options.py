"""The style options every command that runs style transfer takes (``--style_imgs``, their weights,
masks and segmentations), turned into :class:`~neural_style.config.StyleSpec` objects with their counts
checked."""

from __future__ import annotations

from pathlib import Path

from neural_style.cli.options import numbers
from neural_style.cli.paths import resolve_input
from neural_style.config import StyleSpec, normalize_weights
from neural_style.errors import NeuralStyleError
from neural_style.library import PREFIX, StyleLibrary
from neural_style.regions import AUTO


def build_styles(opts: dict) -> tuple[list[StyleSpec], list[Path], tuple[Path | str, list[Path | str]] | None]:
    """StyleSpecs from --style_imgs, --style_imgs_weights and --style_mask_imgs, counts checked. Also
    returns every input path, and the segmentations (``--content_seg``, ``--style_segs``; either may be
    ``auto``, and ``--content_seg auto`` alone finds the styles' too) if given;
    :func:`segmentation_styles` expands the specs by region once the files are checked."""
    if not opts["style_imgs"]:
        raise NeuralStyleError("style_imgs: at least one style image is needed (--style_imgs painting.jpg)")
    library = StyleLibrary(opts["library"])
    paths = [library.get(p[len(PREFIX):]) if p.startswith(PREFIX) else resolve_input(p, opts["style_imgs_dir"], f"style_imgs[{k}]")
             for k, p in enumerate(opts["style_imgs"])]
    weights = numbers(opts["style_imgs_weights"], "style_imgs_weights") or (1.0,) * len(paths)
    if len(weights) != len(paths):
        raise NeuralStyleError(f"style_imgs_weights needs one weight per style image: {len(paths)} image(s), "
                               f"{len(weights)} weight(s) received")
    masks: list[Path | None] = [None] * len(paths)
    if opts["style_mask"]:
        names = opts["style_mask_imgs"]
        if len(names) != len(paths):
            raise NeuralStyleError(f"style_mask_imgs needs one mask per style image: {len(paths)} image(s), "
                                   f"{len(names)} mask(s) received")
        masks = [_resolve_mask(n, opts, f"style_mask_imgs[{k}]") for k, n in enumerate(names)]
    elif opts["style_mask_imgs"]:
        raise NeuralStyleError("style_mask_imgs are given but --style_mask is off; add --style_mask (or -style_mask 1)")
    normalize_weights("style_imgs_weights", weights, len(paths))  # finite, >= 0, not all zero
    specs = [StyleSpec(p, w, m) for p, w, m in zip(paths, weights, masks, strict=True)]
    inputs = [p for p in paths if isinstance(p, Path)] + [m for m in masks if m is not None]
    if opts["content_seg"] is None:
        if opts["style_segs"]:
            raise NeuralStyleError("style_segs need a --content_seg (the output's segmentation) too")
        return specs, inputs, None
    if opts["style_mask"]:
        raise NeuralStyleError("use either --style_mask with --style_mask_imgs or --content_seg with --style_segs, not both")
    files = sum(isinstance(p, Path) for p in paths)
    names = list(opts["style_segs"])
    if names == [AUTO] or (not names and opts["content_seg"] == AUTO):
        names = [AUTO] * files  # found for every style image (the content's found too, or followed)
    content_seg = _resolve_mask(opts["content_seg"], opts, "content_seg")
    style_segs = [_resolve_mask(n, opts, f"style_segs[{k}]") for k, n in enumerate(names)]
    if len(style_segs) != files:
        stored = " (a stored style brings its own regions)" if files < len(paths) else ""
        raise NeuralStyleError(f"style_segs needs one segmentation per style image file (or auto): {files} file(s), "
                               f"{len(style_segs)} received{stored}")
    given = [p for p in (content_seg, *style_segs) if isinstance(p, Path)]
    return specs, inputs + given, (content_seg, style_segs)


def _resolve_mask(name: str, opts: dict, what: str) -> Path | str:
    """A bare mask name is looked up in --mask_dir, then in --content_img_dir (neural-style-tf's place);
    ``auto`` (a segmentation to be found) stays the word."""
    if name == AUTO:
        return AUTO
    try:
        return resolve_input(name, opts["mask_dir"], what)
    except NeuralStyleError:
        return resolve_input(name, opts["content_img_dir"], what)
