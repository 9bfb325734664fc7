"""``neural-style [options]``: click options -> frozen config -> stylize -> atomic save + JSON record.

neural-style-tf's option names work in both spellings (``-content_img`` and ``--content_img``), and list
options take several values after one flag (``--style_imgs a.jpg b.jpg``), as with argparse's
``nargs='+'``. Bad input ends with one line on stderr and exit code 2, before any network is built.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, fields, replace
from pathlib import Path

import click
import numpy as np

from neural_style import images
from neural_style.cli import resolve_input
from neural_style.config import StyleSpec, TransferConfig, normalize_weights
from neural_style.errors import NeuralStyleError
from neural_style.library import PREFIX, StoredStyle, StyleLibrary
from neural_style.masks import check_aspect, read_mask
from neural_style.outputs import choose_output, versions, write_record
from neural_style.segmentation import Region, describe_regions, segmentation_styles
from neural_style.terminal import Interrupted, Progress


def _numbers(values: tuple[str, ...], name: str, kind: type = float) -> tuple:
    """Parse a list option's values as ``kind`` (float or int)."""
    try:
        return tuple(kind(v) for v in values)
    except ValueError:
        what = "whole numbers" if kind is int else "numbers"
        raise NeuralStyleError(f"{name} takes {what}. Received: {' '.join(values)}") from None


def build_config(opts: dict) -> TransferConfig:
    """The frozen TransferConfig from parsed options (validation happens in its constructor)."""
    return TransferConfig(
        content_weight=opts["content_weight"], style_weight=opts["style_weight"], tv_weight=opts["tv_weight"],
        content_layers=opts["content_layers"] or DEFAULTS.content_layers,
        content_layer_weights=_numbers(opts["content_layer_weights"], "content_layer_weights"),
        style_layers=opts["style_layers"] or DEFAULTS.style_layers,
        style_layer_weights=_numbers(opts["style_layer_weights"], "style_layer_weights"),
        optimizer=opts["optimizer"].lower(), learning_rate=opts["learning_rate"],
        max_iterations=opts["max_iterations"], init_img_type=opts["init_img_type"], noise_ratio=opts["noise_ratio"],
        seed=opts["seed"], pooling_type=opts["pooling_type"].lower(), max_size=opts["max_size"],
        style_scale=opts["style_scale"], weights=opts["weights"], device=opts["device"],
        precision=opts["precision"].lower(), scales=opts["scales"], min_scale_side=opts["min_scale_side"],
        scale_iterations=_numbers(opts["scale_iterations"], "scale_iterations", int),
        original_colors=opts["original_colors"], color_convert_type=opts["color_convert_type"].lower(),
        color_transfer=opts["color_transfer"].lower(), luminance_only=opts["luminance_only"],
    )


def build_styles(opts: dict) -> tuple[list[StyleSpec], list[Path], tuple[Path, list[Path]] | None]:
    """StyleSpecs from --style_imgs, --style_imgs_weights and --style_mask_imgs, counts checked. Also
    returns every input path, and the segmentations (``--content_seg``, ``--style_segs``) if given;
    :func:`segmentation_styles` expands the specs by region once the files are checked."""
    if not opts["style_imgs"]:
        raise NeuralStyleError("style_imgs: at least one style image is needed (--style_imgs painting.jpg)")
    library = StyleLibrary(opts["library"])
    paths = [library.get(p[len(PREFIX):]) if p.startswith(PREFIX) else resolve_input(p, opts["style_imgs_dir"], f"style_imgs[{k}]")
             for k, p in enumerate(opts["style_imgs"])]
    weights = _numbers(opts["style_imgs_weights"], "style_imgs_weights") or (1.0,) * len(paths)
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
    content_seg = _resolve_mask(opts["content_seg"], opts, "content_seg")
    style_segs = [_resolve_mask(n, opts, f"style_segs[{k}]") for k, n in enumerate(opts["style_segs"])]
    files = sum(isinstance(p, Path) for p in paths)
    if len(style_segs) != files:
        stored = " (a stored style brings its own regions)" if files < len(paths) else ""
        raise NeuralStyleError(f"style_segs needs one segmentation per style image file: {files} file(s), "
                               f"{len(style_segs)} received{stored}")
    return specs, inputs + [content_seg, *style_segs], (content_seg, style_segs)


def _resolve_mask(name: str, opts: dict, what: str) -> Path:
    """A bare mask name is looked up in --mask_dir, then in --content_img_dir (neural-style-tf's place)."""
    try:
        return resolve_input(name, opts["mask_dir"], what)
    except NeuralStyleError:
        return resolve_input(name, opts["content_img_dir"], what)


def _check_images(content: Path, specs: Sequence[StyleSpec], segmentations: tuple[Path, list[Path]] | None,
                  config: TransferConfig) -> None:
    """Decode every input once before any network is built, so a bad file fails in a second: images
    large enough, masks not empty, masks and segmentations with their image's aspect ratio."""
    shape = images.load_image(content, "content_img", config.max_size).shape
    if max(shape[:2]) > config.max_size:
        images.check_min_side(images.scaled_shape(shape[0], shape[1], config.max_size), "content_img")
    images.check_min_side(shape, "content_img")
    style_shapes = [images.load_image(path, f"style_imgs[{k}]", round(config.style_scale * config.max_size)).shape
                    for k, path in enumerate(spec.image for spec in specs) if not isinstance(path, StoredStyle)]
    for k, spec in enumerate(specs):
        if isinstance(spec.mask, Path):
            mask = images.load_mask(spec.mask, f"style_mask_imgs[{k}]")
            read_mask(mask, shape[:2], f"style_mask_imgs[{k}]", "the content image")
    if segmentations is not None:
        content_seg, style_segs = segmentations
        check_aspect(images.load_mask(content_seg, "content_seg").shape, shape, "content_seg", "the content image")
        for k, (seg, style_shape) in enumerate(zip(style_segs, style_shapes, strict=True)):
            check_aspect(images.load_mask(seg, f"style_segs[{k}]").shape, style_shape, f"style_segs[{k}]", f"style_imgs[{k}]")
    if config.init_img_type not in ("content", "random", "style"):
        images.load_image(config.init_img_type, "init_img_type", config.max_size)


def cache_styles(library: StyleLibrary, specs: Sequence[StyleSpec], segmentations: tuple[Path, list[Path]] | None,
                 config: TransferConfig) -> tuple[list[StyleSpec], tuple[Path, list[Path]] | None]:
    """``--cache_styles``: each style file (with its segmentation) replaced by its library entry, added
    on first use; the segmentations left are the content's only."""
    segs = iter(segmentations[1] if segmentations else [])
    out = []
    for spec in specs:
        if isinstance(spec.image, StoredStyle):
            out.append(spec)
            continue
        stored = library.find_or_add(spec.image, next(segs, None), config.weights, config.pooling_type)
        out.append(replace(spec, image=stored))
    return out, None if segmentations is None else (segmentations[0], [])


def _spec_record(spec: StyleSpec) -> dict:
    """A StyleSpec for the JSON record: paths as text, arrays (segmentation regions) by their shape."""
    def describe(value):
        if isinstance(value, StoredStyle):
            return PREFIX + value.name + (f" region {value.region}" if value.region else "")
        return f"array {list(value.shape)}" if isinstance(value, np.ndarray) else value
    return {field.name: describe(getattr(spec, field.name)) for field in fields(spec)}


LIST = {"multiple": True}
DEFAULTS = TransferConfig()
"""Option defaults come from the one home of defaults, the config."""


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--content_img", required=True, help="Content photo (path, or a name in --content_img_dir).")
@click.option("--style_imgs", **LIST, help="One or more style images: --style_imgs a.jpg b.jpg.")
@click.option("--style_imgs_weights", **LIST, help="One weight per style image (normalised to sum 1; default equal).")
@click.option("--content_img_dir", default="image_input", show_default=True)
@click.option("--style_imgs_dir", default="image_input", show_default=True)
@click.option("--style_mask/--no-style_mask", default=False, help="Apply each style only inside its mask.")
@click.option("--style_mask_imgs", **LIST, help="One mask per style image (white = the style applies there).")
@click.option("--content_seg", default=None, help="Colour-coded segmentation of the content photo.")
@click.option("--style_segs", **LIST, help="One colour-coded segmentation per style image (same colours = same region).")
@click.option("--mask_dir", default="masks", show_default=True, help="Where bare mask names are looked up first.")
@click.option("--img_output_dir", default="image_output", show_default=True)
@click.option("--img_name", default="result", show_default=True, help="Output file name (.png added if none).")
@click.option("-o", "--output", default=None, help="Output path; overrides --img_output_dir/--img_name.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output instead of choosing a numbered name.")
@click.option("--max_size", type=int, default=DEFAULTS.max_size, show_default=True, help="Longest side of the output, px.")
@click.option("--max_iterations", type=int, default=DEFAULTS.max_iterations, show_default=True,
              help="Iterations of all scales together (neural-style-tf: 1000 at one scale).")
@click.option("--content_weight", type=float, default=DEFAULTS.content_weight, show_default=True, help="alpha (see README: Losses).")
@click.option("--style_weight", type=float, default=DEFAULTS.style_weight, show_default=True, help="beta.")
@click.option("--tv_weight", type=float, default=DEFAULTS.tv_weight, show_default=True, help="theta.")
@click.option("--content_layers", **LIST, help="Default conv4_2. Papers' (relu4_2) or Keras-style names.")
@click.option("--style_layers", **LIST, help="Default relu1_1 relu2_1 relu3_1 relu4_1 relu5_1.")
@click.option("--content_layer_weights", **LIST, help="One per content layer (default equal).")
@click.option("--style_layer_weights", **LIST, help="One per style layer (default equal).")
@click.option("--optimizer", default=DEFAULTS.optimizer, show_default=True, help="lbfgs or adam.")
@click.option("--learning_rate", type=float, default=DEFAULTS.learning_rate, show_default=True, help="Adam step, pixel units.")
@click.option("--init_img_type", default=DEFAULTS.init_img_type, show_default=True, help="content, random, style or a path.")
@click.option("--noise_ratio", type=float, default=DEFAULTS.noise_ratio, show_default=True, help="Noise share of a random init.")
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)
@click.option("--pooling_type", default=DEFAULTS.pooling_type, show_default=True, help="avg or max.")
@click.option("--style_scale", type=float, default=DEFAULTS.style_scale, show_default=True, help="Style size relative to content.")
@click.option("--original_colors/--no-original_colors", default=False,
              help="Keep the photo's colours: the output's luminance with the photo's chroma.")
@click.option("--color_convert_type", default=DEFAULTS.color_convert_type, show_default=True,
              help="Colour space of --original_colors and --luminance_only: yuv, ycrcb, luv or lab.")
@click.option("--color_transfer", default=DEFAULTS.color_transfer, show_default=True,
              help="Remap each style image's colours to the photo's before the run: none, linear or histogram.")
@click.option("--luminance_only/--no-luminance_only", default=False,
              help="Transfer luminance only (Gatys et al. 2017), then put the photo's colours back.")
@click.option("--weights", default=DEFAULTS.weights, show_default=True, help="default (shipped), imagenet, or a path.")
@click.option("--precision", default=DEFAULTS.precision, show_default=True,
              help="auto (bfloat16 on CPUs with native bf16, else float32), float32 or bfloat16.")
@click.option("--scales", type=int, default=DEFAULTS.scales, show_default=True,
              help="Coarse-to-fine: this many sizes, each half the next, ending at max_size (1: one scale).")
@click.option("--min_scale_side", type=int, default=DEFAULTS.min_scale_side, show_default=True,
              help="Coarse-to-fine floor: no coarse scale whose shortest side is under this (px).")
@click.option("--scale_iterations", **LIST,
              help="Iterations per scale, coarsest first (default: max_iterations split 4:2:1).")
@click.option("--print_iterations", type=int, default=50, show_default=True, help="Log every N (--verbose).")
@click.option("--save_iterations", type=int, default=0, show_default=True, help="Save a snapshot every N.")
@click.option("--library", default=None, help="Style library file (default: $NEURAL_STYLE_LIBRARY, else "
              "~/.local/share/neural-style/styles.sqlite); --style_imgs lib:NAME uses its entries.")
@click.option("--cache_styles", is_flag=True, help="Add each style image file to the library on first use "
              "and take its Grams from there (later runs skip its forward passes).")
@click.option("--device", default=None, help="/cpu:0 or /gpu:0 (falls back to the CPU). Default: GPU if present.")
@click.option("-v", "--verbose", is_flag=True, help="Log lines instead of a bar; tracebacks on internal errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def command(**opts) -> None:
    """Repaint a photo in the style of one or more paintings (Gatys et al., VGG-19)."""
    verbosity = 0 if opts["quiet"] else 2 if opts["verbose"] else 1
    config = build_config(opts)
    if opts["print_iterations"] < 1 or opts["save_iterations"] < 0:
        raise NeuralStyleError("print_iterations must be >= 1 and save_iterations >= 0")
    content = resolve_input(opts["content_img"], opts["content_img_dir"], "content_img")
    specs, inputs, segmentations = build_styles(opts)
    if config.init_img_type not in ("content", "random", "style"):
        inputs.append(Path(config.init_img_type))
    output = choose_output(opts["output"], opts["img_output_dir"], opts["img_name"], opts["overwrite"], [content, *inputs])
    _check_images(content, specs, segmentations, config)
    if opts["cache_styles"]:
        specs, segmentations = cache_styles(StyleLibrary(opts["library"]), specs, segmentations, config)
    regions: list[Region] = []
    if segmentations is not None:
        specs, regions = segmentation_styles(segmentations[0], specs, segmentations[1], config.max_size,
                                             round(config.style_scale * config.max_size))
    notes = [describe_regions(regions)] if regions else []

    from neural_style.transfer import resolve_device, run_transfer

    device, warning = resolve_device(config.device)
    for line in ([warning] if warning else []) + notes:
        if verbosity:
            click.echo(f"neural-style: note: {line}", err=True)
    config = replace(config, device=device)

    progress = Progress(config.total_iterations(), verbosity, opts["print_iterations"], opts["save_iterations"], output)
    try:
        result = run_transfer(content, specs, config, progress)
    finally:
        progress.close()
    images.save_image(output, result.image)
    record = {
        "output": str(output), "content_img": str(content), "styles": [_spec_record(s) for s in specs],
        "regions": [asdict(r) | {"name": r.name} for r in regions],
        "config": asdict(config), "precision": result.precision, "scale_sizes": list(result.scale_sizes),
        "scales": [asdict(r) for r in result.scales],
        "iterations": result.iterations, "stop_reason": result.stop_reason,
        "final_loss": {"total": result.total, **result.parts}, "seconds": round(result.seconds, 3),
        "versions": versions(), "command": sys.argv,
    }
    write_record(output, record)
    if verbosity:
        click.echo(f"wrote {output} ({result.iterations} iterations, {result.seconds:.1f}s, {result.stop_reason})", err=True)
    if result.stop_reason == "interrupted":
        raise Interrupted(saved=True)
    if result.stop_reason == "nonfinite":
        raise NeuralStyleError(f"the loss became NaN or infinite at iteration {result.iterations}; kept the last finite image in {output}")


def _long_option_names() -> frozenset[str]:
    return frozenset(opt.lstrip("-") for param in command.params for opt in param.opts + param.secondary_opts
                     if opt.startswith("--"))
