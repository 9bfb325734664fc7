"""Which optical flow: OpenCV's DIS at its three presets and Farneback, on the shared clips.

For consecutive frame pairs of each clip at each size, per method: the time of one flow (one
direction), the photometric error of the warp it defines (mean absolute difference, 0..255, between
frame ``i`` and frame ``i-1`` warped onto it by the backward flow, over all pixels and over the pixels
the method's own consistency weights keep) and the share of pixels kept. No ground truth flow exists
for these clips; a flow that brings the previous frame onto the next more exactly, on more pixels,
is the better one for carrying a stylised frame forward.

    python -m bench.bench_flow --clip ../shared/videos/bigbuckbunny.mp4 --clip ../shared/videos/carphone_pristine.mp4 \
        --sizes 256 512 --pairs 24
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np

from neural_style import flow, images, video_io


def measure(clip: Path, size: int, pairs: int, method: str) -> dict:
    info = video_io.probe(clip)
    shape = video_io.frame_size(info.display_size, size)  # never enlarged: carphone stays 192x144
    frames = [images.resize_to(f, *shape) for f in video_io.read_frames(info, 0, pairs + 1)]
    seconds, errors, kept_errors, kept = [], [], [], []
    for previous, current in itertools.pairwise(frames):
        started = time.perf_counter()
        backward = flow.compute_flow(current, previous, method)
        seconds.append(time.perf_counter() - started)
        weights = flow.consistency(flow.compute_flow(previous, current, method), backward)
        difference = np.abs(flow.warp(previous, backward) - current).mean(axis=2)
        errors.append(difference.mean())
        kept_errors.append((difference * weights).sum() / max(weights.sum(), 1))
        kept.append(weights.mean())
    return {"clip": clip.name, "size": f"{shape[1]}x{shape[0]}", "method": method,
            "ms": 1000 * float(np.median(seconds)), "error": float(np.mean(errors)),
            "error_kept": float(np.mean(kept_errors)), "kept": float(np.mean(kept))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, action="append", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--methods", nargs="+", default=list(flow.FLOW_METHODS))
    args = parser.parse_args()
    print("| clip | size | method | ms per flow | warp error, all pixels | warp error, kept pixels | kept |")
    print("|---|---|---|---|---|---|---|")
    for clip in args.clip:
        for size in args.sizes:
            for method in args.methods:
                r = measure(clip, size, args.pairs, method)
                print(f"| {r['clip']} | {r['size']} | {r['method']} | {r['ms']:.1f} | {r['error']:.2f} | "
                      f"{r['error_kept']:.2f} | {100 * r['kept']:.1f} % |", flush=True)


if __name__ == "__main__":
    main()
