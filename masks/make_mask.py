"""Make a binary mask (white = subject) for a photo with OpenCV's GrabCut, from rough boxes.

    python masks/make_mask.py image_input/astronaut.png masks/astronaut_mask.png \\
        --box 0 0.02 0.74 1 --bg 0 0 0.1 0.5 --fg 0.3 0.06 0.55 0.3 --fg 0.1 0.35 0.45 0.9

Boxes are ``left top right bottom`` as fractions of the width and height. ``--box``: where the
subject may be (outside is background); ``--fg``/``--bg`` (repeatable): areas that are surely subject
or probably background. The inverse mask (white = background) is written beside it with ``_inv``.
Check the result by eye and touch it up in any paint program: white = this style, black = not.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

Box = tuple[float, float, float, float]


def grabcut_mask(image: np.ndarray, box: Box, fg: list[Box], bg: list[Box], iterations: int = 8) -> np.ndarray:
    """uint8 mask [H, W], 255 inside the subject, from a BGR image and fractional boxes."""
    h, w = image.shape[:2]
    hints = np.full((h, w), cv2.GC_BGD, np.uint8)

    def paint(b: Box, value: int) -> None:
        hints[int(b[1] * h):int(b[3] * h), int(b[0] * w):int(b[2] * w)] = value

    paint(box, cv2.GC_PR_FGD)
    for b in bg:
        paint(b, cv2.GC_PR_BGD)
    for b in fg:
        paint(b, cv2.GC_FGD)
    cv2.setRNGSeed(0)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, hints, None, *models, iterations, cv2.GC_INIT_WITH_MASK)
    subject = np.isin(hints, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8) * 255
    return cv2.morphologyEx(subject, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("output")
    parser.add_argument("--box", type=float, nargs=4, default=(0.05, 0.05, 0.95, 0.95))
    parser.add_argument("--fg", type=float, nargs=4, action="append", default=[])
    parser.add_argument("--bg", type=float, nargs=4, action="append", default=[])
    args = parser.parse_args()
    mask = grabcut_mask(cv2.imread(args.image), tuple(args.box), args.fg, args.bg)
    out = Path(args.output)
    cv2.imwrite(str(out), mask)
    cv2.imwrite(str(out.with_name(f"{out.stem}_inv{out.suffix}")), 255 - mask)


if __name__ == "__main__":
    main()
