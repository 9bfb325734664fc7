"""Peak memory of real runs, measured from outside, against the planner's prediction; and the fit that
gives the planner its coefficients.

    python -m bench.bench_memory --out /tmp/bench_memory                      # measure + table
    python -m bench.bench_memory --out /tmp/bench_memory --sizes 512 1024 2048 --optimizers lbfgs adam

Each run is the CLI as a user runs it (``python cli.py -content_img ... --max_size S --max_iterations 6``,
default scales, one style) under ``/usr/bin/time -f %M`` (the kernel's peak resident set size of the
process, KiB). Photos larger than tubingen.jpg's 1024 px are made by enlarging it (bicubic) into
``--out``. ``--tile T`` runs them tiled (``--tile T``) and ``--fit`` then prints the implied
``planner.FULL_BYTES``. ``--fit`` prints the least-squares line ``peak MiB = base + per_pixel * pixels`` per
optimiser and precision, which is what ``neural_style/planner.py`` holds. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "images"


def photo(out: Path, size: int) -> Path:
    """tubingen.jpg (1024x768), or an enlarged copy when ``size`` is larger."""
    source = SHARED / "content" / "tubingen.jpg"
    if size <= 1024:
        return source
    path = out / f"tubingen_{size}.png"
    if not path.exists():
        image = cv2.imread(str(source))
        height = round(image.shape[0] * size / image.shape[1])
        cv2.imwrite(str(path), cv2.resize(image, (size, height), interpolation=cv2.INTER_CUBIC))
    return path


def measure(out: Path, size: int, optimizer: str, precision: str, iterations: int, tile: int = 0) -> dict:
    target = out / f"run_{size}_{optimizer}_{precision}_{tile}.png"
    args = ["/usr/bin/time", "-f", "MAXRSS %M", sys.executable, "cli.py", "-content_img", str(photo(out, size)),
            "-style_imgs", str(SHARED / "style" / "starry_night.jpg"), "--max_size", str(size), "--max_iterations",
            str(iterations), "--optimizer", optimizer, "--precision", precision, "-o", str(target), "--overwrite",
            "-q", "--max_memory", "0", "--tile", str(tile)]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    peak_kib = int(proc.stderr.strip().splitlines()[-1].split()[-1])
    record = json.loads(target.with_suffix(".json").read_text())
    height, width = cv2.imread(str(target)).shape[:2]
    return {"size": size, "optimizer": optimizer, "precision": precision, "height": height, "width": width,
            "peak_mib": peak_kib / 1024, "seconds": record["seconds"], "scales": record["scale_sizes"], "tile": tile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_memory"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--optimizers", nargs="+", default=["lbfgs", "adam"])
    parser.add_argument("--precisions", nargs="+", default=["bfloat16", "float32"])
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--tile", type=int, default=0, help="run tiled, tiles of this size (0: whole)")
    parser.add_argument("--fit", action="store_true", help="print the fitted coefficients too")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results_file = args.out / "results.jsonl"
    done = {(r["size"], r["optimizer"], r["precision"], r.get("tile", 0)) for r in map(json.loads, results_file.read_text().splitlines())} \
        if results_file.exists() else set()
    for precision in args.precisions:
        for optimizer in args.optimizers:
            for size in args.sizes:
                if (size, optimizer, precision, args.tile) in done:
                    continue
                result = measure(args.out, size, optimizer, precision, args.iterations, args.tile)
                print(json.dumps(result), flush=True)
                with results_file.open("a") as handle:
                    handle.write(json.dumps(result) + "\n")
    from neural_style import TransferConfig
    from neural_style.planner import FULL_BYTES, predict_peak

    results = [json.loads(line) for line in results_file.read_text().splitlines()]
    print("\n| size (px) | tile | optimizer | precision | measured peak MiB | predicted MiB | error |\n"
          "|---|---|---|---|---|---|---|")
    for r in sorted(results, key=lambda r: (r.get("tile", 0), r["precision"], r["optimizer"], r["size"])):
        config = TransferConfig(optimizer=r["optimizer"], precision=r["precision"], max_size=r["size"], tile=r.get("tile", 0))
        predicted = predict_peak(config, (r["height"], r["width"])) / 2**20
        print(f"| {r['width']}x{r['height']} | {r.get('tile', 0) or '-'} | {r['optimizer']} | {r['precision']} | "
              f"{r['peak_mib']:.0f} | {predicted:.0f} | {100 * (predicted / r['peak_mib'] - 1):+.1f} % |")
        if args.fit and r.get("tile", 0):
            network = predict_peak(config, (r["height"], r["width"])) - r["height"] * r["width"] * FULL_BYTES
            implied = (r["peak_mib"] * 2**20 - network) / (r["height"] * r["width"])
            print(f"  implied FULL_BYTES {implied:.0f} (now {FULL_BYTES})")
    results = [r for r in results if not r.get("tile", 0)]
    if args.fit:
        for key in sorted({(r["optimizer"], r["precision"]) for r in results}):
            rows = [r for r in results if (r["optimizer"], r["precision"]) == key]
            pixels = np.array([r["height"] * r["width"] for r in rows], float)
            peaks = np.array([r["peak_mib"] for r in rows])
            per_pixel, base = np.polyfit(pixels, peaks, 1)
            print(f"{key}: base {base:.0f} MiB, per pixel {per_pixel * 2**20:.0f} bytes")


if __name__ == "__main__":
    main()
