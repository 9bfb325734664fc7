"""Tiled runs: print-size outputs in bounded memory, measured from outside, and tiles against whole runs.

    python -m bench.bench_tiling demo --out /tmp/demo4096 -- --enlarge --max_size 4096 --max_memory 8G
    python -m bench.bench_tiling table --out /tmp/tiling_table --size 512 --tile 256

``demo``: the CLI with tubingen.jpg x Starry Night and the options after ``--``, under
``/usr/bin/time -v``: peak resident memory (the kernel's, KiB), wall time, the plan's note, the seam
measure (:func:`neural_style.tiling.seam_measure` against the photo enlarged to the output's size, over
the tiles of the finest scale) and a 100 % crop around the first tile border for looking at.

``table``: photo x painting pairs at ``--size`` px, each run whole and in ``--tile`` px tiles (1 and 2
sweeps); yardstick distances (bench/yardstick.py, at the output's size) and the seam measure. A script,
not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "images"

PAIRS = [("content/tubingen.jpg", "style/starry_night.jpg"), ("content/golden_gate.jpg", "style/the_scream.jpg"),
         ("content/astronaut.png", "style/composition_vii_kandinsky.jpg"), ("content/coffee.png", "style/great_wave_hokusai.jpg")]


def seams(output: Path, content: Path, tile: int, overlap: int) -> tuple[float, list[int]]:
    """The seam measure of ``output`` over its finest scale's tiles, and the tile columns' borders."""
    from neural_style import tiling
    from neural_style.images import load_image, resize_to

    image = load_image(output)
    photo = resize_to(load_image(content), *image.shape[:2])
    tiles = tiling.tile_grid(*image.shape[:2], tile, overlap)
    return tiling.seam_measure(image, photo, tiles), tiling.seam_lines(tiles, *image.shape[:2])[1]


def demo(out: Path, extra: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    output = out / "tubingen.png"
    content = SHARED / "content" / "tubingen.jpg"
    args = ["/usr/bin/time", "-v", sys.executable, "cli.py", "-content_img", str(content), "-style_imgs",
            str(SHARED / "style" / "starry_night.jpg"), *extra, "-o", str(output), "--overwrite"]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr).group(1)
    notes = [line for line in proc.stderr.splitlines() if line.startswith("neural-style:")]
    result = {"command": " ".join(args[2:]), "exit": proc.returncode, "peak_gib": peak_kib / 2**20,
              "peak_gb": peak_kib * 1024 / 1e9, "wall": wall, "notes": notes}
    if proc.returncode == 0:
        record = json.loads(output.with_suffix(".json").read_text())
        config = record["config"]
        result |= {"seconds": record["seconds"], "scales": record["scales"], "tile": config["tile"]}
        if config["tile"]:
            measure, columns = seams(output, content, config["tile"], config["tile_overlap"])
            result["seam_measure"] = measure
            image = cv2.imread(str(output))
            top = image.shape[0] // 2 - 256
            left = max(0, columns[0] - 256)
            cv2.imwrite(str(out / "crop_100.png"), image[top:top + 512, left:left + 512])
    (out / "demo.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def table(out: Path, size: int, tile: int, overlap: int, iterations: int) -> None:
    from bench.yardstick import Yardstick, measure_files

    out.mkdir(parents=True, exist_ok=True)
    stick = Yardstick()
    rows = []
    for content, style in PAIRS:
        for label, extra in (("whole", ["--tile", "0"]), ("tiles, 1 sweep", ["--tile", str(tile)]),
                             ("tiles, 2 sweeps", ["--tile", str(tile), "--tile_sweeps", "2"])):
            output = out / f"{Path(content).stem}_{Path(style).stem}_{label.replace(', ', '_').replace(' ', '')}.png"
            if not output.exists():
                subprocess.run([sys.executable, "cli.py", "-content_img", str(SHARED / content), "-style_imgs",
                                str(SHARED / style), "--max_size", str(size), "--max_iterations", str(iterations),
                                "--tile_overlap", str(overlap), *extra, "-o", str(output), "-q", "--overwrite"],
                               cwd=REPO, check=True)
            distances = measure_files(output, SHARED / content, SHARED / style, size, stick=stick)
            record = json.loads(output.with_suffix(".json").read_text())
            measure, _ = seams(output, SHARED / content, tile, overlap)
            rows.append((Path(content).stem, Path(style).stem, label, distances["gram"], distances["content"], measure,
                         record["seconds"]))
            print(rows[-1], flush=True)
    print(f"\n{size} px, {iterations} iterations, tiles {tile} px, overlap {overlap} px\n")
    print("| photo | painting | run | Gram distance | content distance | seam measure | seconds |\n|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]:.3f} | {row[4]:.3f} | {row[5]:.3f} | {row[6]:.0f} |")
    sheet = [np.hstack([cv2.resize(cv2.imread(str(p)), (size, round(size * 0.75))) for p in sorted(out.glob(f"{Path(c).stem}_*.png"))])
             for c, _ in PAIRS]
    cv2.imwrite(str(out / "sheet.jpg"), np.vstack(sheet), [cv2.IMWRITE_JPEG_QUALITY, 85])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["demo", "table"])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_tiling"))
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--overlap", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=200)
    args, extra = parser.parse_known_args()  # demo: the CLI options after --
    if args.mode == "demo":
        demo(args.out, [a for a in extra if a != "--"])
    else:
        table(args.out, args.size, args.tile, args.overlap, args.iterations)


if __name__ == "__main__":
    main()
