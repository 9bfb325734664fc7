"""Subject masks from a box: intersection over union with the hand masks of the two shared portraits.

    python -m bench.bench_mask [--half-widths 0.6 0.75 0.9]

The box is the hand mask's bounding box widened by 5 % of the photo on each side (clipped), in pixels,
as ``neural-style mask --box`` takes it. Prints, per portrait, the IoU from the box alone
(``--no_faces``) and with the faces found in it at each :data:`~neural_style.subject.HEAD_HALF_WIDTH`;
``--grey``: of greyscale copies of the photos.
A script, not a test.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from neural_style import images, subject
from neural_style.errors import NeuralStyleError

MASKS = Path(__file__).resolve().parent.parent.parent / "shared" / "images" / "masks"
PORTRAITS = ("00110.jpg", "face.jpg", "dpst_in11.png", "dpst_in11_style.png")
"""Two photos with a person mask, and DPST's two close-up portraits, whose person is every hand region
but the background's (the colour of the top left corner)."""


def person(name: str) -> np.ndarray:
    """The hand-made person mask ``[H, W]`` bool of a portrait."""
    stem = name.rsplit(".", 1)[0]
    if stem.startswith("dpst"):
        seg = images.load_image(MASKS / f"{stem}_mask.png").astype(np.int32)
        return np.abs(seg - seg[0, 0]).sum(axis=2) > 96
    return images.load_mask(MASKS / f"{stem}_mask.png") > 0.5


def widened_box(hand: np.ndarray, margin: float = 0.05) -> tuple[float, float, float, float]:
    """The bounding box of ``hand`` ``[H, W]`` bool widened by ``margin`` of the photo, in fractions."""
    height, width = hand.shape
    rows, cols = np.nonzero(hand)
    x0, y0 = max(0, round(cols.min() - margin * width)), max(0, round(rows.min() - margin * height))
    x1, y1 = min(width, round(cols.max() + 1 + margin * width)), min(height, round(rows.max() + 1 + margin * height))
    return x0 / width, y0 / height, x1 / width, y1 / height


def iou(mask: np.ndarray, hand: np.ndarray) -> float:
    return float(((mask > 0.5) & hand).sum() / ((mask > 0.5) | hand).sum())


def measure(photo: np.ndarray, hints: np.ndarray, hand: np.ndarray) -> str:
    """The IoU of GrabCut's mask from ``hints``, or why there is none (a box over the whole photo and
    no face to say where the background is leaves GrabCut no background)."""
    try:
        return f"{iou(subject.grabcut_mask(photo, hints), hand):.3f}"
    except NeuralStyleError:
        return "(no background)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half-widths", type=float, nargs="+", default=[0.6, 0.75, 0.9])
    parser.add_argument("--grey", action="store_true", help="the photos made greyscale first (messy input)")
    args = parser.parse_args()
    print("| photo | box (px) | box alone | " + " | ".join(f"faces, {k:g} face widths" for k in args.half_widths) + " |")
    print("|---|---|---|" + "---|" * len(args.half_widths))
    for name in PORTRAITS:
        photo = images.load_image(MASKS / name)
        if args.grey:
            photo = np.repeat(photo.mean(axis=2, keepdims=True), 3, axis=2)
        hand = person(name)
        box = widened_box(hand)
        hints = subject.box_hints(hand.shape, box)
        faces = subject.find_faces(photo)
        cells = [measure(photo, hints, hand)]
        for k in args.half_widths:
            with mock.patch.object(subject, "HEAD_HALF_WIDTH", k):
                cells.append(measure(photo, subject.beside_heads(hints, faces, box)[0], hand))
        pixels = " ".join(f"{v * s:g}" for v, s in zip(box, hand.shape[::-1] * 2, strict=True))
        print(f"| {name} | {pixels} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
