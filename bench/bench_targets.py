"""What float32 style targets cost: one style image's Gram pass per scale, in bfloat16 and in float32.

    python -m bench.bench_targets --sizes 512 2048 --repeats 3

Style targets are computed by a float32 network whatever the run's precision (scales.Networks.style_pass).
For each size this times the target pass of one painting (the run computes one per style image and
scale) in both precisions, after a first pass that builds and traces the graph, and prints the median
seconds and the extra cost of float32. A script, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--style", type=Path, default=SHARED / "style" / "starry_night.jpg")
    args = parser.parse_args()

    from neural_style import TransferConfig
    from neural_style.images import read_image
    from neural_style.scales import Engine

    config = TransferConfig()
    engine = Engine()
    print("| style longest side | bfloat16 target pass (s) | float32 target pass (s) | float32 extra (s) |")
    print("|---|---|---|---|")
    for size in args.sizes:
        image = read_image(args.style, "style", size, enlarge=True)
        seconds = {}
        for precision in ("bfloat16", "float32"):
            targets = engine.networks(config, precision)[1]
            targets.grams(image, config.style_layers, [None])  # build and trace
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                targets.grams(image, config.style_layers, [None])
                times.append(time.perf_counter() - start)
            seconds[precision] = statistics.median(times)
        extra = seconds["float32"] - seconds["bfloat16"]
        print(f"| {size} ({image.shape[1]}x{image.shape[0]}) | {seconds['bfloat16']:.2f} | {seconds['float32']:.2f} | "
              f"{extra:+.2f} |", flush=True)


if __name__ == "__main__":
    main()
