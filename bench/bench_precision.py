"""Does bfloat16 keep the quality? The yardstick distances of float32 and bfloat16 runs, side by side.

    python -m bench.bench_precision                          # 4 content/style pairs, 256 px, 200 iterations
    python -m bench.bench_precision --size 512 --iterations 300 --pairs tubingen.jpg:starry_night.jpg

For each pair of real images (tests/data, image_input), the same configuration runs once in float32 and
once in bfloat16 (``TransferConfig.precision``), everything else at its default; both outputs are judged
by ``yardstick.py`` (float32 network) at the run's size. The table gives each distance and the relative
difference ``bf16 / f32 - 1``. A script, not a test.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDERS = (REPO / "tests" / "data", REPO / "image_input")
PAIRS = ("tubingen.jpg:starry_night.jpg", "face.jpg:the_scream.jpg", "chelsea.png:great_wave_hokusai.jpg",
         "astronaut.png:composition_vii_kandinsky.jpg")


def find(name: str) -> Path:
    for folder in FOLDERS:
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"{name}: not in {', '.join(str(f) for f in FOLDERS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), metavar="CONTENT:STYLE")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--optimizer", default="lbfgs", choices=("lbfgs", "adam"))
    parser.add_argument("--scales", type=int, default=1)
    args = parser.parse_args()

    from bench.yardstick import Yardstick
    from neural_style import StyleSpec, TransferConfig, run_transfer
    from neural_style.images import load_image

    stick = Yardstick()
    print(f"{args.size} px, {args.optimizer}, {args.iterations} iterations, scales {args.scales}; "
          "other settings at their defaults\n")
    print("| content | style | f32 gram | bf16 gram | Δ gram | f32 content | bf16 content | Δ content | f32 s | bf16 s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    deltas: dict[str, list[float]] = {"gram": [], "content": []}
    for pair in args.pairs:
        content_name, style_name = pair.split(":")
        content, style = find(content_name), find(style_name)
        row = {}
        for precision in ("float32", "bfloat16"):
            config = TransferConfig(max_size=args.size, max_iterations=args.iterations, optimizer=args.optimizer,
                                    precision=precision, scales=args.scales)
            start = time.perf_counter()
            result = run_transfer(content, [StyleSpec(style)], config)
            seconds = time.perf_counter() - start
            measured = stick.measure(result.image, load_image(content), load_image(style), args.size)
            row[precision] = (measured["gram"], measured["content"], seconds)
        (g32, c32, t32), (g16, c16, t16) = row["float32"], row["bfloat16"]
        deltas["gram"].append(g16 / g32 - 1)
        deltas["content"].append(c16 / c32 - 1)
        print(f"| {content_name} | {style_name} | {g32:.4f} | {g16:.4f} | {100 * (g16 / g32 - 1):+.1f} % "
              f"| {c32:.4f} | {c16:.4f} | {100 * (c16 / c32 - 1):+.1f} % | {t32:.0f} | {t16:.0f} |", flush=True)
    for key, values in deltas.items():
        print(f"\n{key}: bf16 vs f32 median {100 * statistics.median(values):+.1f} %, "
              f"range {100 * min(values):+.1f} % .. {100 * max(values):+.1f} %", end="")
    print()


if __name__ == "__main__":
    main()
