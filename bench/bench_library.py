"""The style library, measured: storage per size, time to add, time saved per run, float16's cost on the
yardstick, nearest stored size against interpolation, and how fast a 50-style library lists.

    python -m bench.bench_library --out /tmp/bench_library > library.md

Five public-domain paintings from image_input/ and tests/data. A script, not a test; the numbers go
to bench/results/library.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
STYLES = ("starry_night.jpg", "the_scream.jpg", "composition_vii_kandinsky.jpg", "great_wave_hokusai.jpg", "shipwreck.jpg")
PAIRS = (("tubingen.jpg", "starry_night.jpg"), ("face.jpg", "the_scream.jpg"), ("astronaut.png", "composition_vii_kandinsky.jpg"))
BETWEEN = (181, 300, 362, 600, 724, 1448)
"""Sizes between the ladder's (geometric midpoints and two others) where nearest and interpolated
Grams are compared with the Grams computed at that size."""


def find(name: str) -> Path:
    for folder in (REPO / "tests" / "data", REPO / "image_input"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"{name} not found")


def relative_error(a: dict, b: dict) -> float:
    """Mean over layers of ||A - B||_F / ||B||_F."""
    return float(np.mean([np.linalg.norm(a[k] - b[k]) / np.linalg.norm(b[k]) for k in b]))


def storage_and_adds(lib, names) -> None:
    from neural_style.library import LADDER
    from neural_style.library_build import add_style

    print("## Adding the five paintings (default ladder, float16)\n")
    print("| style | seconds to add | MB |")
    print("|---|---:|---:|")
    for name in names:
        start = time.perf_counter()
        info = add_style(lib, Path(name).stem, find(name), dtype="float16")
        print(f"| {name} | {time.perf_counter() - start:.1f} | {info.nbytes / 1e6:.2f} |", flush=True)
    info = lib.info(Path(names[0]).stem)
    print(f"\nPer size: {info.nbytes / len(LADDER) / 1e6:.3f} MB in float16 ({len(info.layers)} layers, upper triangles).\n")


def time_saved(lib, names, sizes=(256, 512, 1024)) -> None:
    """Target passes of 5 styles at 3 scale sizes, from the files (as a run computes them, in this
    machine's run precision) against reading the stored Grams."""
    from neural_style import images
    from neural_style.config import TransferConfig
    from neural_style.features import build_feature_extractor, resolve_precision
    from neural_style.objective import TargetPass
    from neural_style.weights import load_vgg19_weights

    config = TransferConfig()
    precision = resolve_precision(config.precision, "/cpu:0")
    layers = tuple(dict.fromkeys(config.content_layers + config.style_layers))
    targets = TargetPass(build_feature_extractor(layers, load_vgg19_weights("default"), "avg", precision))
    print(f"## Time saved: 5 styles x 3 scales ({', '.join(map(str, sizes))} px), {precision} run\n")
    print("| style | from the file, s | from the library, s |")
    print("|---|---:|---:|")
    totals = [0.0, 0.0]
    for name in names:
        start = time.perf_counter()
        for size in sizes:
            image = images.read_image(find(name), "style", size, enlarge=True)
            for gram in targets.grams(image, config.style_layers, [None])[0].values():
                gram.numpy()
        from_file = time.perf_counter() - start
        stored = lib.get(Path(name).stem)
        start = time.perf_counter()
        for size in sizes:
            stored.grams_at(size, config.style_layers)
        from_library = time.perf_counter() - start
        totals[0] += from_file
        totals[1] += from_library
        print(f"| {name} | {from_file:.2f} | {from_library:.3f} |", flush=True)
    print(f"| **total** | **{totals[0]:.1f}** | **{totals[1]:.2f}** |\n")


def nearest_or_interpolated(lib, names) -> None:
    from neural_style import images
    from neural_style.features import build_feature_extractor
    from neural_style.grams import between_sizes
    from neural_style.library import STORED_LAYERS
    from neural_style.objective import TargetPass
    from neural_style.weights import load_vgg19_weights

    targets = TargetPass(build_feature_extractor(STORED_LAYERS, load_vgg19_weights("default"), "avg", "float32"))
    print("## Between stored sizes: nearest or interpolated (relative Gram error against the Grams at that size)\n")
    print("| size | " + " | ".join(f"{Path(n).stem[:12]} nearest / interp." for n in names) + " | median nearest | median interp. |")
    print("|---:|" + "---:|" * (len(names) + 2))
    for size in BETWEEN:
        cells, nearest_errors, interp_errors = [], [], []
        for name in names:
            stored = lib.get(Path(name).stem)
            image = images.read_image(find(name), "style", size, enlarge=True)
            truth = {k: v.numpy() for k, v in targets.grams(image, STORED_LAYERS, [None])[0].items()}
            parts = between_sizes(size, stored.info.sizes)
            nearest = min((s for s, _ in parts), key=lambda s: abs(np.log(s / size)))
            e_near = relative_error(stored.grams_at(nearest, STORED_LAYERS), truth)
            e_interp = relative_error(stored.grams_at(size, STORED_LAYERS), truth)
            nearest_errors.append(e_near)
            interp_errors.append(e_interp)
            cells.append(f"{e_near:.3f} / {e_interp:.3f}")
        print(f"| {size} | " + " | ".join(cells) + f" | {statistics.median(nearest_errors):.3f} | "
              f"{statistics.median(interp_errors):.3f} |", flush=True)
    print()


def float16_cost(tmp: Path, size: int, iterations: int) -> None:
    from bench.yardstick import Yardstick
    from neural_style import StyleSpec, TransferConfig, run_transfer
    from neural_style.images import load_image
    from neural_style.library import StyleLibrary
    from neural_style.library_build import add_style

    lib = StyleLibrary(tmp / "dtype.sqlite")
    stick = Yardstick()
    config = TransferConfig(max_size=size, scales=1, max_iterations=iterations, precision="float32")
    print(f"## float16 storage on the yardstick ({size} px, one scale, {iterations} L-BFGS iterations, float32 run)\n")
    print("| content | style | f32 gram | f16 gram | Δ | f32 content | f16 content | Δ | f32 run = file run |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for content, style in PAIRS:
        stem = Path(style).stem
        for dtype in ("float32", "float16"):
            if f"{stem}-{dtype}" not in lib.names():
                add_style(lib, f"{stem}-{dtype}", find(style), sizes=(size,), dtype=dtype)
        out = {}
        for dtype in ("float32", "float16"):
            out[dtype] = run_transfer(find(content), [StyleSpec(lib.get(f"{stem}-{dtype}"))], config).image
        from_file = run_transfer(find(content), [StyleSpec(find(style))], config).image
        m = {d: stick.measure(img, load_image(find(content)), load_image(find(style)), size) for d, img in out.items()}
        g32, g16, c32, c16 = m["float32"]["gram"], m["float16"]["gram"], m["float32"]["content"], m["float16"]["content"]
        print(f"| {content} | {style} | {g32:.4f} | {g16:.4f} | {100 * (g16 / g32 - 1):+.2f} % | {c32:.4f} | {c16:.4f} | "
              f"{100 * (c16 / c32 - 1):+.2f} % | {np.array_equal(out['float32'], from_file)} |", flush=True)
    print()


def listing(lib, tmp: Path, name: str, count: int = 50) -> None:
    from neural_style.library import StyleLibrary
    from neural_style.library_files import export_entry, import_entry

    for stale in (tmp / "one.npz", tmp / "fifty.sqlite"):
        stale.unlink(missing_ok=True)
    export_entry(lib, name, tmp / "one.npz")
    big = StyleLibrary(tmp / "fifty.sqlite")
    for k in range(count):
        import_entry(big, tmp / "one.npz", f"style{k:02d}")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "cli.py"), "styles", "--library", str(big.path), "list"], check=True,
                       env=env, capture_output=True)
        seconds.append(time.perf_counter() - start)
    size_mb = big.path.stat().st_size / 1e6
    print(f"## Listing\n\n`neural-style styles list` on a {count}-style library ({size_mb:.0f} MB file), as a fresh process: "
          f"median {statistics.median(seconds):.2f} s (runs {', '.join(f'{s:.2f}' for s in seconds)}).\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_library"))
    parser.add_argument("--size", type=int, default=256, help="size of the float16 yardstick runs")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--skip", nargs="*", default=[], choices=("adds", "saved", "between", "float16", "list"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from neural_style.library import StyleLibrary

    lib = StyleLibrary(args.out / "five.sqlite")
    if "adds" not in args.skip:
        for name in STYLES:
            if Path(name).stem in lib.names():
                lib.remove(Path(name).stem)
        storage_and_adds(lib, STYLES)
    if "saved" not in args.skip:
        time_saved(lib, STYLES)
    if "between" not in args.skip:
        nearest_or_interpolated(lib, STYLES)
    if "float16" not in args.skip:
        float16_cost(args.out, args.size, args.iterations)
    if "list" not in args.skip:
        listing(lib, args.out, Path(STYLES[0]).stem)


if __name__ == "__main__":
    main()
