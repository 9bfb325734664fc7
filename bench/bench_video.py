"""Temporal consistency and speed of ``neural-style video`` against stylising each frame on its own.

For a cut of a clip at a size, runs the video mode (temporal term, frames started from the previous
stylised frame warped by the flow) and the same frames each stylised on its own (same settings: every
frame as the first, from its photo), then measures:

- ``warp``: the warping error, the mean over frame pairs of the mean squared difference (0..255,
  over channels) between an output frame and the previous output frame warped onto it, over the
  pixels the flow marks reliable (Ruder et al.'s consistency weights). The flow of this measure is
  computed on the content frames with ``--measure_flow`` (Farneback by default), not with the
  package's (DIS), so the method's own errors do not flatter it;
- ``gram``, ``content``: the bench yardstick's distances per frame (to the painting, to the photo
  frame), averaged over the frames;
- ``s/frame``: seconds per frame after the first.

    python -m bench.bench_video --clip ../shared/videos/carphone_pristine.mp4 --frames 50 --sizes 128 256 \
        --out /tmp/video-bench [--temporal_weight 1e5 --frame_iterations 20]

Prints one JSON line per (clip, size, mode) and a Markdown table at the end; frames are kept under --out,
with a contact strip per clip and size (every 6th frame, one row per mode) to look at.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.yardstick import Yardstick
from neural_style import flow, images
from neural_style.config import StyleSpec, TransferConfig
from neural_style.video import VideoConfig, stylise_video

ROOT = Path(__file__).resolve().parent.parent


def frames_of(folder: Path) -> list[np.ndarray]:
    return [images.load_image(p) for p in sorted(folder.glob("frame_*.png"))]


def warping_errors(outputs: list[np.ndarray], photos: list[np.ndarray], method: str) -> list[float]:
    """Each pair's warping error, the flow and weights from the photos (``method``)."""
    errors = []
    for k in range(1, len(outputs)):
        backward = flow.compute_flow(photos[k], photos[k - 1], method)
        forward = flow.compute_flow(photos[k - 1], photos[k], method)
        weights = flow.consistency(forward, backward)
        errors.append(flow.warping_error(outputs[k - 1], outputs[k], backward, weights))
    return errors


def measure(outputs: list[np.ndarray], photos: list[np.ndarray], painting: np.ndarray, stick: Yardstick,
            method: str) -> dict:
    size = max(outputs[0].shape[:2])
    distances = [stick.measure(o, p, painting, size=size) for o, p in zip(outputs, photos, strict=True)]
    return {"warp": float(np.mean(warping_errors(outputs, photos, method))),
            "gram": float(np.mean([d["gram"] for d in distances])),
            "content": float(np.mean([d["content"] for d in distances]))}


def run(clip: Path, style: Path, size: int, frames: int, mode: str, out: Path, video: VideoConfig,
        config: TransferConfig) -> dict:
    """One mode on one cut: ``video`` (the package's) or ``independent`` (each frame on its own)."""
    folder = out / f"{clip.stem}_{size}_{mode}"
    if mode == "independent":  # every frame as the first: from its photo, the first frame's iterations
        video = replace(video, init_frame_type="content", temporal_weight=0.0,
                        frame_iterations=video.first_frame_iterations or config.max_iterations)
    video = replace(video, end_frame=video.start_frame + frames - 1)
    config = replace(config, max_size=size)
    started = time.perf_counter()
    result = stylise_video(clip, [StyleSpec(style)], config, video, out / f"{folder.name}.mp4", folder)
    seconds = [f["seconds"] for f in result.frames]
    return {"clip": clip.name, "size": size, "mode": mode, "frames": len(seconds),
            "first_s": seconds[0], "s_per_frame": float(np.mean(seconds[1:])) if len(seconds) > 1 else None,
            "wall_s": round(time.perf_counter() - started, 1), "folder": str(folder)}


def strip(out: Path, clip: Path, size: int, modes: list[str], every: int = 6) -> Path | None:
    """A contact strip: every ``every``-th frame (from the first), one row per mode, to look at."""
    rows = []
    for mode in modes:
        frames = frames_of(out / f"{clip.stem}_{size}_{mode}")
        if not frames:
            return None
        rows.append(np.concatenate(frames[::every], axis=1))
    width = min(r.shape[1] for r in rows)
    path = out / f"{clip.stem}_{size}_strip.png"
    images.save_image(path, images.to_uint8(np.concatenate([r[:, :width] for r in rows], axis=0)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, action="append", required=True)
    parser.add_argument("--style", type=Path, default=ROOT / "tests" / "data" / "starry_night.jpg")
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--modes", nargs="+", default=["video", "independent"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--temporal_weight", type=float, default=VideoConfig().temporal_weight)
    parser.add_argument("--frame_iterations", type=int, default=VideoConfig().frame_iterations)
    parser.add_argument("--first_frame_iterations", type=int, default=None)
    parser.add_argument("--measure_flow", default="farneback")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    video = VideoConfig(temporal_weight=args.temporal_weight, frame_iterations=args.frame_iterations,
                        first_frame_iterations=args.first_frame_iterations)
    config = TransferConfig(precision=args.precision)
    stick = Yardstick()
    painting = images.load_image(args.style)
    rows = []
    for clip in args.clip:
        for size in args.sizes:
            for mode in args.modes:
                row = run(clip, args.style, size, args.frames, mode, args.out, video, config)
                outputs = frames_of(Path(row["folder"]))
                from neural_style import video_io

                info = video_io.probe(clip)
                shape = outputs[0].shape[:2]
                photos = [images.resize_to(f, *shape) for f in video_io.read_frames(info, 0, len(outputs))]
                row |= measure(outputs, photos, painting, stick, args.measure_flow)
                row |= {"temporal_weight": args.temporal_weight, "frame_iterations": args.frame_iterations}
                print(json.dumps(row), flush=True)
                rows.append(row)
            if len(args.modes) > 1:
                print(f"strip: {strip(args.out, clip, size, args.modes)}", flush=True)
    print("\n| clip | size | mode | warping error | gram | content | first frame s | s/frame after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        after = "" if r["s_per_frame"] is None else f"{r['s_per_frame']:.2f}"
        print(f"| {r['clip']} | {r['size']} | {r['mode']} | {r['warp']:.1f} | {r['gram']:.3f} | {r['content']:.3f} "
              f"| {r['first_s']:.1f} | {after} |")


if __name__ == "__main__":
    main()
