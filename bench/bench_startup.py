"""Where a default run's wall time goes: start-up (imports, weights, network), and per scale the time
to its first iteration (targets, tracing) against the steady iterations.

    python -m bench.bench_startup --size 512 --repeats 3 > startup.md

Each repeat is a fresh process (``--child``), so imports and tracing are paid as a user pays them.
Phases: ``import tensorflow``; ``import neural_style`` (Keras and the rest); ``load_vgg19_weights``
(sha256 check and decoding the 8-bit palette); then ``run_transfer`` at the defaults, timed by the
progress callback: a scale's first iteration includes its content and style targets, the graph
trace and one evaluation; ``steady`` is the mean of its other iterations. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


def child(args: argparse.Namespace) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    marks = {"start": time.perf_counter()}
    import tensorflow  # noqa: F401

    marks["tensorflow"] = time.perf_counter()
    from neural_style import StyleSpec, TransferConfig, run_transfer
    from neural_style.weights import load_vgg19_weights

    marks["neural_style"] = time.perf_counter()
    load_vgg19_weights("default")
    marks["weights"] = time.perf_counter()
    steps: list[tuple[float, int]] = []
    config = TransferConfig(max_size=args.size, **_settings(args.set))
    schedule = config.schedule(*_shape(args.content, args.size))
    run_start = time.perf_counter()
    result = run_transfer(args.content, [StyleSpec(args.style)], config,
                          callback=lambda info: steps.append((time.perf_counter(), info.iteration)))
    end = time.perf_counter()
    scales, first = [], 0
    previous = run_start
    for size, count in schedule:
        times = [t for t, i in steps[first:first + count]]
        first += count
        if not times:
            continue
        steady = (times[-1] - times[0]) / max(1, len(times) - 1)
        scales.append({"size": size, "iterations": len(times), "first": times[0] - previous, "steady": steady})
        previous = times[-1]
    print(json.dumps({
        "tensorflow": marks["tensorflow"] - marks["start"], "neural_style": marks["neural_style"] - marks["tensorflow"],
        "weights": marks["weights"] - marks["neural_style"], "run": end - run_start, "after_last": end - previous,
        "scales": scales, "iterations": len(steps), "seconds": result.seconds,
    }))


def _settings(pairs: list[str]) -> dict:
    """``["scale_iterations=60,20", "style_normalization=relative"]`` -> TransferConfig keywords (numbers
    and comma-separated tuples of numbers are converted)."""
    def value(text: str):
        if "," in text:
            return tuple(value(part) for part in text.split(",") if part)
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text

    return {key: value(text) for key, text in (pair.split("=", 1) for pair in pairs)}


def _shape(path: Path, size: int) -> tuple[int, int]:
    from neural_style.images import read_image

    return read_image(path, "content", size).shape[:2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--content", type=Path, default=DATA / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=DATA / "starry_night.jpg")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="TransferConfig settings instead of the defaults, e.g. scales=2 scale_iterations=60,20")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    records = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "bench.bench_startup", "--child", "--size", str(args.size), "--content", str(args.content),
                              "--style", str(args.style), "--set", *args.set], capture_output=True, text=True, check=True, cwd=REPO)
        record = json.loads(out.stdout.strip().splitlines()[-1])
        record["process"] = time.perf_counter() - start
        records.append(record)
    med = lambda key: statistics.median(r[key] for r in records)  # noqa: E731
    print(f"{args.content.name} x {args.style.name}, {args.size} px, {' '.join(args.set) or 'defaults'}, median of {args.repeats} fresh processes\n")
    print("| phase | seconds |\n|---|---:|")
    for key, label in (("tensorflow", "import tensorflow"), ("neural_style", "import neural_style (keras, ...)"),
                       ("weights", "load_vgg19_weights (sha256, palette decoding)")):
        print(f"| {label} | {med(key):.2f} |")
    for k, scale in enumerate(records[0]["scales"]):
        firsts = statistics.median(r["scales"][k]["first"] for r in records)
        steady = statistics.median(r["scales"][k]["steady"] for r in records)
        print(f"| scale {scale['size']} px: to the first iteration (network, targets, trace, 1 evaluation) | {firsts:.2f} |")
        print(f"| scale {scale['size']} px: {scale['iterations'] - 1} more iterations at {steady:.3f} s | "
              f"{steady * (scale['iterations'] - 1):.2f} |")
    print(f"| after the last iteration (colour, result) | {med('after_last'):.2f} |")
    print(f"| **process wall time** | **{med('process'):.2f}** |")


if __name__ == "__main__":
    main()
