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

``--pairs N`` stylises only N pairs of consecutive frames, spread evenly over the cut, in the
independent mode (its frames do not depend on each other, so a pair is as good as the same two frames
of a whole run, and 256 px independent runs cost 80 iterations a frame). The Gram and content columns of
both modes are then taken over those 2N frames and the warping error over those N pairs; the video
mode's warping error over every pair of the cut is printed beside it (``warp_all``).

    python -m bench.bench_video --clip ../shared/videos/carphone_pristine.mp4 --seconds 2 --sizes 128 256 \
        --out /tmp/video-bench [--temporal_weight 1e7 --frame_iterations 20]

``--seconds S`` cuts each clip to its first ``round(S * fps)`` frames (60 of the carphone sequence at
29.97 fps, 50 of Big Buck Bunny at 25); ``--frames N`` to the first N.

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
from neural_style import flow, images, video_io
from neural_style.config import StyleSpec, TransferConfig
from neural_style.scales import Engine
from neural_style.video import VideoConfig, stylise_video

ROOT = Path(__file__).resolve().parent.parent


def frames_of(folder: Path) -> list[np.ndarray]:
    return [images.load_image(p) for p in sorted(folder.glob("frame_*.png"))]


def warping_errors(pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], method: str) -> list[float]:
    """Each pair's warping error: ``(output, next output, photo, next photo)``, the flow and weights
    from the photos (``method``)."""
    errors = []
    for before, after, photo_before, photo_after in pairs:
        backward = flow.compute_flow(photo_after, photo_before, method)
        forward = flow.compute_flow(photo_before, photo_after, method)
        weights = flow.consistency(forward, backward)
        errors.append(flow.warping_error(before, after, backward, weights))
    return errors


def sample_pairs(frames: int, pairs: int | None) -> list[int]:
    """The first frames (indices from 0) of ``pairs`` consecutive pairs spread evenly over ``frames``
    frames; every pair when ``pairs`` is None."""
    if pairs is None or pairs >= frames - 1:
        return list(range(frames - 1))
    return sorted({round(i * (frames - 2) / (pairs - 1)) for i in range(pairs)})


def measure(outputs: dict[int, np.ndarray], photos: list[np.ndarray], starts: list[int], painting: np.ndarray,
            stick: Yardstick, method: str) -> dict:
    """Warping error over the pairs ``(k, k + 1)`` for ``k`` in ``starts``; Gram and content distances
    over their frames. ``outputs``: frame index (from 0) to output image."""
    indices = sorted({i for k in starts for i in (k, k + 1)})
    size = max(outputs[indices[0]].shape[:2])
    distances = [stick.measure(outputs[i], photos[i], painting, size=size) for i in indices]
    pairs = [(outputs[k], outputs[k + 1], photos[k], photos[k + 1]) for k in starts]
    return {"warp": float(np.mean(warping_errors(pairs, method))),
            "gram": float(np.mean([d["gram"] for d in distances])),
            "content": float(np.mean([d["content"] for d in distances]))}


def run(clip: Path, style: Path, size: int, frames: int, mode: str, out: Path, video: VideoConfig,
        config: TransferConfig, engine: Engine, starts: list[int] | None = None) -> tuple[dict, dict[int, np.ndarray]]:
    """One mode on one cut: ``video`` (the package's) or ``independent`` (each frame on its own; only
    the pairs from ``starts`` when given). Returns the row and the outputs by frame index (from 0)."""
    folder = out / f"{clip.stem}_{size}_{mode}"
    if mode == "independent":  # every frame as the first: from its photo, the first frame's iterations
        video = replace(video, init_frame_type="content", temporal_weight=0.0,
                        frame_iterations=video.first_frame_iterations or config.max_iterations)
    config = replace(config, max_size=size)
    started = time.perf_counter()
    cuts = [(0, frames)] if mode != "independent" or starts is None else [(k, 2) for k in starts]
    seconds, outputs = [], {}
    for first, count in cuts:
        part = folder if len(cuts) == 1 else folder / f"from_{first + 1:03d}"
        cut = replace(video, start_frame=video.start_frame + first, end_frame=video.start_frame + first + count - 1)
        result = stylise_video(clip, [StyleSpec(style)], config, cut, part.with_name(f"{part.name}.mp4"), part,
                               engine=engine)
        seconds += [f["seconds"] for f in result.frames]
        outputs |= {first + i: image for i, image in enumerate(frames_of(part))}
    later = seconds[1:] if len(cuts) == 1 else seconds  # independent: every frame is a first frame
    row = {"clip": clip.name, "size": size, "mode": mode, "frames": len(seconds), "first_s": seconds[0],
           "s_per_frame": float(np.mean(later)) if later else None,
           "wall_s": round(time.perf_counter() - started, 1), "folder": str(folder)}
    return row, outputs


def strip(out: Path, clip: Path, size: int, rows: dict[str, dict[int, np.ndarray]], every: int = 4) -> Path:
    """A contact strip: the frames both modes have, every ``every``-th of them, one row per mode."""
    shared = sorted(set.intersection(*(set(r) for r in rows.values())))[::every]
    lines = [np.concatenate([r[i] for i in shared], axis=1) for r in rows.values()]
    path = out / f"{clip.stem}_{size}_strip.png"
    images.save_image(path, images.to_uint8(np.concatenate(lines, axis=0)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, action="append", required=True)
    parser.add_argument("--style", type=Path, default=ROOT / "tests" / "data" / "starry_night.jpg")
    cut = parser.add_mutually_exclusive_group()
    cut.add_argument("--frames", type=int, default=50)
    cut.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--modes", nargs="+", default=["video", "independent"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--temporal_weight", type=float, default=VideoConfig().temporal_weight)
    parser.add_argument("--frame_iterations", type=int, default=VideoConfig().frame_iterations)
    parser.add_argument("--first_frame_iterations", type=int, default=None)
    parser.add_argument("--measure_flow", default="farneback")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--pairs", type=int, default=None, help="independent mode: only N pairs of frames")
    args = parser.parse_args()
    video = VideoConfig(temporal_weight=args.temporal_weight, frame_iterations=args.frame_iterations,
                        first_frame_iterations=args.first_frame_iterations)
    config = TransferConfig(precision=args.precision)
    stick, engine = Yardstick(), Engine(memo_bytes=1 << 30)  # one network for every run
    painting = images.load_image(args.style)
    rows = []
    for clip in args.clip:
        info = video_io.probe(clip)
        frames = args.frames if args.seconds is None else round(args.seconds * info.fps)
        starts = sample_pairs(frames, args.pairs)
        for size in args.sizes:
            kept = {}
            for mode in args.modes:
                row, outputs = run(clip, args.style, size, frames, mode, args.out, video, config, engine, starts)
                shape = next(iter(outputs.values())).shape[:2]
                photos = [images.resize_to(f, *shape) for f in video_io.read_frames(info, 0, frames)]
                row |= measure(outputs, photos, starts, painting, stick, args.measure_flow)
                if len(outputs) == frames and args.pairs is not None:
                    row["warp_all"] = measure(outputs, photos, sample_pairs(frames, None), painting, stick,
                                              args.measure_flow)["warp"]
                row |= {"temporal_weight": args.temporal_weight, "frame_iterations": args.frame_iterations,
                        "pairs": len(starts)}
                print(json.dumps(row), flush=True)
                rows.append(row)
                kept[mode] = outputs
            if len(kept) > 1:
                print(f"strip: {strip(args.out, clip, size, kept)}", flush=True)
    print("\n| clip | size | mode | pairs | warping error | gram | content | first frame s | s/frame after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        after = "" if r["s_per_frame"] is None else f"{r['s_per_frame']:.2f}"
        warp = f"{r['warp']:.1f}" + (f" (all pairs {r['warp_all']:.1f})" if "warp_all" in r else "")
        print(f"| {r['clip']} | {r['size']} | {r['mode']} | {r['pairs']} | {warp} | {r['gram']:.3f} | "
              f"{r['content']:.3f} | {r['first_s']:.1f} | {after} |")


if __name__ == "__main__":
    main()
