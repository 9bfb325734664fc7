"""Options shared by the commands that run style transfer (``neural-style``, ``neural-style batch``):
every field of :class:`~neural_style.config.TransferConfig`, with its default from there, and the
frozen config built from them right after parsing."""

from __future__ import annotations

from collections.abc import Callable

import click

from neural_style.cli.flags import quiet_verbose_options  # noqa: F401 - every command's, from here as before
from neural_style.config import OutputConfig, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.planner import DEFAULT_SHARE, parse_memory
from neural_style.regions import AUTO_REGIONS, MAX_AUTO_REGIONS, PICKED

LIST = {"multiple": True}
DEFAULTS = TransferConfig()
"""Option defaults come from the one home of defaults, the config."""


def numbers(values: tuple[str, ...], name: str, kind: type = float) -> tuple:
    """Parse a list option's values as ``kind`` (float or int)."""
    try:
        return tuple(kind(v) for v in values)
    except ValueError:
        what = "whole numbers" if kind is int else "numbers"
        raise NeuralStyleError(f"{name} takes {what}. Received: {' '.join(values)}") from None


def region_count(_ctx: click.Context, _param: click.Parameter, value: str) -> int | None:
    """``--regions``: a whole number, or ``picked`` (None: as many as the photo shows). The range is
    checked by :class:`~neural_style.request.Segmentation`."""
    if value.strip().lower() == PICKED:
        return None
    try:
        return int(value)
    except ValueError:
        raise NeuralStyleError(f"regions must be a whole number from 2 to {MAX_AUTO_REGIONS}, or {PICKED}. "
                               f"Received: {value}") from None


REGIONS = {"default": str(AUTO_REGIONS), "show_default": True, "callback": region_count, "metavar": "K|picked"}
"""``--regions``' settings, shared by the run and ``neural-style regions``."""


def build_config(opts: dict) -> TransferConfig:
    """The frozen TransferConfig from parsed options (validation happens in its constructor)."""
    return TransferConfig(
        content_weight=opts["content_weight"], style_weight=opts["style_weight"], tv_weight=opts["tv_weight"],
        style_normalization=opts["style_normalization"].lower(),
        segmentation_content_factor=opts["segmentation_content_factor"],
        content_layers=opts["content_layers"] or DEFAULTS.content_layers,
        content_layer_weights=numbers(opts["content_layer_weights"], "content_layer_weights"),
        style_layers=opts["style_layers"] or DEFAULTS.style_layers,
        style_layer_weights=numbers(opts["style_layer_weights"], "style_layer_weights"),
        optimizer=opts["optimizer"].lower(), learning_rate=opts["learning_rate"],
        max_iterations=opts["max_iterations"], init_img_type=opts["init_img_type"], noise_ratio=opts["noise_ratio"],
        seed=opts["seed"], pooling_type=opts["pooling_type"].lower(), max_size=opts["max_size"],
        style_scale=opts["style_scale"], weights=opts["weights"], device=opts["device"],
        precision=opts["precision"].lower(), scales=opts["scales"], min_scale_side=opts["min_scale_side"],
        scale_iterations=numbers(opts["scale_iterations"], "scale_iterations", int),
        original_colors=opts["original_colors"], color_convert_type=opts["color_convert_type"].lower(),
        color_transfer=opts["color_transfer"].lower(), luminance_only=opts["luminance_only"],
        enlarge=opts["enlarge"], max_memory=None if opts["max_memory"] is None else parse_memory(opts["max_memory"]),
        tile=opts["tile"], tile_overlap=opts["tile_overlap"], tile_sweeps=opts["tile_sweeps"],
    )


_CONFIG_OPTIONS = [
    click.option("--max_size", type=int, default=DEFAULTS.max_size, show_default=True, help="Longest side of the output, px."),
    click.option("--enlarge/--no-enlarge", default=False,
                 help="Let --max_size enlarge the photo (bicubic); without it the photo is only scaled down."),
    click.option("--max_iterations", type=int, default=DEFAULTS.max_iterations, show_default=True,
                 help="Iterations of all scales together (neural-style-tf: 1000 at one scale)."),
    click.option("--content_weight", type=float, default=DEFAULTS.content_weight, show_default=True, help="alpha (see docs/losses.md)."),
    click.option("--style_weight", type=float, default=DEFAULTS.style_weight, show_default=True, help="beta."),
    click.option("--tv_weight", type=float, default=DEFAULTS.tv_weight, show_default=True, help="theta."),
    click.option("--style_normalization", default=DEFAULTS.style_normalization, show_default=True,
                 help="Each style layer's term: gatys (the papers') or relative (its error over its target's "
                 "size; the layers' balance adapts to the painting; see docs/losses.md)."),
    click.option("--segmentation_content_factor", type=float, default=None,
                 help="With --content_seg the content weight is this times --content_weight (default: the number "
                 "of regions, counted by their shares of the photo; 1: neural-style-tf's)."),
    click.option("--content_layers", **LIST, help="Default conv4_2. Papers' (relu4_2) or Keras-style names."),
    click.option("--style_layers", **LIST, help="Default relu1_1 relu2_1 relu3_1 relu4_1 relu5_1."),
    click.option("--content_layer_weights", **LIST, help="One per content layer (default equal)."),
    click.option("--style_layer_weights", **LIST, help="One per style layer (default equal)."),
    click.option("--optimizer", default=DEFAULTS.optimizer, show_default=True, help="lbfgs or adam."),
    click.option("--learning_rate", type=float, default=DEFAULTS.learning_rate, show_default=True, help="Adam step, pixel units."),
    click.option("--init_img_type", default=DEFAULTS.init_img_type, show_default=True, help="content, random, style or a path."),
    click.option("--noise_ratio", type=float, default=DEFAULTS.noise_ratio, show_default=True, help="Noise share of a random init."),
    click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True),
    click.option("--pooling_type", default=DEFAULTS.pooling_type, show_default=True, help="avg or max."),
    click.option("--style_scale", type=float, default=DEFAULTS.style_scale, show_default=True, help="Style size relative to content."),
    click.option("--original_colors/--no-original_colors", default=False,
                 help="Keep the photo's colours: the output's luminance with the photo's chroma."),
    click.option("--color_convert_type", default=DEFAULTS.color_convert_type, show_default=True,
                 help="Colour space of --original_colors and --luminance_only: yuv, ycrcb, luv or lab."),
    click.option("--color_transfer", default=DEFAULTS.color_transfer, show_default=True,
                 help="Remap each style image's colours to the photo's before the run: none, linear or histogram."),
    click.option("--luminance_only/--no-luminance_only", default=False,
                 help="Transfer luminance only (Gatys et al. 2017), then put the photo's colours back."),
    click.option("--weights", default=DEFAULTS.weights, show_default=True, help="default (shipped), imagenet, or a path."),
    click.option("--precision", default=DEFAULTS.precision, show_default=True,
                 help="auto (bfloat16 on CPUs with native bf16, else float32), float32 or bfloat16."),
    click.option("--scales", type=int, default=DEFAULTS.scales, show_default=True,
                 help="Coarse-to-fine: this many sizes, each half the next, ending at max_size (1: one scale)."),
    click.option("--min_scale_side", type=int, default=DEFAULTS.min_scale_side, show_default=True,
                 help="Coarse-to-fine floor: no coarse scale whose shortest side is under this (px)."),
    click.option("--scale_iterations", **LIST,
                 help="Iterations per scale, coarsest first (default: max_iterations split 3:1, or 9:3:1 for three)."),
    click.option("--device", default=None, help="/cpu:0 or /gpu:0 (falls back to the CPU). Default: GPU if present."),
    click.option("--max_memory", default=None, help="Memory budget, e.g. 4G (0: no limit). Default: "
                 f"{round(100 * DEFAULT_SHARE)} % of the memory available. A run that would need more uses Adam "
                 "instead of L-BFGS, or tiles, or is refused before it starts."),
    click.option("--tile", type=int, default=None, help="Optimise scales larger than this (px) in overlapping tiles "
                 "of at most this size (memory bounded by the tile). Default: only when the image would not fit "
                 "--max_memory; 0: never."),
    click.option("--tile_overlap", type=int, default=DEFAULTS.tile_overlap, show_default=True,
                 help="Pixels neighbouring tiles share (feathered seams)."),
    click.option("--tile_sweeps", type=int, default=DEFAULTS.tile_sweeps, show_default=True,
                 help="Passes over the tiles; a tiled scale's iterations are split over them."),
]


def build_output_config(opts: dict) -> OutputConfig:
    """The frozen OutputConfig from parsed options (validated in its constructor)."""
    return OutputConfig(bit_depth=opts["bit_depth"], quality=opts["quality"], strip_metadata=opts["strip_metadata"])


_OUTPUT_DEFAULTS = OutputConfig()
_OUTPUT_OPTIONS = [
    click.option("--bit_depth", type=int, default=_OUTPUT_DEFAULTS.bit_depth, show_default=True,
                 help="Bits per channel of the output: 8, or 16 for .png and .tif (prints, photo editors)."),
    click.option("--quality", type=int, default=_OUTPUT_DEFAULTS.quality, show_default=True,
                 help="JPEG and WebP output quality, 1-100."),
    click.option("--strip_metadata", is_flag=True,
                 help="Leave the content photo's EXIF (camera, date, place) out of the output."),
]


def output_options(command: Callable) -> Callable:
    """Add the OutputConfig options to a click command."""
    for option in reversed(_OUTPUT_OPTIONS):
        command = option(command)
    return command


def config_options(command: Callable) -> Callable:
    """Add the TransferConfig options to a click command."""
    for option in reversed(_CONFIG_OPTIONS):
        command = option(command)
    return command
