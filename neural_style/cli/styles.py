"""``neural-style styles ...``: the style library from the command line (:mod:`neural_style.library`).

Only ``add`` computes Grams and so imports TensorFlow; the other commands answer at once.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

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
    return StyleLibrary(ctx.obj)


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
@click.pass_context
def group(ctx: click.Context, library: str | None) -> None:
    """The style library: Gram matrices of styles, stored once and used as --style_imgs lib:NAME."""
    ctx.obj = library


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
def add(ctx, name, image, seg, sizes, layers, dtype, weights, pooling_type, replace_existing, style_imgs_dir) -> None:
    """Compute the Grams of IMAGE and store them as NAME."""
    path = resolve_input(image, style_imgs_dir, "image")
    seg_path = None if seg is None else resolve_input(seg, "masks", "seg")
    # TensorFlow: no other command imports it
    from neural_style.library_build import add_style

    start = time.perf_counter()
    info = add_style(_library(ctx), name, path, seg_path, sizes or LADDER, layers or STORED_LAYERS, dtype, weights,
                     pooling_type, replace_existing)
    click.echo(f"added {info.name}: {len(info.sizes)} sizes, {len(info.layers)} layers, {len(info.regions)} regions, "
               f"{_mb(info.nbytes)} MB ({time.perf_counter() - start:.1f} s)", err=True)


@group.command(name="list")
@click.pass_context
def list_(ctx) -> None:
    """A table of the stored styles."""
    entries = _library(ctx).entries()
    rows = [("name", "sizes", "layers", "regions", "MB", "source")]
    rows += [(i.name, " ".join(map(str, i.sizes)), str(len(i.layers)), str(len(i.regions)), _mb(i.nbytes), _source(i))
             for i in entries]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    click.echo(f"{len(entries)} style(s) in {_library(ctx).path}", err=True)


@group.command()
@click.argument("name")
@click.pass_context
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
def remove(ctx, name) -> None:
    """Delete NAME."""
    _library(ctx).remove(name)
    click.echo(f"removed {name}", err=True)


@group.command()
@click.argument("old")
@click.argument("new")
@click.pass_context
def rename(ctx, old, new) -> None:
    """Rename OLD to NEW."""
    _library(ctx).rename(old, new)
    click.echo(f"renamed {old} to {new}", err=True)


@group.command()
@click.argument("new")
@click.argument("parts", nargs=-1, required=True)
@click.option("--dtype", default=None, type=click.Choice(STORAGE_DTYPES), help="Default: float32 if a part is.")
@click.pass_context
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
    click.echo(f"stored {info.name}: {_source(info)}, {len(info.sizes)} sizes, {_mb(info.nbytes)} MB", err=True)


@group.command(name="export")
@click.argument("name")
@click.argument("file")
@click.pass_context
def export_(ctx, name, file) -> None:
    """Write NAME to FILE (.npz): its Grams and provenance, without the painting."""
    if Path(file).exists():
        raise NeuralStyleError(f"{file} exists; refusing to overwrite it")
    # OpenCV (atomic writes), which 'styles list' does without
    from neural_style.library_files import export_entry

    export_entry(_library(ctx), name, file)
    click.echo(f"exported {name} to {file}", err=True)


@group.command(name="import")
@click.argument("file")
@click.option("--name", default=None, help="Store it under this name (default: its own).")
@click.pass_context
def import_(ctx, file, name) -> None:
    """Add the style in FILE (.npz from 'styles export')."""
    from neural_style.library_files import import_entry

    info = import_entry(_library(ctx), file, name)
    click.echo(f"imported {info.name}: {len(info.sizes)} sizes, {_mb(info.nbytes)} MB", err=True)


def long_option_names() -> frozenset[str]:
    """Every ``--option`` of the subcommands, for :func:`neural_style.argv.normalize_argv`."""
    commands = [group, *group.commands.values()]
    return frozenset(opt.lstrip("-") for c in commands for param in c.params for opt in param.opts if opt.startswith("--"))
