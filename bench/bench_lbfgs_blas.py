"""What scipy's L-BFGS-B costs a step with the BLAS at its default threads and at one, alone and on a
busy machine.

    python -m bench.bench_lbfgs_blas                      # problem sizes of 64, 256 and 512 px photos
    python -m bench.bench_lbfgs_blas --busy 2             # with 2 processes spinning beside it

The objective is a cheap quadratic (``0.5 sum d x^2``) with the run's box bounds, so what is timed is
the optimiser's own vector work: ``optimizers.LBFGS_BLAS_THREADS`` (1) against the BLAS default (one
thread per core). CPU seconds are the process's, BLAS threads included. A script, not a test.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

import numpy as np
import scipy.optimize
from threadpoolctl import threadpool_info, threadpool_limits

SIZES = {"64 px (48x64)": 48 * 64 * 3, "256 px (192x256)": 192 * 256 * 3, "512 px (384x512)": 384 * 512 * 3}


def _spin(seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        pass


def step_cost(n: int, iterations: int, threads: int | None) -> tuple[float, float]:
    """CPU and wall milliseconds per L-BFGS-B iteration on an ``n``-variable quadratic in 0..255."""
    rng = np.random.default_rng(0)
    d = rng.uniform(1e-3, 1e-2, n)
    centre = rng.uniform(0, 255, n)

    def fun(x):
        r = x - centre
        return 0.5 * float(np.sum(d * r * r)), d * r

    x0 = rng.uniform(0, 255, n)
    cpu, wall = time.process_time(), time.perf_counter()
    with threadpool_limits(limits=threads, user_api="blas"):
        out = scipy.optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=scipy.optimize.Bounds(0, 255),
                                      options={"maxiter": iterations, "ftol": 0.0, "gtol": 0.0})
    steps = max(out.nit, 1)
    return 1e3 * (time.process_time() - cpu) / steps, 1e3 * (time.perf_counter() - wall) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--busy", type=int, default=0, help="processes spinning beside the optimiser")
    args = parser.parse_args()
    default = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
    spinners = [multiprocessing.Process(target=_spin, args=(3600,), daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    try:
        print(f"| problem | BLAS threads | CPU ms / step | wall ms / step |  ({args.busy} busy processes beside)")
        print("|---|---|---|---|")
        for label, n in SIZES.items():
            for threads in (default, 1):
                cpu, wall = step_cost(n, args.iterations, threads)
                print(f"| {label} | {threads} | {cpu:.1f} | {wall:.1f} |", flush=True)
    finally:
        for p in spinners:
            p.terminate()


if __name__ == "__main__":
    main()
