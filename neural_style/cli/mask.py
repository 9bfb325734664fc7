"""``neural-style mask``: a subject mask (white on black) from a box or a scribble, with GrabCut.

The box is ``X0 Y0 X1 Y1`` in pixels of the photo, or in fractions of its width and height when every
value is at most 1; faces found in it tell GrabCut where beside the heads the person is not
(:func:`~neural_style.subject.beside_heads`; ``--no_faces`` leaves them out). A scribble is an image
of the photo's size with red strokes on the subject and blue ones on the background (painted over a
copy of the photo in any paint program).
"""

from __future__ import annotations

import click
import numpy as np

from neural_style import images
from neural_style.cli.options import quiet_verbose_options
from neural_style.cli.paths import resolve_input
from neural_style.errors import NeuralStyleError
from neural_style.outputs import choose_output
from neural_style.subject import (
    Box,
    beside_heads,
    box_hints,
    find_faces,
    grabcut_mask,
    scribble_hints,
)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--content_img", required=True, help="The photo.")
@click.option("--box", type=float, nargs=4, default=None, help="X0 Y0 X1 Y1: where the subject lies, in pixels "
              "(or fractions, every value <= 1); outside is background.")
@click.option("--fg", type=float, nargs=4, multiple=True, help="A box that is surely subject (repeatable; with --box).")
@click.option("--bg", type=float, nargs=4, multiple=True, help="A box that is probably background (repeatable; with --box).")
@click.option("--faces/--no_faces", default=True, show_default=True, help="With --box: find faces in the box (MTCNN); "
              "beside a head, above the chin, is then probably background.")
@click.option("--scribble", default=None, help="An image of the photo's size: red strokes on the subject, blue on "
              "the background.")
@click.option("-o", "--output", required=True, help="The mask to write (PNG: white = subject).")
@click.option("--overwrite", is_flag=True, help="Replace an existing file instead of choosing a numbered name.")
@quiet_verbose_options
def command(**opts) -> None:
    """Cut the subject out of a photo with GrabCut, from a box around it or a scribble over it, and
    write a mask the run reads (--style_mask_imgs); the inverse mask is written beside it (_inv)."""
    content = resolve_input(opts["content_img"], ".", "content_img")
    if (opts["box"] is None) == (opts["scribble"] is None):
        raise NeuralStyleError("mask: give either --box X0 Y0 X1 Y1 or --scribble S.png")
    if opts["scribble"] is not None and (opts["fg"] or opts["bg"]):
        raise NeuralStyleError("mask: --fg and --bg go with --box, not with --scribble")
    photo = images.load_image(content, "content_img")
    shape = photo.shape[:2]
    if opts["scribble"] is not None:
        scribble_path = resolve_input(opts["scribble"], ".", "scribble")
        scribble = images.load_image(scribble_path, "scribble", labels=True)
        if scribble.shape[:2] != shape:
            raise NeuralStyleError(f"scribble: {scribble.shape[1]}x{scribble.shape[0]} px, but the photo is "
                                   f"{shape[1]}x{shape[0]} px; paint the strokes on an image of the photo's size")
        hints, inputs = scribble_hints(scribble), [content, scribble_path]
    else:
        box = fractions(opts["box"], shape, "box")
        hints = box_hints(shape, box, [fractions(b, shape, "fg") for b in opts["fg"]],
                          [fractions(b, shape, "bg") for b in opts["bg"]])
        if opts["faces"]:
            hints, faces = beside_heads(hints, find_faces(photo), box)
            if opts["verbose"]:
                click.echo(f"neural-style: note: {len(faces)} face(s) in the box", err=True)
        inputs = [content]
    output = choose_output(opts["output"], ".", "", opts["overwrite"], inputs, suffixes=(".png",))
    mask = grabcut_mask(photo, hints)
    white = images.to_uint8(np.repeat(mask[:, :, None] * 255, 3, axis=2))
    images.save_image(output, white)
    inverse = output.with_name(f"{output.stem}_inv{output.suffix}")
    images.save_image(inverse, 255 - white)
    if not opts["quiet"]:
        click.echo(f"wrote {output} and {inverse} (subject {mask.mean():.0%} of the photo)", err=True)


def fractions(values: tuple[float, ...], shape: tuple[int, int], what: str) -> Box:
    """A box in fractions of the photo: as given when every value is at most 1, else pixels divided by
    the width and height; one line when it is empty or lies outside the photo."""
    height, width = shape
    x0, y0, x1, y1 = values if max(values) <= 1 else (values[0] / width, values[1] / height,
                                                      values[2] / width, values[3] / height)
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise NeuralStyleError(f"{what}: {' '.join(f'{v:g}' for v in values)} is not a box inside the photo "
                               f"({width}x{height} px): X0 < X1 and Y0 < Y1, from 0 to the width and height")
    return x0, y0, x1, y1


def long_option_names() -> frozenset[str]:
    return frozenset(opt.lstrip("-") for param in command.params for opt in param.opts + param.secondary_opts
                     if opt.startswith("--"))
