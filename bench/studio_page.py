"""Driving the studio as a person does, shared by its browser test (tests/test_studio_browser.py) and
the timed person's path (bench/bench_studio_path.py): ``neural-style studio`` in its own process,
Debian's Chromium through Playwright, picking files and painting strokes."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's (README: Install and test); Playwright's own download is not used


def start_studio(data: Path, library: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """``neural-style studio --data data`` with ``library`` as its style library and ``args``, in its
    own process; returns it and the URL it printed (its stderr is drained in a thread, never a full pipe)."""
    env = {**os.environ, "NEURAL_STYLE_LIBRARY": str(library), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "cli.py", "studio", "--no-browser", "--port", "0", "--data", str(data),
                             *args], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    while True:
        try:
            found = re.search(r"studio: (http://\S+)", lines.get(timeout=60))
        except queue.Empty:
            proc.kill()
            raise RuntimeError(f"the studio did not print its address in 60 s (exit code {proc.poll()})") from None
        if found:
            return proc, found.group(1)


@contextlib.contextmanager
def running_studio(folder: Path) -> Iterator[str]:
    """The studio with its data and library in ``folder``; yields its URL, and stops it (SIGTERM)
    afterwards."""
    proc, url = start_studio(folder / "data", folder / "lib.sqlite")
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def launch(playwright, width: int = 1400, height: int = 900):
    """Headless Chromium (the system's) and a page of ``width x height`` that accepts downloads."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
    return browser, browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)


def pick_files(page, button, *paths: Path) -> None:
    """Click ``button`` (a selector or a locator) and choose ``paths`` in the file chooser it opens."""
    with page.expect_file_chooser() as chooser:
        page.click(button) if isinstance(button, str) else button.click()
    chooser.value.set_files([str(path) for path in paths])


def stroke(page, points: list[tuple[float, float]]) -> None:
    """Drag the pointer over the mask canvas through ``points`` given as fractions of its size."""
    box = page.get_by_test_id("mask-canvas").bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()

