"""Automatic regions against hand segmentations: the adjusted Rand index on the DPST sets.

For each set (content photo, style, and their hand-made segmentations from ../shared/images/masks),
finds matched regions of the content and the style together (:func:`neural_style.regions.auto_labels`)
at 256 px and compares each with its hand segmentation (adjusted Rand index: 1 is the same partition,
0 what chance gives; the labels' colours do not matter, only which pixels go together), and measures
the matching: the share of the content's pixels whose automatic region is matched to a style region
that lies mostly in the style's hand region of the pixel's own hand label (``match``; 1: every
content region was given the right kind of thing in the style).

    python -m bench.bench_regions [--regions picked 2 3 4] [--sets dpst_in1 dpst_in2 ...] [--sheet OUT.png] [--grey]

``--grey``: the photo made greyscale first (messy input; the painting keeps its colours).

Prints a Markdown table (one row per set, content and style ARI per K) and the medians.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.regions import (
    AUTO_PALETTE,
    AUTO_REGIONS,
    PICKED,
    auto_labels,
    colour_coded,
    feature_function,
    region_palette,
)
from neural_style.segmentation import find_regions, label_map, match_colours

ROOT = Path(__file__).resolve().parent.parent
MASKS = ROOT.parent / "shared" / "images" / "masks"
SETS = ("dpst_in1", "dpst_in2", "dpst_in6", "dpst_in8", "dpst_in11", "dpst_in16", "dpst_in21", "dpst_in25",
        "dpst_in28", "dpst_in34", "dpst_in38", "dpst_in42", "dpst_in50", "dpst_in59")
SIZE = 256


def adjusted_rand_index(a: np.ndarray, b: np.ndarray) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings of the same pixels."""
    _, first = np.unique(a.ravel(), return_inverse=True)
    _, second = np.unique(b.ravel(), return_inverse=True)
    table = np.zeros((first.max() + 1, second.max() + 1))
    np.add.at(table, (first, second), 1)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    together, rows, cols, total = pairs(table), pairs(table.sum(1)), pairs(table.sum(0)), a.size * (a.size - 1) / 2
    expected, most = rows * cols / total, (rows + cols) / 2
    return 1.0 if most == expected else (together - expected) / (most - expected)


def hand_labels(name: str, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The hand segmentation of ``name`` as a label map at ``shape`` (nearest: no blended edges) and
    its region colours ``[K, 3]``."""
    import cv2

    seg = images.load_image(MASKS / f"{name}_mask.png").astype(np.uint8)
    seg = cv2.resize(seg, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    centres, _ = find_regions(seg, name)
    return label_map(seg, centres), centres


def match_share(auto: list[np.ndarray], hand: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Share of the content's pixels whose automatic region's counterpart in the style (the same
    label) lies mostly in the style's hand region of the same colour as the pixel's own hand region."""
    (content_hand, content_colours), (style_hand, style_colours) = hand
    same = match_colours(content_colours, style_colours)  # content hand label -> style hand label
    right = 0
    for label in np.unique(auto[0]):
        inside = style_hand[auto[1] == label]
        if not inside.size:
            continue
        mostly = np.bincount(inside).argmax()
        pixels = content_hand[auto[0] == label]
        right += sum(int((pixels == h).sum()) for h, s in enumerate(same) if s == mostly)
    return right / auto[0].size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=lambda v: None if v == PICKED else int(v), nargs="+", default=[AUTO_REGIONS],
                        help="region counts to measure; picked: as many as each photo shows (default: the package's)")
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--sheet", type=Path, default=None, help="a contact sheet: photo, hand, auto; style, hand, auto")
    parser.add_argument("--grey", action="store_true", help="the photo made greyscale first (messy input)")
    args = parser.parse_args()
    features = feature_function()
    scores = {k: [] for k in args.regions}
    rows = []
    for name in args.sets:
        photo = images.fit_longest_side(images.load_image(MASKS / f"{name}.png"), SIZE)
        if args.grey:
            photo = np.repeat(photo.mean(axis=2, keepdims=True), 3, axis=2)
        style = images.fit_longest_side(images.load_image(MASKS / f"{name}_style.png"), SIZE)
        hands = [hand_labels(name, photo.shape[:2]), hand_labels(f"{name}_style", style.shape[:2])]
        cells = []
        for k in args.regions:
            labels, count = auto_labels(features, [photo, style], [None, None], k)
            row = [adjusted_rand_index(a, h) for a, (h, _) in zip(labels, hands, strict=True)]
            row.append(match_share(labels, hands))
            scores[k].append(row)
            cells.append(f"{row[0]:.2f} / {row[1]:.2f} / {row[2]:.2f}" + (f" (K={count})" if k is None else ""))
            if args.sheet is not None and k == args.regions[0]:
                rows.append((photo, hands, labels, style, count))
        print(f"| {name} | {len(hands[0][1])} / {len(hands[1][1])} | " + " | ".join(cells) + " |", flush=True)
    for k, rows_k in scores.items():
        values = np.array(rows_k)
        print(f"K={k or PICKED}: median ARI content {np.median(values[:, 0]):.3f}, style {np.median(values[:, 1]):.3f}, "
              f"both {np.median(values[:, :2]):.3f}; match median {np.median(values[:, 2]):.3f}, "
              f"mean {values[:, 2].mean():.3f}")
    if args.sheet is not None:
        save_sheet(args.sheet, rows)


def save_sheet(path: Path, rows: list) -> None:
    """One row per set: photo, its hand regions, its automatic regions, style, hand, automatic (128 px high)."""
    import cv2

    def tile(image: np.ndarray) -> np.ndarray:
        height = 128
        return cv2.resize(np.asarray(image, np.float32), (round(image.shape[1] * height / image.shape[0]), height),
                          interpolation=cv2.INTER_AREA)

    lines = []
    for photo, hands, labels, style, k in rows:
        palette = region_palette(AUTO_PALETTE[:k])  # label k: a region without a counterpart
        parts = [photo, colour_coded(hands[0][0]), colour_coded(labels[0], palette), style, colour_coded(hands[1][0]),
                 colour_coded(labels[1], palette)]
        lines.append(np.concatenate([tile(p) for p in parts], axis=1))
    width = max(line.shape[1] for line in lines)
    sheet = np.concatenate([np.pad(line, ((0, 4), (0, width - line.shape[1]), (0, 0)), constant_values=255)
                            for line in lines])
    images.save_image(path, images.to_uint8(sheet))


if __name__ == "__main__":
    main()
