"""What a batch saves: per-job overhead after the first job against a fresh single-run process's start-up,
and the same batch on a local Ray.

    python -m bench.bench_batch --out /tmp/bench_batch [--size 96] [--iterations 8] [--ray]

The batch is issue 14's: 3 photos x 2 paintings x 2 style weights (12 jobs). For every job the bench
records its wall time (from the previous job's end to its own, so loading, targets, tracing, saving and
the record are all in it) and its optimisation time (the optimiser's own clock, summed over scales);
the overhead is the difference. A fresh single run's start-up is measured the same way on a new
process (``python cli.py ...``: wall time of the process minus its optimisation time). The optimiser's
clock includes its first evaluation, so a graph's tracing counts as optimisation in both: the single
run's start-up is understated by it, which makes the ratio conservative. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "images"
CONTENTS = [SHARED / "content" / "tubingen.jpg", SHARED / "content" / "golden_gate.jpg", SHARED / "content" / "chelsea.png"]
STYLES = [SHARED / "style" / "starry_night.jpg", SHARED / "style" / "the_scream.jpg"]
GRID = "style_weight=1e3,1e4"

class Timer:
    """A BatchListener that keeps each job's wall time and optimisation time."""

    def __init__(self) -> None:
        self.jobs: list[dict] = []
        self._last = time.perf_counter()
        self._optimising = 0.0
        self._scale_elapsed = 0.0

    def batch_started(self, total: int, to_run: int) -> None:
        self._last = time.perf_counter()

    def job_started(self, job) -> None:
        self._optimising, self._scale_elapsed = 0.0, 0.0

    def step(self, info) -> None:
        # StepInfo.elapsed restarts at each scale (each optimiser call); add a scale's last value.
        if info.elapsed < self._scale_elapsed:
            self._optimising += self._scale_elapsed
        self._scale_elapsed = info.elapsed

    def job_finished(self, outcome) -> None:
        now = time.perf_counter()
        if outcome.status == "done":
            optimising = self._optimising + self._scale_elapsed
            self.jobs.append({"name": outcome.name, "wall": now - self._last, "optimising": optimising})
        self._optimising = self._scale_elapsed = 0.0
        self._last = now


def single_run_startup(out: Path, size: int, iterations: int) -> dict:
    """A fresh process running one job as a user would (``python cli.py``): its wall time, and its
    optimisation time from the same clock as the batch's (the optimiser's StepInfo.elapsed)."""
    script = (
        "import sys, time, json\n"
        "t0 = time.perf_counter()\n"
        "import neural_style.terminal as terminal\n"
        "seen = {'done': 0.0, 'scale': 0.0}\n"
        "call = terminal.Progress.__call__\n"
        "def timed(self, info):\n"
        "    if info.elapsed < seen['scale']: seen['done'] += seen['scale']\n"
        "    seen['scale'] = info.elapsed\n"
        "    return call(self, info)\n"
        "terminal.Progress.__call__ = timed\n"
        "from neural_style.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps({'optimising': seen['done'] + seen['scale']}), file=sys.__stdout__)\n"
    )
    target = out / "single.png"
    target.unlink(missing_ok=True)
    target.with_suffix(".json").unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, "-content_img", str(CONTENTS[0]), "-style_imgs", str(STYLES[0]),
                           "--max_size", str(size), "--max_iterations", str(iterations), "-o", str(target), "-q"],
                          cwd=REPO, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    optimising = json.loads(proc.stdout.strip().splitlines()[-1])["optimising"]
    return {"wall": wall, "optimising": optimising, "startup": wall - optimising}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_batch"))
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--iterations", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ray", action="store_true", help="also run the batch on a local Ray (all CPUs)")
    args = parser.parse_args()
    from neural_style import TransferConfig
    from neural_style.batch import run_batch

    args.out.mkdir(parents=True, exist_ok=True)
    config = TransferConfig(max_size=args.size, max_iterations=args.iterations)
    singles = [single_run_startup(args.out, args.size, args.iterations) for _ in range(args.repeats)]
    startup = statistics.median(s["startup"] for s in singles)
    print(f"fresh single run ({args.size} px, {args.iterations} iterations), median of {args.repeats}: wall "
          f"{statistics.median(s['wall'] for s in singles):.2f} s, optimising "
          f"{statistics.median(s['optimising'] for s in singles):.2f} s, start-up {startup:.2f} s")
    local = args.out / "local"
    for old in local.glob("*"):
        old.unlink()
    timer = Timer()
    start = time.perf_counter()
    run_batch([str(p) for p in CONTENTS], STYLES, config, GRID, local, listener=timer)
    wall_local = time.perf_counter() - start
    print("\n| job | wall s | optimising s | overhead s | overhead / single start-up |\n|---|---|---|---|---|")
    for k, job in enumerate(timer.jobs):
        overhead = job["wall"] - job["optimising"]
        print(f"| {k + 1} {job['name']} | {job['wall']:.2f} | {job['optimising']:.2f} | {overhead:.2f} | "
              f"{100 * overhead / startup:.1f} % |")
    later = [job["wall"] - job["optimising"] for job in timer.jobs[1:]]
    print(f"\nbatch of {len(timer.jobs)} jobs in {wall_local:.1f} s; overhead per job after the first: median "
          f"{statistics.median(later):.2f} s, mean {statistics.mean(later):.2f} s = "
          f"{100 * statistics.median(later) / startup:.1f} % (median) of a fresh run's start-up {startup:.2f} s")
    if args.ray:
        import filecmp

        remote = args.out / "ray"
        for old in remote.glob("*"):
            old.unlink()
        start = time.perf_counter()
        run_batch([str(p) for p in CONTENTS], STYLES, config, GRID, remote, ray="auto")
        wall_ray = time.perf_counter() - start
        same = sum(filecmp.cmp(p, remote / p.name, shallow=False) for p in local.glob("*.png"))
        print(f"ray auto (local Ray, all CPUs): {wall_ray:.1f} s against {wall_local:.1f} s in one process; "
              f"{same} of {len(list(local.glob('*.png')))} outputs byte-identical")


if __name__ == "__main__":
    main()
