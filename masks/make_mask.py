"""Make a binary mask (white = subject) for a photo with OpenCV's GrabCut, from rough boxes.

    python masks/make_mask.py image_input/astronaut.png masks/astronaut_mask.png \\
        --box 0 0.02 0.74 1 --bg 0 0 0.1 0.5 --fg 0.3 0.06 0.55 0.3 --fg 0.1 0.35 0.45 0.9

Boxes are ``left top right bottom`` as fractions of the width and height. ``--box``: where the
subject may be (outside is background); ``--fg``/``--bg`` (repeatable): areas that are surely subject
or probably background. The inverse mask (white = background) is written beside it with ``_inv``.
Check the result by eye and touch it up in any paint program (or paint it in ``neural-style studio``):
white = this style, black = not. The GrabCut logic is :mod:`neural_style.regions`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from neural_style.images import load_image, save_image, to_uint8
from neural_style.regions import box_hints, grabcut_mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("output")
    parser.add_argument("--box", type=float, nargs=4, default=(0.05, 0.05, 0.95, 0.95))
    parser.add_argument("--fg", type=float, nargs=4, action="append", default=[])
    parser.add_argument("--bg", type=float, nargs=4, action="append", default=[])
    args = parser.parse_args()
    image = load_image(args.image)
    mask = grabcut_mask(image, box_hints(image.shape[:2], tuple(args.box), args.fg, args.bg))
    out = Path(args.output)
    for path, values in ((out, mask), (out.with_name(f"{out.stem}_inv{out.suffix}"), 1 - mask)):
        save_image(path, to_uint8(np.repeat(values[:, :, None] * 255, 3, axis=2)))


if __name__ == "__main__":
    main()
