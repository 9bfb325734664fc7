"""The studio's page in a real browser (Debian's Chromium, headless, through Playwright), used as an
artist would: pick a photo, add two paintings, paint a mask for each, run, watch it, download the
result, and check that each painting went where its mask is. Screenshots of each stage go to
docs/studio-*.png."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import DATA, gram_distance, small
from playwright import sync_api
from playwright.sync_api import expect

from neural_style.images import load_image
from neural_style.masks import resize_mask

CHROMIUM = Path("/usr/bin/chromium")  # Debian's (README: Install and test); Playwright's own download is not used

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SIZE = 64
ITERATIONS = 15
SLOW = 120_000  # ms: the first job builds the network on a busy 2-core machine


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """``neural-style studio`` in its own process with a fresh folder and library; its URL."""
    folder = tmp_path_factory.mktemp("studio")
    env = {**os.environ, "NEURAL_STYLE_LIBRARY": str(folder / "lib.sqlite")}
    proc = subprocess.Popen([sys.executable, "cli.py", "studio", "--no-browser", "--port", "0", "--data",
                             str(folder / "data")], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()  # never a full pipe
    try:
        url = None
        while url is None:
            try:
                found = re.search(r"studio: (http://\S+)", lines.get(timeout=60))
            except queue.Empty:
                pytest.fail(f"the studio did not print its address in 60 s (exit code {proc.poll()})")
            url = found and found.group(1)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(studio):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page.set_default_timeout(30_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and not message.text.startswith("Failed to load")
                and errors.append(message.text))  # 4xx answers are shown on the page, on purpose
        page.goto(studio)
        yield page
        browser.close()
    assert not errors, f"the page logged errors: {errors}"


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def sent_mask(studio: str, upload_id: str) -> np.ndarray:
    """A mask the page uploaded, as the server keeps it: grey levels 0..1 at the photo's size."""
    png = np.frombuffer(get(f"{studio}api/uploads/{upload_id}.png"), np.uint8)
    return cv2.imdecode(png, cv2.IMREAD_GRAYSCALE) / 255.0


def pick_files(page, button: str, *paths: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click(button)
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


@pytest.fixture(scope="module")
def masked_run(page, studio, tmp_path_factory):
    """The whole run as a user clicks it: Starry Night painted on the left half of Tübingen, The
    Scream filled on the rest; returns the downloaded result and the two masks the page sent."""
    expect(page.get_by_test_id("paintings-grid")).to_have_attribute("aria-busy", "false")
    pick_files(page, "#photo-pick", DATA / "tubingen.jpg")
    expect(page.get_by_test_id("photo-info")).to_contain_text("1024 × 768 px")

    pick_files(page, "#painting-add", DATA / "starry_night.jpg", DATA / "the_scream.jpg")
    tiles = page.get_by_test_id("painting-tile")
    expect(tiles).to_have_count(2, timeout=SLOW)
    for name in ("starry_night", "the_scream"):
        page.locator(f'[data-testid="painting-tile"][data-name="{name}"]').click()
    expect(page.get_by_test_id("chosen-item")).to_have_count(2)
    command = page.get_by_test_id("command")
    expect(command).to_contain_text("--style_imgs starry_night.png the_scream.png")
    page.screenshot(path=DOCS / "studio-inputs.png")

    layers = page.get_by_test_id("layer")
    expect(layers.first).to_have_attribute("aria-pressed", "true")  # the first painting's layer
    page.fill("#brush-size", "512")  # photo px: half of its 1024 px width
    page.fill("#brush-soft", "0")
    stroke(page, [(0.25, 0.01), (0.25, 0.5), (0.25, 0.99)])
    expect(layers.first).to_contain_text("50%")
    page.locator('[data-testid="layer"][data-name="the_scream"]').click()
    page.click("#fill-rest")
    expect(layers.nth(1)).to_contain_text("50%")
    page.fill("#max-size", str(SIZE))
    page.fill("#iterations", str(ITERATIONS))
    expect(command).to_contain_text("--style_mask --style_mask_imgs mask-")  # the masks are uploaded
    expect(command).to_contain_text(f"--max_size {SIZE} --max_iterations {ITERATIONS}")
    page.screenshot(path=DOCS / "studio-mask.png")

    with page.expect_response(lambda response: "/preview.jpg?i=" in response.url and response.ok, timeout=SLOW):
        page.click("#start")  # the page shows the first preview (iteration 1) as it arrives
    progress = page.get_by_test_id("progress-text")
    expect(progress).to_contain_text("Iteration")
    first = progress.inner_text()
    expect(progress).not_to_have_text(first)  # progress events keep arriving
    page.screenshot(path=DOCS / "studio-run.png")
    expect(page.get_by_test_id("run-state")).to_have_text("done", timeout=SLOW)
    expect(progress).to_contain_text(f"Finished: {ITERATIONS} iterations")

    with page.expect_download() as download:
        page.get_by_test_id("download-png").click()
    saved = tmp_path_factory.mktemp("download") / download.value.suggested_filename
    download.value.save_as(saved)
    job_id = page.locator(".job.watched").get_attribute("data-job")
    styles = json.loads(get(f"{studio}api/jobs/{job_id}"))["spec"]["styles"]
    return load_image(saved), [sent_mask(studio, style["mask"]) for style in styles]


def test_each_painting_takes_the_region_painted_for_it(masked_run, extractor):
    """Starry Night was painted on the left half, The Scream on the rest: the page sent those masks, and
    in the result each half is nearer (Gram distance, bench/yardstick.py) to its own painting."""
    image, sent = masked_run
    left = np.zeros((768, 1024), np.float32)  # the photo's stored size
    left[:, :512] = 1
    starry, scream = small("starry_night.jpg", SIZE), small("the_scream.jpg", SIZE)

    def distances(painted):
        region = resize_mask(painted, *image.shape[:2])
        return gram_distance(extractor, image, starry, region), gram_distance(extractor, image, scream, region)

    inside, outside = distances(left), distances(1 - left)
    print(f"left half (Starry Night's): to Starry Night {inside[0]:.3f}, to The Scream {inside[1]:.3f}; "
          f"right half (The Scream's): to Starry Night {outside[0]:.3f}, to The Scream {outside[1]:.3f}")
    assert image.shape == (48, 64, 3)
    for mask, painted in zip(sent, (left, 1 - left), strict=True):
        assert mask.shape == painted.shape
        assert np.abs(mask - painted).mean() < 0.01
    assert inside[0] < 0.8 * inside[1]
    assert outside[1] < 0.8 * outside[0]


def test_history_compares_results_after_a_reload_and_a_run_can_be_cancelled(masked_run, page):
    history = page.get_by_test_id("history-item")
    state = page.get_by_test_id("run-state")
    page.fill("#iterations", "5")
    page.fill("#seed", "7")
    page.click("#start")
    expect(history).to_have_count(2)
    expect(history.first).to_have_class(re.compile("watched"))  # the new run is the one shown
    expect(state).to_have_text("done", timeout=SLOW)

    page.fill("#iterations", "500")
    page.click("#start")
    expect(history).to_have_count(3)
    expect(history.first).to_have_class(re.compile("watched"))
    page.get_by_test_id("cancel").click()
    expect(state).to_have_text("cancelled")

    page.reload()
    expect(history).to_have_count(3)  # from the "hello" event
    expect(page.locator('[data-testid="history-item"][data-state="done"]')).to_have_count(2)
    expect(history.first).to_have_attribute("data-state", "cancelled")  # newest first
    for item in page.locator('[data-testid="history-item"][data-state="done"]').all():
        item.get_by_test_id("compare-toggle").check()
    images = page.get_by_test_id("compare-images").locator("img")
    expect(images).to_have_count(2)
    page.wait_for_function("""() => [...document.querySelectorAll("#compare-images img")]
        .every((image) => image.complete && image.naturalWidth > 0)""")
    page.screenshot(path=DOCS / "studio-history.png")

    history.last.locator(".job-thumb").click()  # the first run: its photo, paintings and masks back
    page.get_by_test_id("reuse").click()
    expect(page.get_by_test_id("layer")).to_have_text([re.compile("starry_night 50%"), re.compile("the_scream 50%")])
    expect(page.get_by_test_id("command")).to_contain_text(f"--max_size {SIZE} --max_iterations {ITERATIONS}")


@pytest.mark.parametrize("name, content, field, message", [
    ("holiday.png", b"not a picture at all\n" * 20, "photo-error", "not an image"),
    ("half.jpg", None, "photo-error", "truncated JPEG"),
    ("scan.jpg", None, "paintings-error", "truncated JPEG"),
])
def test_a_bad_file_gets_its_one_line_on_the_page(masked_run, page, tmp_path, name, content, field, message):
    """A text file named .png and a JPEG cut in half, picked as a photo or added as a painting: the
    page shows the server's one line beside what was picked, and keeps working."""
    if content is None:
        content = (DATA / "tubingen.jpg").read_bytes()[:30_000]
    bad = tmp_path / name
    bad.write_bytes(content)
    pick_files(page, "#photo-pick" if field == "photo-error" else "#painting-add", bad)
    expect(page.locator(f"#{field}")).to_contain_text(message)
    expect(page.get_by_test_id("painting-tile")).to_have_count(2)  # nothing added, nothing lost
