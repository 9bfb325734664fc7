"""Speed and memory benchmark for neural_style: seconds per iteration, peak RSS, and how far from the floor.

Run from the repository root (or anywhere; default image paths are relative to the repo)::

    python -m bench.bench_speed                                   # 256 512 1024 px, adam+lbfgs, float32+bfloat16
    python -m bench.bench_speed --sizes 2048 --iterations 5 --warmup 2 --repeats 1
    python -m bench.bench_speed --sizes 128 --iterations 6 --repeats 1   # smoke test
    python -m bench.bench_speed --sizes 512 --optimizers adam --threads 0:0 1:1 2:1 2:2 4:1 --skip-kernels

For every (size, optimiser, precision), each repeat runs in a fresh Python subprocess (``--child``)
so that peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) of one configuration does not leak into
another. Seconds per iteration come from the ``StepInfo.elapsed`` values the callback sees:
(elapsed at the last iteration - elapsed at the warm-up iteration) / (iterations in between), which
excludes image loading, weight loading, model building and the ``tf.function`` trace of the first
call. The child also counts objective evaluations (L-BFGS may evaluate more than once per
iteration) and the seconds spent inside them, by wrapping ``Objective.__call__``.

Then (unless ``--skip-kernels``) ``bench/kernels.py`` runs in one more subprocess and gives, per
size and precision, the FLOPs of one evaluation, the FLOP floor (FLOPs / measured matmul GFLOP/s)
and the sum of the isolated TensorFlow kernels (convolutions and Grams); the last table sets the
measured seconds per evaluation against both. This is a script, not a test.
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
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OPTIMIZERS = ("adam", "lbfgs")
PRECISIONS = ("float32", "bfloat16")
RESULT_TAG = "BENCH_RESULT "
KERNELS_TAG = "KERNELS_RESULT "  # kernels.RESULT_TAG, without importing TensorFlow here


# ---------------------------------------------------------------- child: one run


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def count_evaluations() -> dict[str, float]:
    """Wrap ``Objective.__call__`` so every loss+gradient evaluation is counted and timed.

    Returns the live counters ``{"count": evaluations so far, "seconds": time inside them}``.
    """
    from neural_style import objective

    counters = {"count": 0, "seconds": 0.0}
    original = objective.Objective.__call__

    def counted(self, image):
        start = time.perf_counter()
        try:
            return original(self, image)
        finally:
            counters["count"] += 1
            counters["seconds"] += time.perf_counter() - start

    objective.Objective.__call__ = counted
    return counters


def child(args: argparse.Namespace) -> None:
    """One run in this process; prints one tagged JSON line with its measurements."""
    import tensorflow as tf

    if args.intra or args.inter:  # before any op runs; 0 keeps TensorFlow's own choice
        tf.config.threading.set_intra_op_parallelism_threads(args.intra)
        tf.config.threading.set_inter_op_parallelism_threads(args.inter)
    from neural_style import StepInfo, StyleSpec, TransferConfig, run_transfer

    counters = count_evaluations()
    marks: dict[int, tuple[float, int, float]] = {}  # iteration -> (elapsed, evaluations, seconds in them)

    def on_step(info: StepInfo) -> None:
        marks[info.iteration] = (info.elapsed, counters["count"], counters["seconds"])

    config = TransferConfig(max_size=args.size, max_iterations=args.iterations, optimizer=args.optimizer,
                            precision=args.precision, scales=1)
    result = run_transfer(str(args.content), [StyleSpec(str(args.style))], config, on_step)
    last = max(marks, default=0)
    if last <= args.warmup:
        raise SystemExit(f"only {last} iterations reported (stop_reason={result.stop_reason}); need more than --warmup={args.warmup}")
    (t0, n0, s0), (t1, n1, s1) = marks[args.warmup], marks[last]
    out = {
        "s_per_it": (t1 - t0) / (last - args.warmup),
        "evals_per_it": (n1 - n0) / (last - args.warmup),
        "s_per_eval": (t1 - t0) / (n1 - n0),
        "objective_s_per_eval": (s1 - s0) / (n1 - n0),
        "iterations": result.iterations, "seconds": result.seconds, "stop_reason": result.stop_reason,
        "shape": list(result.image.shape[:2]), "device": result.device,
        "peak_rss_mib": peak_rss_mib(), "tf": tf.__version__,
        "threads": [tf.config.threading.get_intra_op_parallelism_threads(),
                    tf.config.threading.get_inter_op_parallelism_threads()],
    }
    print(RESULT_TAG + json.dumps(out), flush=True)


# ---------------------------------------------------------------- parent: the runs


def content_for_size(content: Path, size: int, workdir: Path) -> tuple[Path, tuple[int, int], bool]:
    """The content image to pass at ``size``, the output shape it gives, and whether it was enlarged.

    ``run_transfer`` only ever scales the content *down*, so a content image smaller than ``size``
    (the default one is 1024x768) is enlarged here and written as a PNG, so the output really has a
    longest side of ``size``.
    """
    from neural_style import images

    image = images.load_image(content, "content", size)
    if max(image.shape[:2]) >= size:
        image = images.fit_longest_side(image, size)
        return content, image.shape[:2], False
    image = images.resize_to(image, *images.scaled_shape(image.shape[0], image.shape[1], size))
    path = workdir / f"content_{size}.png"
    images.save_image(path, images.to_uint8(image))
    return path, image.shape[:2], True


def run_child(args: argparse.Namespace, content: Path, size: int, optimizer: str, precision: str,
              threads: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter and return its measurements."""
    cmd = [sys.executable, "-m", "bench.bench_speed", "--child", "--size", str(size), "--optimizer", optimizer,
           "--precision", precision, "--iterations", str(args.iterations), "--warmup", str(args.warmup),
           "--content", str(content), "--style", str(args.style), "--intra", str(threads[0]), "--inter", str(threads[1])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child failed (exit {proc.returncode}): {' '.join(cmd)}")
    return json.loads(lines[-1][len(RESULT_TAG):])


def threads_label(threads: tuple[int, int]) -> str:
    """``intra:inter`` as asked, 0 meaning TensorFlow's own choice."""
    return f"{threads[0]}:{threads[1]}"


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run_all(args: argparse.Namespace, contents: dict[int, Path]) -> list[dict[str, Any]]:
    """Every (size, optimiser, precision, threads), ``--repeats`` fresh processes each; one row each."""
    rows = []
    for size in args.sizes:
        for optimizer in args.optimizers:
            for precision, threads in [(p, t) for p in args.precisions for t in args.threads]:
                runs = []
                for k in range(args.repeats):
                    run = run_child(args, contents[size], size, optimizer, precision, threads)
                    runs.append(run)
                    print(f"  {size}px {optimizer} {precision} threads {threads_label(threads)} repeat {k + 1}/{args.repeats}: "
                          f"{run['s_per_it']:.3f} s/it, {run['evals_per_it']:.2f} evals/it, "
                          f"{run['objective_s_per_eval']:.3f} s/eval in the objective, {run['iterations']} it, "
                          f"{run['seconds']:.1f} s total, {run['peak_rss_mib']:.0f} MiB, "
                          f"{run['shape'][0]}x{run['shape'][1]}, {run['device']}, {run['stop_reason']}",
                          file=sys.stderr, flush=True)
                times = [r["s_per_it"] for r in runs]
                rows.append({
                    "size": size, "optimizer": optimizer, "precision": precision, "shape": tuple(runs[0]["shape"]),
                    "threads": threads_label(threads) + f" (TF: {runs[0]['threads'][0]}:{runs[0]['threads'][1]})",
                    "s_per_it": statistics.median(times), "min": min(times), "max": max(times),
                    "evals_per_it": median_of(runs, "evals_per_it"), "s_per_eval": median_of(runs, "s_per_eval"),
                    "objective_s_per_eval": median_of(runs, "objective_s_per_eval"),
                    "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
                })
    return rows


# ---------------------------------------------------------------- parent: FLOPs and kernels


def run_kernels(args: argparse.Namespace, shapes: dict[int, tuple[int, int]]) -> dict[str, Any]:
    """Run bench/kernels.py once for all shapes and precisions; its tables stream to stderr."""
    cmd = [sys.executable, "-m", "bench.kernels", "--json", "--shapes",
           *(f"{h}x{w}" for h, w in dict.fromkeys(shapes.values())),
           "--precisions", *args.precisions, "--repeats", str(args.kernel_repeats),
           "--warmup", str(args.kernel_warmup), "--matmul-size", str(args.matmul_size)]
    if args.peak_gflops:
        cmd += ["--peak-gflops", *(str(v) for v in args.peak_gflops)]
    print(f"\nkernels: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    result = None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO) as proc:
        for line in proc.stdout:
            if line.startswith(KERNELS_TAG):
                result = json.loads(line[len(KERNELS_TAG):])
            else:
                sys.stderr.write(line)
                sys.stderr.flush()
    if proc.returncode != 0 or result is None:
        raise SystemExit(f"kernels.py failed (exit {proc.returncode}): {' '.join(cmd)}")
    return result


def kernel_entry(kernels: dict[str, Any], shape: tuple[int, int], precision: str) -> dict[str, Any]:
    for entry in kernels["results"]:
        if tuple(entry["shape"]) == tuple(shape) and entry["precision"] == precision:
            return entry
    raise KeyError((shape, precision))


# ---------------------------------------------------------------- parent: printing


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def print_header(args: argparse.Namespace) -> None:
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"os.cpu_count()={os.cpu_count()}")
    print(f"python {platform.python_version()}, tensorflow {version('tensorflow')}, keras {version('keras')}")
    if not args.kernels_only:
        print(f"iterations per run: {args.iterations} (timed from iteration {args.warmup}), repeats: {args.repeats}")
    print(f"content: {args.content}\nstyle:   {args.style}", flush=True)


def print_speed_table(rows: list[dict[str, Any]]) -> None:
    print("\n| size | optimizer | precision | threads intra:inter | s/it median | spread (min–max) | peak RSS MiB |")
    print("|-----:|-----------|-----------|---------------------|------------:|-----------------:|-------------:|")
    for r in rows:
        print(f"| {r['size']} | {r['optimizer']} | {r['precision']} | {r['threads']} | {r['s_per_it']:.3f} "
              f"| {r['min']:.3f}–{r['max']:.3f} | {r['peak_rss_mib']:.0f} |")
    print("\npeak RSS: the largest ru_maxrss over the repeats, each repeat a fresh process.", flush=True)


def print_floor_table(args: argparse.Namespace, shapes: dict[int, tuple[int, int]], kernels: dict[str, Any]) -> None:
    rates = ", ".join(f"{p} {v:.1f} GFLOP/s" for p, v in kernels["matmul_gflops"].items())
    print(f"\nmatmul throughput ({kernels['gflops_source']}): {rates}")
    print(f"tf.function call overhead: {1e6 * kernels['call_overhead_s']:.0f} µs per isolated kernel call "
          "(included in the kernel sums)")
    print("\n| size | H×W | precision | GFLOP/eval | FLOP floor s | kernel sum s | conv fwd s | conv input-grad s | Gram fwd+bwd s |")
    print("|-----:|-----|-----------|-----------:|-------------:|-------------:|-----------:|------------------:|---------------:|")
    for size, shape in shapes.items():
        for precision in args.precisions:
            e = kernel_entry(kernels, shape, precision)
            k = e["kernel_sums"]
            print(f"| {size} | {shape[0]}×{shape[1]} | {precision} | {e['flops']['total'] / 1e9:.1f} "
                  f"| {e['floor_s']:.3f} | {k['total']:.3f} | {k['conv fwd']:.3f} | {k['conv bwd input']:.3f} "
                  f"| {k['gram fwd'] + k['gram bwd']:.3f} |")
    print("\nGFLOP/eval: 13 convolutions forward + input gradient, 5 Grams forward + backward (bench/kernels.py).",
          flush=True)


def print_comparison_table(rows: list[dict[str, Any]], kernels: dict[str, Any]) -> None:
    print("\n| size | optimizer | precision | s/it | evals/it | s/eval | in objective s/eval "
          "| kernel sum s | s/eval ÷ kernel sum | FLOP floor s | s/eval ÷ floor |")
    print("|-----:|-----------|-----------|-----:|---------:|-------:|--------------------:"
          "|-------------:|--------------------:|-------------:|---------------:|")
    for r in rows:
        e = kernel_entry(kernels, r["shape"], r["precision"])
        kernel_sum, floor = e["kernel_sums"]["total"], e["floor_s"]
        print(f"| {r['size']} | {r['optimizer']} | {r['precision']} | {r['s_per_it']:.3f} | {r['evals_per_it']:.2f} "
              f"| {r['s_per_eval']:.3f} | {r['objective_s_per_eval']:.3f} | {kernel_sum:.3f} "
              f"| {r['s_per_eval'] / kernel_sum:.2f} | {floor:.3f} | {r['s_per_eval'] / floor:.2f} |")
    print("\ns/eval: the timed wall time per loss+gradient evaluation (s/it ÷ evals/it; Adam: 1 eval/it);\n"
          "in objective: the part of it spent inside Objective.__call__ (TF function + copies), the rest is\n"
          "the optimiser's own numpy/scipy work and the callback.", flush=True)


# ---------------------------------------------------------------- main


def parent(args: argparse.Namespace) -> None:
    """Run every configuration ``--repeats`` times, then the kernels, and print the tables."""
    print_header(args)
    with tempfile.TemporaryDirectory(prefix="bench_speed_") as workdir:
        contents, shapes = {}, {}
        for size in args.sizes:
            contents[size], shapes[size], enlarged = content_for_size(args.content, size, Path(workdir))
            note = " (content enlarged: run_transfer never scales it up)" if enlarged else ""
            print(f"size {size}: output {shapes[size][0]}×{shapes[size][1]}{note}", flush=True)
        rows = [] if args.kernels_only else run_all(args, contents)
    if rows:
        print_speed_table(rows)
    if args.skip_kernels:
        return
    kernels = run_kernels(args, shapes)
    print_floor_table(args, shapes, kernels)
    if rows:
        print_comparison_table(rows, kernels)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    data = REPO / "tests" / "data"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024], help="longest side(s) in pixels")
    p.add_argument("--optimizers", nargs="+", choices=OPTIMIZERS, default=list(OPTIMIZERS))
    p.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS))
    p.add_argument("--iterations", type=int, default=20, help="iterations per run")
    p.add_argument("--warmup", type=int, default=3, help="timing starts at this iteration's elapsed time")
    p.add_argument("--repeats", type=int, default=3, help="runs per configuration (median and spread)")
    p.add_argument("--threads", nargs="+", default=["0:0"], metavar="INTRA:INTER",
                   help="TensorFlow thread-pool sizes to compare, intra-op:inter-op (0 = TensorFlow's choice)")
    p.add_argument("--content", type=Path, default=data / "tubingen.jpg")
    p.add_argument("--style", type=Path, default=data / "starry_night.jpg")
    kernels = p.add_argument_group("FLOP floor and isolated kernels (bench/kernels.py)")
    skip = kernels.add_mutually_exclusive_group()
    skip.add_argument("--skip-kernels", action="store_true", help="only the runs: no FLOP floor, no kernel timing")
    skip.add_argument("--kernels-only", action="store_true", help="only the FLOP floor and kernel sums, no runs")
    kernels.add_argument("--kernel-repeats", type=int, default=5, help="timed calls per kernel and per matmul")
    kernels.add_argument("--kernel-warmup", type=int, default=2, help="untimed calls per kernel first")
    kernels.add_argument("--matmul-size", type=int, default=4096, help="n of the n x n matmul that measures GFLOP/s")
    kernels.add_argument("--peak-gflops", type=float, nargs="+", metavar="GFLOPS",
                         help="GFLOP/s for the floor instead of measuring: FLOAT32 [BFLOAT16] (one value: both)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=argparse.SUPPRESS)
    p.add_argument("--precision", choices=PRECISIONS, default="float32", help=argparse.SUPPRESS)
    p.add_argument("--intra", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--inter", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.iterations <= args.warmup or args.warmup < 1 or args.repeats < 1:
        p.error("need --iterations > --warmup >= 1 and --repeats >= 1")
    if min(args.sizes) < 32:
        p.error("sizes must be at least 32 px (VGG-19 pools five times)")
    if args.kernel_repeats < 1 or args.kernel_warmup < 1:
        p.error("need --kernel-repeats >= 1 and --kernel-warmup >= 1")
    if args.peak_gflops and (len(args.peak_gflops) > 2 or min(args.peak_gflops) <= 0):
        p.error("--peak-gflops takes one or two positive numbers: FLOAT32 [BFLOAT16]")
    try:
        args.threads = [tuple(int(v) for v in t.split(":")) for t in args.threads]
    except ValueError:
        p.error("--threads takes INTRA:INTER pairs of whole numbers, e.g. 2:1")
    if any(len(t) != 2 or min(t) < 0 for t in args.threads):
        p.error("--threads takes INTRA:INTER pairs of whole numbers >= 0, e.g. 2:1")
    args.sizes = list(dict.fromkeys(args.sizes))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
