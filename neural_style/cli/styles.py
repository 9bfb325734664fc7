"""``neural-style styles ...``: the style library from the command line (:mod:`neural_style.library`).

Only ``add`` computes Grams and so imports TensorFlow; the other commands answer at once.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

import click

from neural_style.cli.flags import quiet_verbose_options
from neural_style.cli.paths import resolve_input
from neural_style.errors import NeuralStyleError
from neural_style.library import (
    DEFAULT_DTYPE,
    LADDER,
    STORAGE_DTYPES,
    STORED_LAYERS,
    EntryInfo,
    StyleLibrary,
)

LIST = {"multiple": True}


def _library(ctx: click.Context) -> StyleLibrary:
    return StyleLibrary(ctx.obj["library"])


def _say(ctx: click.Context, text: str) -> None:
    """A status line on stderr, unless ``-q``."""
    if not ctx.obj["quiet"]:
        click.echo(text, err=True)


def _flags(command: Callable) -> Callable:
    """``-q`` and ``-v`` on a subcommand, as on the group (``-v`` is read by the dispatcher)."""
    @functools.wraps(command)
    def wrapper(*args, quiet: bool = False, verbose: bool = False, **kwargs):
        click.get_current_context().obj["quiet"] |= quiet
        return command(*args, **kwargs)

    return quiet_verbose_options(wrapper)


def _mb(nbytes: int) -> str:
    return f"{nbytes / 1e6:.1f}"


def _source(info: EntryInfo) -> str:
    if info.kind == "blend":
        return "blend of " + " + ".join(f"{w:.2g} {n}" for n, w in info.provenance.blend_of)
    seg = f" (segmented by {info.provenance.segmentation})" if info.provenance.segmentation else ""
    return info.provenance.source + seg


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--library", default=None, help="Library file (default: $NEURAL_STYLE_LIBRARY, else "
              "~/.local/share/neural-style/styles.sqlite).")
@quiet_verbose_options
@click.pass_context
def group(ctx: click.Context, library: str | None, quiet: bool, verbose: bool) -> None:
    """The style library: Gram matrices of styles, stored once and used as --style_imgs lib:NAME."""
    ctx.obj = {"library": library, "quiet": quiet}


@group.command()
@click.argument("name")
@click.argument("image")
@click.option("--seg", default=None, help="Colour-coded segmentation of the image: each region's Grams are stored too.")
@click.option("--sizes", **LIST, type=int, help=f"Longest sides to store (default {' '.join(map(str, LADDER))}).")
@click.option("--layers", **LIST, help="Layers to store (default relu1_1 relu2_1 relu3_1 relu4_1 relu5_1 relu4_2).")
@click.option("--dtype", default=DEFAULT_DTYPE, show_default=True, type=click.Choice(STORAGE_DTYPES))
@click.option("--weights", default="default", show_default=True, help="VGG-19 weights, as for a run.")
@click.option("--pooling_type", default="avg", show_default=True, type=click.Choice(("avg", "max")))
@click.option("--replace", "replace_existing", is_flag=True, help="Replace an entry of that name.")
@click.option("--style_imgs_dir", default="image_input", show_default=True, help="Where bare image names are looked up.")
@click.pass_context
@_flags
def add(ctx, name, image, seg, sizes, layers, dtype, weights, pooling_type, replace_existing, style_imgs_dir) -> None:
    """Compute the Grams of IMAGE and store them as NAME."""
    path = resolve_input(image, style_imgs_dir, "image")
    seg_path = None if seg is None else resolve_input(seg, "masks", "seg")
    # TensorFlow: no other command imports it
    from neural_style.library_build import add_style

    start = time.perf_counter()
    info = add_style(_library(ctx), name, path, seg_path, sizes or LADDER, layers or STORED_LAYERS, dtype, weights,
                     pooling_type, replace_existing)
    _say(ctx, f"added {info.name}: {len(info.sizes)} sizes, {len(info.layers)} layers, {len(info.regions)} regions, "
              f"{_mb(info.nbytes)} MB ({time.perf_counter() - start:.1f} s)")


@group.command(name="list")
@click.pass_context
@_flags
def list_(ctx) -> None:
    """A table of the stored styles."""
    entries = _library(ctx).entries()
    rows = [("name", "sizes", "layers", "regions", "MB", "source")]
    rows += [(i.name, " ".join(map(str, i.sizes)), str(len(i.layers)), str(len(i.regions)), _mb(i.nbytes), _source(i))
             for i in entries]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    _say(ctx, f"{len(entries)} style(s) in {_library(ctx).path}")


@group.command()
@click.argument("name")
@click.pass_context
@_flags
def show(ctx, name) -> None:
    """Everything stored about NAME."""
    info = _library(ctx).info(name)
    p = info.provenance
    lines = [f"name: {info.name} ({info.kind})", f"source: {_source(info)}"]
    if info.kind == "image":
        lines += [f"source sha256: {p.source_sha256}", f"image size: {p.width}x{p.height}"]
    if p.segmentation:
        lines.append(f"segmentation sha256: {p.segmentation_sha256}")
    lines += [f"sizes: {' '.join(map(str, info.sizes))} px (longest side)", f"layers: {' '.join(info.layers)}",
              "regions: " + (", ".join(f"{k} {v:.1%}" for k, v in info.regions.items()) or "none (whole image only)"),
              f"storage: {info.dtype}, {_mb(info.nbytes)} MB", f"weights sha256: {p.weights_sha256}",
              f"pooling: {p.pooling}", f"computed in: {p.precision}", f"made by: neural-style {p.tool_version}, {p.created}"]
    click.echo("\n".join(lines))


@group.command()
@click.argument("name")
@click.pass_context
@_flags
def remove(ctx, name) -> None:
    """Delete NAME."""
    _library(ctx).remove(name)
    _say(ctx, f"removed {name}")


@group.command()
@click.argument("old")
@click.argument("new")
@click.pass_context
@_flags
def rename(ctx, old, new) -> None:
    """Rename OLD to NEW."""
    _library(ctx).rename(old, new)
    _say(ctx, f"renamed {old} to {new}")


@group.command()
@click.argument("new")
@click.argument("parts", nargs=-1, required=True)
@click.option("--dtype", default=None, type=click.Choice(STORAGE_DTYPES), help="Default: float32 if a part is.")
@click.pass_context
@_flags
def blend(ctx, new, parts, dtype) -> None:
    """Store NEW = the weighted average of the Grams of PARTS (NAME:WEIGHT ..., weights normalised)."""
    pairs = []
    for part in parts:
        name, sep, weight = part.rpartition(":")
        try:
            pairs.append((name, float(weight)) if sep else (part, 1.0))
        except ValueError:
            raise NeuralStyleError(f"a blend part is NAME or NAME:WEIGHT. Received: {part!r}") from None
    from neural_style.library_blend import blend_entries

    info = blend_entries(_library(ctx), new, pairs, dtype)
    _say(ctx, f"stored {info.name}: {_source(info)}, {len(info.sizes)} sizes, {_mb(info.nbytes)} MB")


@group.command(name="export")
@click.argument("name")
@click.argument("file")
@click.pass_context
@_flags
def export_(ctx, name, file) -> None:
    """Write NAME to FILE (.npz): its Grams and provenance, without the painting."""
    if Path(file).exists():
        raise NeuralStyleError(f"{file} exists; refusing to overwrite it")
    # OpenCV (atomic writes), which 'styles list' does without
    from neural_style.library_files import export_entry

    export_entry(_library(ctx), name, file)
    _say(ctx, f"exported {name} to {file}")


@group.command(name="import")
@click.argument("file")
@click.option("--name", default=None, help="Store it under this name (default: its own).")
@click.pass_context
@_flags
def import_(ctx, file, name) -> None:
    """Add the style in FILE (.npz from 'styles export')."""
    from neural_style.library_files import import_entry

    info = import_entry(_library(ctx), file, name)
    _say(ctx, f"imported {info.name}: {len(info.sizes)} sizes, {_mb(info.nbytes)} MB")


def long_option_names() -> frozenset[str]:
    """Every ``--option`` of the subcommands, for :func:`neural_style.argv.normalize_argv`."""
    commands = [group, *group.commands.values()]
    return frozenset(opt.lstrip("-") for c in commands for param in c.params for opt in param.opts if opt.startswith("--"))
