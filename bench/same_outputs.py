"""Nothing changed for users: a fixed set of CLI runs whose outputs must stay byte-identical across a
refactor. Run it on the commit before and on the commit after, then compare:

    PYTHONPATH=/path/to/old/tree python -m bench.same_outputs run --out /tmp/before
    python -m bench.same_outputs run --out /tmp/after
    python -m bench.same_outputs compare /tmp/before /tmp/after

Every run goes through the command line (``python -m neural_style``) on the real VGG-19 and the
images of tests/data, small (128-192 px, 20-30 iterations) so that the set takes a few minutes: one
style, weighted styles, masks, a segmentation, a stored style and a stored blend, colour transfer and
luminance only, Adam, a tiled run, and a run killed with SIGKILL after its first checkpoint and then
resumed. ``compare`` prints one row per run: the sha256 of the output's pixels before and after, and
the largest pixel difference. A script, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SMALL = ["--max_size", "128", "--max_iterations", "20", "-q"]
RUNS: dict[str, list[str]] = {
    "single": ["--content_img", "tubingen.jpg", "--style_imgs", "starry_night.jpg", *SMALL],
    "weighted": ["--content_img", "tubingen.jpg", "--style_imgs", "starry_night.jpg", "the_scream.jpg",
                 "--style_imgs_weights", "0.7", "0.3", *SMALL],
    "masks": ["--content_img", "face.jpg", "--style_imgs", "starry_night.jpg", "the_scream.jpg", "--style_mask",
              "--style_mask_imgs", "face_mask.png", "face_mask_inv.png", *SMALL],
    "segmentation": ["--content_img", "dpst_in21.png", "--style_imgs", "dpst_in21_style.png",
                     "--content_seg", "dpst_in21_mask.png", "--style_segs", "dpst_in21_style_mask.png", *SMALL],
    "stored": ["--content_img", "tubingen.jpg", "--style_imgs", "lib:starry", *SMALL],
    "blend": ["--content_img", "tubingen.jpg", "--style_imgs", "lib:mix", *SMALL],
    "colour": ["--content_img", "tubingen.jpg", "--style_imgs", "the_scream.jpg", "--color_transfer", "histogram",
               *SMALL],
    "luminance": ["--content_img", "tubingen.jpg", "--style_imgs", "starry_night.jpg", "--luminance_only", *SMALL],
    "adam": ["--content_img", "tubingen.jpg", "--style_imgs", "escher_sphere.jpg", "--optimizer", "adam", *SMALL],
    "tiled": ["--content_img", "tubingen.jpg", "--style_imgs", "starry_night.jpg", "--max_size", "192", "--scales",
              "1", "--tile", "128", "--tile_overlap", "32", "--max_iterations", "12", "-q"],
}
RESUMED = ["--content_img", "tubingen.jpg", "--style_imgs", "starry_night.jpg", "--max_size", "128",
           "--max_iterations", "30", "--checkpoint_iterations", "5", "-q"]


def _cli(args: list[str], out: Path, env: dict) -> subprocess.Popen:
    base = [sys.executable, "-m", "neural_style", "--content_img_dir", str(DATA), "--style_imgs_dir", str(DATA),
            "--mask_dir", str(DATA), "--library", str(out / "styles.sqlite")]
    return subprocess.Popen([*base, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check(process: subprocess.Popen, name: str) -> None:
    _, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{name}: exit {process.returncode}: {err.strip()}")


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "NEURAL_STYLE_LIBRARY": str(out / "styles.sqlite")}
    styles = [sys.executable, "-m", "neural_style", "styles"]
    for args in (["add", "starry", str(DATA / "starry_night.jpg"), "--sizes", "64", "128"],
                 ["add", "scream", str(DATA / "the_scream.jpg"), "--sizes", "64", "128"],
                 ["blend", "mix", "starry:0.6", "scream:0.4"]):
        subprocess.run([*styles, *args], env=env, check=True, capture_output=True)
    for name, args in RUNS.items():
        start = time.perf_counter()
        _check(_cli([*args, "-o", str(out / f"{name}.png")], out, env), name)
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    target = out / "resumed.png"
    process = _cli([*RESUMED, "-o", str(target)], out, env)
    checkpoint = out / "resumed.checkpoint.npz"
    while not checkpoint.exists() and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)  # right after the first checkpoint (iteration 5 of 30)
    process.wait()
    _check(_cli(["--resume", str(out / "resumed.json"), "-q"], out, env), "resumed")
    print("resumed: done", flush=True)


def _pixels(path: Path) -> np.ndarray | None:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED) if path.exists() else None


def _digest(pixels: np.ndarray | None) -> str:
    return "missing" if pixels is None else hashlib.sha256(pixels.tobytes()).hexdigest()[:12]


def compare(before: Path, after: Path) -> int:
    print("| run | before (sha256 of pixels) | after | largest difference |\n|---|---|---|---|")
    differ = 0
    for name in [*RUNS, "resumed"]:
        a, b = _pixels(before / f"{name}.png"), _pixels(after / f"{name}.png")
        gap = "-" if a is None or b is None or a.shape != b.shape else int(np.abs(a.astype(int) - b).max())
        differ += _digest(a) != _digest(b)
        print(f"| {name} | {_digest(a)} | {_digest(b)} | {gap} |")
    print(f"\n{differ} of {len(RUNS) + 1} runs differ")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    sub.add_parser("run").add_argument("--out", type=Path, required=True)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.stage == "run":
        run(args.out)
    else:
        raise SystemExit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
