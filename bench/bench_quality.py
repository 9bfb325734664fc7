"""Time to quality: run named configurations of our tool at one size and judge each with the yardstick.

    python -m bench.bench_quality --configs default --repeats 3 --pastiche-json /tmp/pastiche_default.json

Each configuration runs in a fresh process through the CLI (``cli.py``), so its wall time includes
start-up, image loading, tracing and every iteration, as a user waits for it. The yardstick
(``bench/yardstick.py``: Gram distance to the style over relu1_1..relu5_1, relu4_2 distance to the
content) is computed identically for every output, and for pastiche's default run when its JSON record
from ``bench_pastiche.py --pastiche-default --json ...`` is given. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"

# name -> CLI arguments (added to content, style, size and output).
NST = ["--content_weight", "5", "--scales", "1", "--max_iterations", "1000"]  # neural-style-tf's run
CONFIGS: dict[str, list[str]] = {
    "default": [],  # our defaults: 3 scales, 500 iterations (287/142/71), content weight 100, precision auto
    "default-f32": ["--precision", "float32"],
    "cw200": ["--content_weight", "200"],
    "nst-1000": NST,
    "nst-300": NST[:-1] + ["300"],
    "nst-pyr3": ["--content_weight", "5"],  # coarse-to-fine at neural-style-tf's content weight: loses the photo
    # Shorter schedules on a 4:3 photo (two scales kept by the floor: 256 px, 512 px), issue 13's speed lever.
    "s2-200-60": ["--scales", "2", "--scale_iterations", "200", "60"],
    "s2-150-30": ["--scales", "2", "--scale_iterations", "150", "30"],
    "s2-100-15": ["--scales", "2", "--scale_iterations", "100", "15"],
    "s2-142-71": ["--scales", "2", "--scale_iterations", "142", "71"],  # 287/142/71 with the skipped scale's share dropped
    "s2-150-30-cw200": ["--scales", "2", "--scale_iterations", "150", "30", "--content_weight", "200"],
    "s2-100-30-cw200": ["--scales", "2", "--scale_iterations", "100", "30", "--content_weight", "200"],
    "s2-100-15-cw200": ["--scales", "2", "--scale_iterations", "100", "15", "--content_weight", "200"],
    # Three scales down to 128 px (short side 96 on a 4:3 photo): style iterations where they are cheap.
    "s3f64-200-60-15": ["--scales", "3", "--min_scale_side", "64", "--scale_iterations", "200", "60", "15"],
    "s2-100-30": ["--scales", "2", "--scale_iterations", "100", "30"],
    "s2-100-30-cw30": ["--scales", "2", "--scale_iterations", "100", "30", "--content_weight", "30"],
    # The shape of pastiche's per-layer balance: its 10/C^2 x MSE(G, A) = 10/C^4 x sum (G - A)^2 per layer against
    # its content term, 0.01 x MSE at relu4_2 (577x433), is 194, 48, 12, 3, 3 times ours (relu1_1..relu5_1, ours
    # 1e4 x 0.2/5 x 1/(4 C^2) against 100 x 1/(2 sqrt(N M)) at 512x384), activations' magnitudes aside. "-lw" has
    # that shape at a fifth of its strength (39, 9.7, 2.4, 0.6, 0.6 times ours), "-lw5" the full strength.
    "s2-100-30-lw": ["--scales", "2", "--scale_iterations", "100", "30", "--style_layer_weights", "39", "9.7", "2.4",
                     "0.6", "0.6", "--style_weight", "105000"],
    "s2-100-30-lw5": ["--scales", "2", "--scale_iterations", "100", "30", "--style_layer_weights", "39", "9.7",
                      "2.4", "0.6", "0.6", "--style_weight", "525000"],
    "s2-100-30-rel": ["--scales", "2", "--scale_iterations", "100", "30", "--style_normalization", "relative"],
    # Shorter schedules under the relative loss (issue 13's 2.5 % of pastiche's wall time).
    "s2-80-20-rel": ["--scales", "2", "--scale_iterations", "80", "20", "--style_normalization", "relative"],
    "s2-60-20-rel": ["--scales", "2", "--scale_iterations", "60", "20", "--style_normalization", "relative"],
    "s2-60-15-rel": ["--scales", "2", "--scale_iterations", "60", "15", "--style_normalization", "relative"],
}


def run(name: str, args: argparse.Namespace, out_dir: Path, repeat: int = 0) -> dict:
    output = out_dir / f"{name}{'' if repeat == 0 else f'-{repeat}'}.png"
    cmd = [sys.executable, str(REPO / "cli.py"), "--content_img", str(args.content), "--style_imgs", str(args.style),
           "--max_size", str(args.size), "-o", str(output), "--overwrite", "--quiet", *CONFIGS[name], *args.extra]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO)
    return {"name": name, "wall_s": time.perf_counter() - start, "output": str(output)}


def spread(group: list[dict], key: str) -> str:
    return f"{min(r[key] for r in group):.4f}–{max(r[key] for r in group):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["default"])
    parser.add_argument("--repeats", type=int, default=1, help="runs per configuration (wall time median, spread)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--content", type=Path, default=DATA / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=DATA / "starry_night.jpg")
    parser.add_argument("--pastiche-json", type=Path, help="record of bench_pastiche.py --pastiche-default")
    parser.add_argument("--out-dir", type=Path, default=Path("/tmp/bench_quality"))
    parser.add_argument("--extra", nargs="*", default=[], help="more CLI arguments for every run, e.g. --extra=--enlarge")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    repeats = {name: [run(name, args, args.out_dir, k) for k in range(args.repeats)] for name in args.configs}

    from bench.yardstick import Yardstick, measure_files

    stick = Yardstick()
    runs = []
    for name, group in repeats.items():
        for r in group:
            r.update(measure_files(r["output"], args.content, args.style, args.size, stick=stick))
        walls = sorted(r["wall_s"] for r in group)
        print(f"{name}: {len(group)} run(s), wall {walls[0]:.1f}–{walls[-1]:.1f} s, gram {spread(group, 'gram')}, "
              f"content {spread(group, 'content')}", file=sys.stderr)
        runs.append({**group[len(group) // 2], "wall_s": statistics.median(walls)})
    reference = None
    if args.pastiche_json:
        record = next(r for r in json.loads(args.pastiche_json.read_text())["runs"] if r["tool"] == "pastiche")
        reference = {"name": "pastiche default", "wall_s": record["wall"], "output": record["output"]}
        reference.update(measure_files(reference["output"], args.content, args.style, args.size, stick=stick))
    print(f"| run | wall s (median of {args.repeats}) | gram | content | wall / pastiche |\n|---|---|---|---|---|")
    for r in runs + ([reference] if reference else []):
        ratio = f"{r['wall_s'] / reference['wall_s']:.3f}" if reference else "-"
        print(f"| {r['name']} | {r['wall_s']:.1f} | {r['gram']:.4f} | {r['content']:.4f} | {ratio} |")


if __name__ == "__main__":
    main()
