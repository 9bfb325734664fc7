"""The studio's responsiveness, as a person feels it: from pressing Start to the first preview image, and
from pressing Cancel to the job's cancelled state, on a warm server (its network built, one job run).

    python -m bench.bench_studio                 # preview preset (256 px), 5 repeats
    python -m bench.bench_studio --preset default --repeats 3

Runs the studio's routes in this process through aiohttp's test client (the same code as
``neural-style studio``), with tubingen.jpg and Starry Night from tests/data, in a temporary folder
and library. Each repeat: POST /api/jobs, wait for the first ``preview`` event (written at iteration 1),
POST /api/jobs/ID/cancel, wait for ``cancelled``. Prints each time and the medians. A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from neural_style.studio.jobs import Studio
from neural_style.studio.server import build_app

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


class Stamps:
    """When the first preview and the cancelled state arrived (a studio subscriber)."""

    def __init__(self) -> None:
        self.seen = {"preview": threading.Event(), "cancelled": threading.Event()}
        self.stamps: dict[str, float] = {}

    def __call__(self, event: dict) -> None:
        kind = "preview" if event.get("preview") else "cancelled" if event.get("state") == "cancelled" else None
        if kind and not self.seen[kind].is_set():
            self.stamps[kind] = time.perf_counter()
            self.seen[kind].set()


async def measure(studio: Studio, preset: str, repeats: int) -> list[tuple[float, float]]:
    async with TestClient(TestServer(build_app(studio))) as client:
        photo = await (await client.post("/api/uploads?kind=photo", data=(DATA / "tubingen.jpg").read_bytes())).json()
        painting = await (await client.post("/api/paintings?name=starry.jpg",
                                            data=(DATA / "starry_night.jpg").read_bytes())).json()
        job = {"content": photo["id"], "styles": [{"name": painting["name"]}], "preset": preset}
        times = []
        for repeat in range(repeats + 1):  # the first warms the server: networks, traces, library sizes
            watch = Stamps()
            stop = studio.subscribe(watch)
            start = time.perf_counter()
            job_id = (await (await client.post("/api/jobs", json=job)).json())["id"]
            await asyncio.to_thread(watch.seen["preview"].wait, 300)
            asked = time.perf_counter()
            await client.post(f"/api/jobs/{job_id}/cancel")
            await asyncio.to_thread(watch.seen["cancelled"].wait, 60)
            stop()
            result = (watch.stamps["preview"] - start, watch.stamps["cancelled"] - asked)
            print(f"{'warm-up' if repeat == 0 else f'repeat {repeat}'}: Start to first preview {result[0]:.2f} s, "
                  f"Cancel to cancelled {result[1]:.2f} s", flush=True)
            if repeat:
                times.append(result)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="preview", choices=("preview", "default", "high"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        studio = Studio(Path(folder) / "data", Path(folder) / "library.sqlite")
        try:
            times = asyncio.run(measure(studio, args.preset, args.repeats))
        finally:
            studio.close()
    print(f"median of {len(times)} ({args.preset}): Start to first preview {statistics.median(t[0] for t in times):.2f} s, "
          f"Cancel to cancelled {statistics.median(t[1] for t in times):.2f} s")


if __name__ == "__main__":
    main()
