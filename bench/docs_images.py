"""Make the pictures of the README and docs/: run its commands through the CLI, time them, and lay out photo | style
or mask | result at 320 px high, 8 px apart, as docs/example.jpg and docs/masked.jpg; and docs/blend.jpg:
the photo, then Starry Night alone, the Great Wave alone and their stored 50/50 blend (style library);
and docs/batch.jpg: docs/batch.md's example, one row per photo; and docs/auto-regions.jpg: automatic regions.

    python -m bench.docs_images --out /tmp/docs_out      # then look at them and copy them into docs/

A script, not a test; its wall times are the ones the captions quote.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
HEIGHT, GAP = 320, 8
RUNS = {
    "example": (["-content_img", "astronaut.png", "-style_imgs", "starry_night.jpg"], "image_input/starry_night.jpg"),
    "masked": (["-content_img", "astronaut.png", "-style_imgs", "starry_night.jpg", "composition_vii_kandinsky.jpg",
                "-style_mask", "1", "-style_mask_imgs", "astronaut_mask.png", "astronaut_mask_inv.png"],
               "masks/astronaut_mask.png"),
}


def tile(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    width = round(image.shape[1] * HEIGHT / image.shape[0])
    return cv2.resize(image, (width, HEIGHT), interpolation=cv2.INTER_AREA)


def cli(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "cli.py"), *args], check=True, cwd=REPO)
    return time.perf_counter() - start


def blend_sheet(out: Path) -> None:
    """The stored blend next to each painting alone, all through the library (a fresh one in ``out``)."""
    library = ["--library", str(out / "docs.sqlite")]
    (out / "docs.sqlite").unlink(missing_ok=True)
    for name, image in (("starry", "starry_night.jpg"), ("wave", "great_wave_hokusai.jpg")):
        print(f"add {name}: {cli('styles', *library, 'add', name, image):.0f} s", flush=True)
    cli("styles", *library, "blend", "starry+wave", "starry:0.5", "wave:0.5")
    tiles = [tile(REPO / "image_input" / "astronaut.png")]
    for name in ("starry", "wave", "starry+wave"):
        result = out / f"blend_{name}.png"
        seconds = cli("-content_img", "astronaut.png", "-style_imgs", f"lib:{name}", *library, "-o", str(result),
                      "--overwrite", "-q")
        print(f"lib:{name}: {seconds:.0f} s", flush=True)
        tiles.append(tile(result))
    gap = np.full((HEIGHT, GAP, 3), 255, np.uint8)
    sheet = np.hstack([part for t in tiles for part in (t, gap)][:-1])
    cv2.imwrite(str(out / "blend.jpg"), sheet, [cv2.IMWRITE_JPEG_QUALITY, 90])


BATCH_CONTENTS = ("../shared/images/content/tubingen.jpg", "../shared/images/content/golden_gate.jpg",
                  "../shared/images/content/chelsea.png")
BATCH_STYLES = ("starry_night.jpg", "the_scream.jpg")


def batch_sheet(out: Path, size: int = 192) -> None:
    """docs/batch.md's example: 3 photos x 2 paintings x 2 style weights, one row per photo (the
    photo, then each painting at each weight), as docs/batch.jpg."""
    folder = out / "batch"
    seconds = cli("batch", "--contents", *BATCH_CONTENTS, "--style_imgs", *BATCH_STYLES, "--grid", "style_weight=1e3,1e4",
                  "--max_size", str(size), "--out", str(folder))
    print(f"batch of 12 at {size} px: {seconds:.0f} s", flush=True)
    height = 200
    gap = np.full((height, GAP, 3), 255, np.uint8)
    rows = []
    for content in BATCH_CONTENTS:
        stem = Path(content).stem
        paths = [REPO / content] + [folder / f"{stem}__{Path(style).stem}__style_weight={w}.png"
                                    for style in BATCH_STYLES for w in ("1e3", "1e4")]
        tiles = []
        for path in paths:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            tiles.append(cv2.resize(image, (round(image.shape[1] * height / image.shape[0]), height), interpolation=cv2.INTER_AREA))
        rows.append(np.hstack([part for t in tiles for part in (t, gap)][:-1]))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    line = np.full((GAP, width, 3), 255, np.uint8)
    sheet = np.vstack([part for row in rows for part in (row, line)][:-1])
    cv2.imwrite(str(out / "batch.jpg"), sheet, [cv2.IMWRITE_JPEG_QUALITY, 88])


AUTO_SET = "dpst_in1"
"""A DPST set (../shared/images/masks) whose automatic regions held at 256 px (bench/results/auto-regions.md)."""


def auto_sheet(out: Path, size: int = 384) -> None:
    """docs/regions.md's picture, as docs/auto-regions.jpg: the photo, the painting, the automatic regions
    of both (``neural-style regions``), the unsegmented run and the run with ``--content_seg auto
    --style_segs auto``, at the defaults and ``size`` px."""
    masks = REPO.parent / "shared" / "images" / "masks"
    photo, painting = masks / f"{AUTO_SET}.png", masks / f"{AUTO_SET}_style.png"
    folder = out / "auto"
    cli("regions", "--content_img", str(photo), "--style_imgs", str(painting), "--out", str(folder), "--size", str(size),
        "--overwrite")
    common = ["-content_img", str(photo), "-style_imgs", str(painting), "--max_size", str(size), "--overwrite", "-q"]
    plain = cli(*common, "-o", str(folder / "unsegmented.png"))
    auto = cli(*common, "--content_seg", "auto", "--style_segs", "auto", "-o", str(folder / "auto.png"))
    print(f"{AUTO_SET} at {size} px: unsegmented {plain:.0f} s, auto {auto:.0f} s", flush=True)
    parts = [photo, painting, folder / "content_seg.png", folder / "style_seg_1.png", folder / "unsegmented.png",
             folder / "auto.png"]
    height = 200
    tiles = []
    for path in parts:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        tiles.append(cv2.resize(image, (round(image.shape[1] * height / image.shape[0]), height), interpolation=cv2.INTER_AREA))
    gap = np.full((height, GAP, 3), 255, np.uint8)
    cv2.imwrite(str(out / "auto-regions.jpg"), np.hstack([part for t in tiles for part in (t, gap)][:-1]),
                [cv2.IMWRITE_JPEG_QUALITY, 90])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/docs_out"))
    parser.add_argument("--only", choices=("runs", "blend", "batch", "auto"), default=None, help="make one sheet only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only == "batch":
        batch_sheet(args.out)
        return
    if args.only == "blend":
        blend_sheet(args.out)
        return
    if args.only == "auto":
        auto_sheet(args.out)
        return
    for name, (cli_args, middle) in RUNS.items():
        result = args.out / f"{name}_result.png"
        start = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "cli.py"), *cli_args, "-o", str(result), "--overwrite", "-q"],
                       check=True, cwd=REPO)
        seconds = time.perf_counter() - start
        tiles = [tile(REPO / "image_input" / "astronaut.png"), tile(REPO / middle), tile(result)]
        gap = np.full((HEIGHT, GAP, 3), 255, np.uint8)
        sheet = np.hstack([tiles[0], gap, tiles[1], gap, tiles[2]])
        cv2.imwrite(str(args.out / f"{name}.jpg"), sheet, [cv2.IMWRITE_JPEG_QUALITY, 90])
        print(f"{name}: {seconds:.0f} s -> {args.out / (name + '.jpg')}", flush=True)
    if args.only is None:
        blend_sheet(args.out)
        batch_sheet(args.out)
        auto_sheet(args.out)


if __name__ == "__main__":
    main()
