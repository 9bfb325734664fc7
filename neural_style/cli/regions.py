"""``neural-style regions``: automatic matched segmentations written as colour-coded PNGs.

The regions ``--content_seg auto`` would use, found and written so that a person can look at them,
correct them in a paint program and pass them back with ``--content_seg`` and ``--style_segs``.
"""

from __future__ import annotations

from pathlib import Path

import click

from neural_style import images
from neural_style.cli.options import LIST, REGIONS, quiet_verbose_options
from neural_style.cli.paths import resolve_input
from neural_style.config import StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.regions import AUTO, auto_segmentation
from neural_style.request import Segmentation, check_inputs
from neural_style.segmentation import describe_regions, segmentation_styles


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--content_img", required=True, help="The photo.")
@click.option("--style_imgs", **LIST, help="One or more style images.")
@click.option("--out", "out_dir", required=True, help="Folder for content_seg.png and style_seg_1.png, ... (made if missing).")
@click.option("--regions", **REGIONS, help="How many regions (2 to 9), or picked: as many as the photo shows (2 to 5).")
@click.option("--content_seg", default=AUTO, show_default=True,
              help="The photo's segmentation by hand, for the styles' to follow (default: found too).")
@click.option("--size", type=int, default=512, show_default=True, help="Longest side of the written segmentations.")
@click.option("--overwrite", is_flag=True, help="Replace segmentations already in --out.")
@quiet_verbose_options
def command(**opts) -> None:
    """Find matched regions of a photo and paintings (region 1 of the photo is the same kind of thing as
    region 1 of each painting) and write them as segmentations the run reads."""
    content = resolve_input(opts["content_img"], ".", "content_img")
    if not opts["style_imgs"]:
        raise NeuralStyleError("style_imgs: at least one style image is needed (--style_imgs painting.jpg)")
    specs = [StyleSpec(resolve_input(p, ".", f"style_imgs[{k}]")) for k, p in enumerate(opts["style_imgs"])]
    given = AUTO if opts["content_seg"] == AUTO else resolve_input(opts["content_seg"], ".", "content_seg")
    segmentation = Segmentation(given, (AUTO,) * len(specs), opts["regions"])
    config = TransferConfig(max_size=opts["size"])
    out = Path(opts["out_dir"])
    targets = [out / "content_seg.png"] + [out / f"style_seg_{k}.png" for k in range(1, len(specs) + 1)]
    taken = [str(t) for t in targets if t.exists()]
    if taken and not opts["overwrite"]:
        raise NeuralStyleError(f"out: {taken[0]!r} exists; add --overwrite to replace it")
    check_inputs(content, specs, segmentation, config)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NeuralStyleError(f"out: cannot create the folder {str(out)!r} ({error.strerror})") from None
    found = auto_segmentation(segmentation, content, specs, config)
    segs = [found.content, *found.styles]
    for path, seg in zip(targets, segs, strict=True):
        if not isinstance(seg, Path):  # a segmentation given by hand is not written again
            images.save_image(path, seg)
    _, regions = segmentation_styles(segs[0], specs, segs[1:], config.max_size)
    if not opts["quiet"]:
        click.echo(describe_regions(regions))
        click.echo(f"wrote {', '.join(str(t) for t, s in zip(targets, segs, strict=True) if not isinstance(s, Path))}",
                   err=True)


def long_option_names() -> frozenset[str]:
    return frozenset(opt.lstrip("-") for param in command.params for opt in param.opts + param.secondary_opts
                     if opt.startswith("--"))
