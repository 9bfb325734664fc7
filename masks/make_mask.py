"""Make a binary mask (white = subject) for a photo with OpenCV's GrabCut, from rough boxes: a thin
call of ``neural-style mask`` (its --help has the details), kept for the command lines that use it.

    python masks/make_mask.py image_input/astronaut.png masks/astronaut_mask.png \\
        --box 0 0.02 0.74 1 --bg 0 0 0.1 0.5 --fg 0.3 0.06 0.55 0.3 --fg 0.1 0.35 0.45 0.9

Boxes are ``left top right bottom`` as fractions of the width and height (or pixels). ``--box``: where
the subject may be (outside is background); ``--fg``/``--bg`` (repeatable): areas that are surely
subject or probably background. The inverse mask (white = background) is written beside it with
``_inv``. Check the result by eye and touch it up in any paint program (or paint it in
``neural-style studio``): white = this style, black = not.
"""

from __future__ import annotations

import argparse

from neural_style.cli import main as neural_style


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("output")
    parser.add_argument("--box", nargs=4, default=["0.05", "0.05", "0.95", "0.95"])
    parser.add_argument("--fg", nargs=4, action="append", default=[])
    parser.add_argument("--bg", nargs=4, action="append", default=[])
    args = parser.parse_args()
    argv = ["mask", "--content_img", args.image, "-o", args.output, "--overwrite", "--box", *args.box]
    for name in ("fg", "bg"):
        for box in getattr(args, name):
            argv += [f"--{name}", *box]
    neural_style(argv)


if __name__ == "__main__":
    main()
