"""Speed and memory benchmark for neural_style: seconds per iteration and peak RSS.

Run from the repository root (or anywhere; default image paths are relative to the repo)::

    python bench/bench_speed.py --sizes 256 512
    python bench/bench_speed.py --sizes 256 --repeats 2 --iterations 10

For every (size, optimiser) pair, each repeat runs in a fresh Python subprocess (``--child``) so that
peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) of one size does not leak into another. Seconds per
iteration come from the ``StepInfo.elapsed`` values the callback sees: (elapsed at the last iteration
- elapsed at the warm-up iteration) / (iterations in between), which excludes image loading, weight
loading, model building and the ``tf.function`` trace of the first call. This is a script, not a test.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OPTIMIZERS = ("adam", "lbfgs")
RESULT_TAG = "BENCH_RESULT "


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(args: argparse.Namespace) -> None:
    """One run in this process; prints one tagged JSON line with its measurements."""
    import tensorflow as tf

    from neural_style import StepInfo, StyleSpec, TransferConfig, run_transfer

    elapsed: dict[int, float] = {}

    def on_step(info: StepInfo) -> None:
        elapsed[info.iteration] = info.elapsed

    config = TransferConfig(max_size=args.size, max_iterations=args.iterations, optimizer=args.optimizer)
    result = run_transfer(str(args.content), [StyleSpec(str(args.style))], config, on_step)
    last = max(elapsed, default=0)
    if last <= args.warmup:
        raise SystemExit(f"only {last} iterations reported (stop_reason={result.stop_reason}); need more than --warmup={args.warmup}")
    per_iter = (elapsed[last] - elapsed[args.warmup]) / (last - args.warmup)
    out = {"s_per_it": per_iter, "iterations": result.iterations, "seconds": result.seconds,
           "stop_reason": result.stop_reason, "peak_rss_mib": peak_rss_mib(), "tf": tf.__version__}
    print(RESULT_TAG + json.dumps(out), flush=True)


def run_child(args: argparse.Namespace, size: int, optimizer: str) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter and return its measurements."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--size", str(size), "--optimizer", optimizer,
           "--iterations", str(args.iterations), "--warmup", str(args.warmup),
           "--content", str(args.content), "--style", str(args.style)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child failed (exit {proc.returncode}): {' '.join(cmd)}")
    return json.loads(lines[-1][len(RESULT_TAG):])


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def parent(args: argparse.Namespace) -> None:
    """Run every configuration ``--repeats`` times and print the machine facts and a Markdown table."""
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"os.cpu_count()={os.cpu_count()}")
    print(f"python {platform.python_version()}, tensorflow {version('tensorflow')}, keras {version('keras')}")
    print(f"iterations per run: {args.iterations} (timed from iteration {args.warmup}), repeats: {args.repeats}")
    print(f"content: {args.content}\nstyle:   {args.style}\n", flush=True)
    rows = []
    for size in args.sizes:
        for optimizer in args.optimizers:
            runs = []
            for k in range(args.repeats):
                run = run_child(args, size, optimizer)
                runs.append(run)
                print(f"  {size}px {optimizer} repeat {k + 1}/{args.repeats}: {run['s_per_it']:.3f} s/it, "
                      f"{run['iterations']} it, {run['seconds']:.1f} s total, {run['peak_rss_mib']:.0f} MiB, "
                      f"{run['stop_reason']}", file=sys.stderr, flush=True)
            times = [r["s_per_it"] for r in runs]
            rows.append((size, optimizer, statistics.median(times), min(times), max(times),
                         max(r["peak_rss_mib"] for r in runs)))
    print("| size | optimizer | s/it median | spread (min–max) | peak RSS MiB |")
    print("|-----:|-----------|------------:|-----------------:|-------------:|")
    for size, optimizer, med, low, high, rss in rows:
        print(f"| {size} | {optimizer} | {med:.3f} | {low:.3f}–{high:.3f} | {rss:.0f} |")
    print("\npeak RSS: the largest ru_maxrss over the repeats, each repeat a fresh process.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    data = REPO / "tests" / "data"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="longest side(s) in pixels")
    p.add_argument("--optimizers", nargs="+", choices=OPTIMIZERS, default=list(OPTIMIZERS))
    p.add_argument("--iterations", type=int, default=20, help="iterations per run")
    p.add_argument("--warmup", type=int, default=3, help="timing starts at this iteration's elapsed time")
    p.add_argument("--repeats", type=int, default=3, help="runs per configuration (median and spread)")
    p.add_argument("--content", type=Path, default=data / "tubingen.jpg")
    p.add_argument("--style", type=Path, default=data / "starry_night.jpg")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.iterations <= args.warmup or args.warmup < 1 or args.repeats < 1:
        p.error("need --iterations > --warmup >= 1 and --repeats >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
