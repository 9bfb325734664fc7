"""Time-to-quality curve of one run: the yardstick of the iterate at chosen iterations of the last scale.

    python -m bench.bench_curve --content tests/data/face.jpg --style tests/data/the_scream.jpg \
        --scale-iterations 334 166 --marks 5 10 15 20 30 45 60 80 110 140 166 > curve.jsonl

One run of ``run_transfer`` (``--scales`` scales with ``--scale-iterations`` per scale, the rest at the
defaults), in this process. The progress callback copies the image at each mark (iterations of the
last scale); after the run, each copy is judged by ``yardstick.py`` at ``--size``. ``seconds`` is the
time from the start of ``run_transfer`` to that iteration. One JSON line per mark, with the Gram
distance per layer (relu1_1 .. relu5_1). A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=REPO / "tests" / "data" / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=REPO / "tests" / "data" / "starry_night.jpg")
    parser.add_argument("--size", type=int, default=512, help="output's longest side; the yardstick measures there")
    parser.add_argument("--scales", type=int, default=2)
    parser.add_argument("--scale-iterations", type=int, nargs="+", default=[334, 166])
    parser.add_argument("--marks", type=int, nargs="+", default=[5, 10, 15, 20, 30, 45, 60, 80, 110, 140, 166],
                        help="iterations of the last scale at which the iterate is judged")
    args = parser.parse_args()

    from bench.yardstick import Yardstick
    from neural_style import StyleSpec, TransferConfig, run_transfer
    from neural_style.images import load_image, scaled_shape

    config = TransferConfig(max_size=args.size, scales=args.scales, scale_iterations=tuple(args.scale_iterations))
    content, style = load_image(args.content), load_image(args.style)
    output_shape = scaled_shape(*content.shape[:2], min(args.size, max(content.shape[:2])))
    schedule = config.schedule(*output_shape)  # the scales kept (coarse ones may be skipped)
    before_last = config.total_iterations() - schedule[-1][1]
    marks = set(args.marks)
    saved: list[tuple[int, float, object]] = []
    start = time.perf_counter()

    def on_step(info) -> None:
        if info.iteration - before_last in marks:
            saved.append((info.iteration - before_last, time.perf_counter() - start, info.image.copy()))

    run_transfer(args.content, [StyleSpec(args.style)], config, callback=on_step)
    stick = Yardstick()
    for iteration, seconds, image in saved:
        measured = stick.measure(image, content, style, args.size)
        print(json.dumps({"last_scale_iteration": iteration, "seconds": round(seconds, 1),
                          "gram": round(measured["gram"], 4), "content": round(measured["content"], 4),
                          "gram_per_layer": [round(v, 3) for v in measured["gram_per_layer"].values()]}))


if __name__ == "__main__":
    main()
