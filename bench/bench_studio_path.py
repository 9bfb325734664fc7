"""A person's path through the studio, timed and counted: open the page, pick a photo, add two
paintings, choose both, paint a mask (one stroke for the first painting, Fill rest for the second),
run at the default preset, download the result. Each click, file choice and stroke counts as one
action; the seconds are the machine's (the page's and the run's), not a person's thinking.

    python -m bench.bench_studio_path                  # default preset (512 px, 80 iterations)
    python -m bench.bench_studio_path --preset preview

``neural-style studio`` runs in its own process with a fresh folder and library, driven by Debian's
Chromium (bench/studio_page.py). Prints one line per step and the totals. A script, not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright import sync_api
from playwright.sync_api import expect

from bench.studio_page import launch, pick_files, running_studio, stroke

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PAINTINGS = ("starry_night", "the_scream")


def person(url: str, preset: str, out: Path) -> None:
    actions = 0
    start = last = time.perf_counter()

    def step(what: str, count: int = 1) -> None:
        nonlocal actions, last
        actions += count
        now = time.perf_counter()
        print(f"{now - start:7.1f} s  (+{now - last:6.1f})  {actions:2d} actions  {what}", flush=True)
        last = now

    with sync_api.sync_playwright() as p:
        browser, page = launch(p)
        page.set_default_timeout(600_000)
        expect.set_options(timeout=600_000)  # adding paintings and the run take minutes on 2 cores
        page.goto(url)
        expect(page.get_by_test_id("paintings-grid")).to_have_attribute("aria-busy", "false")
        step("page open", 0)
        pick_files(page, "#photo-pick", DATA / "tubingen.jpg")
        expect(page.get_by_test_id("photo-info")).to_contain_text("px")
        step("photo picked (click, choose)", 2)
        pick_files(page, "#painting-add", *(DATA / f"{name}.jpg" for name in PAINTINGS))
        expect(page.get_by_test_id("painting-tile")).to_have_count(2)
        step("two paintings added to the library (click, choose)", 2)
        for name in PAINTINGS:
            page.locator(f'[data-testid="painting-tile"][data-name="{name}"]').click()
        expect(page.get_by_test_id("chosen-item")).to_have_count(2)
        step("both chosen (two clicks)", 2)
        page.fill("#brush-size", "400")
        stroke(page, [(0.2, 0.05), (0.2, 0.95)])
        page.locator(f'[data-testid="layer"][data-name="{PAINTINGS[1]}"]').click()
        page.click("#fill-rest")
        step("mask painted (brush size, one stroke, second layer, Fill rest)", 4)
        if preset != "default":  # the page starts at the default preset
            page.select_option("#preset", preset)
            step(f"preset {preset}")
        page.click("#start")
        step("Start")
        page.wait_for_function("() => document.querySelector('#current-image')?.naturalWidth > 0")
        step("first preview on the page", 0)
        expect(page.get_by_test_id("run-state")).to_have_text("done")
        step("run done", 0)
        with page.expect_download() as download:
            page.get_by_test_id("download-png").click()
        download.value.save_as(out)
        step(f"downloaded {out.name} (one click)", 1)
        browser.close()
    print(f"total: {actions} actions, {time.perf_counter() - start:.1f} s from the page opening to the file on disk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", choices=("preview", "default", "high"))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "studio-path.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="studio-path-") as folder, running_studio(Path(folder)) as url:
        person(url, args.preset, args.out)


if __name__ == "__main__":
    main()
