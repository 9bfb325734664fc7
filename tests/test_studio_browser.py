"""The studio's page in a real browser (Debian's Chromium, headless, through Playwright), used as an
artist would: pick a photo, add two paintings, paint a mask for each, run, watch it, download the
result, and check that each painting went where its mask is. Screenshots of each stage go to
docs/studio-*.png."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from bad_uploads import bad_uploads
from conftest import DATA, gram_distance, small
from playwright import sync_api
from playwright.sync_api import expect

from bench.studio_page import launch, pick_files, running_studio, stroke
from neural_style.images import load_image
from neural_style.masks import resize_mask

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SIZE = 64
ITERATIONS = 15
SLOW = 120_000  # ms: the first job builds the network on a busy 2-core machine


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """``neural-style studio`` in its own process with a fresh folder and library; its URL."""
    with running_studio(tmp_path_factory.mktemp("studio")) as url:
        yield url


@pytest.fixture(scope="module")
def page(studio):
    with sync_api.sync_playwright() as p:
        browser, page = launch(p)
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


def test_a_reload_keeps_the_page_and_its_history_and_a_run_can_be_cancelled(masked_run, page):
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
    # the page as it was: photo, paintings, masks and settings
    expect(page.get_by_test_id("photo-info")).to_contain_text("1024 × 768 px")
    expect(page.get_by_test_id("layer")).to_have_text([re.compile("starry_night 50%"), re.compile("the_scream 50%")])
    expect(page.locator("#iterations")).to_have_value("500")
    expect(page.locator("#seed")).to_have_value("7")
    expect(page.get_by_test_id("command")).to_contain_text(f"--max_size {SIZE} --max_iterations 500 --seed 7")
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

    cancelled = page.locator('[data-testid="history-item"][data-state="cancelled"]')
    page.once("dialog", lambda dialog: dialog.dismiss())  # "Delete this run…?" No: nothing happens
    cancelled.get_by_test_id("delete-job").click()
    expect(history).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept())
    cancelled.get_by_test_id("delete-job").click()
    expect(history).to_have_count(2)
    expect(page.locator('[data-testid="history-item"][data-state="done"]')).to_have_count(2)


PICKERS = {"photo": ("#photo-pick", "photo-error"), "painting": ("#painting-add", "paintings-error"),
           "segmentation": ("#seg-pick", "seg-error"), "painting segmentation": (None, "chosen-error")}
"""Where a person gives the page each kind of file, and where the page answers. Masks are painted, not
picked, so the API's mask and unknown-kind cases (test_studio.py) have no button here."""


def page_cases() -> dict[str, tuple[str, str, bytes | int, str]]:
    """``{case: (kind, file name, bytes or a size in bytes, what the line on the page says)}``: the
    API's bad uploads the page can send, and what only a page meets."""
    cases = {case: (kind, f"file{n}.{'png' if 'PNG' in case or 'text' in case else 'jpg'}", raw, message)
             for n, (case, (kind, raw, message)) in enumerate(bad_uploads().items()) if kind in PICKERS}
    jpeg = (DATA / "tubingen.jpg").read_bytes()
    tall = cv2.imencode(".png", np.full((300, 100, 3), 255, np.uint8))[1].tobytes()
    return cases | {
        "a 200 MB file": ("photo", "panorama.jpg", 200 * 2**20, "the studio takes up to 64 MB"),
        "a JPEG cut in half as a painting": ("painting", "scan.jpg", jpeg[:30_000], "truncated JPEG"),
        "a segmentation of another shape": ("segmentation", "labels.png", tall, "a mask must have its image's aspect ratio"),
        "a photo as a painting's segmentation": ("painting segmentation", "labels.jpg", jpeg, "not a segmentation"),
        "a text file as a painting's segmentation": ("painting segmentation", "labels.png", b"sky = black\n" * 30,
                                                     "not an image"),
    }


@pytest.mark.parametrize("case", list(page_cases()))
def test_a_bad_file_gets_its_one_line_on_the_page(masked_run, page, tmp_path, case):
    """Each bad file picked where a person would pick it: the page shows the server's one line (or its
    own, for a file over the size limit, which is never sent) beside the button, and keeps working:
    the photo, the paintings and the chosen segmentations are as they were."""
    kind, name, content, message = page_cases()[case]
    bad = tmp_path / name
    if isinstance(content, int):
        with bad.open("wb") as sparse:  # 200 MB on disk without writing them
            sparse.truncate(content)
    else:
        bad.write_bytes(content)
    button, field = PICKERS[kind]
    if button is None:  # the first chosen painting's own segmentation button
        button = page.get_by_test_id("chosen-item").first.get_by_role("button", name="Segmentation…")
    pick_files(page, button, bad)
    expect(page.locator(f"#{field}")).to_contain_text(message)
    expect(page.get_by_test_id("photo-info")).to_contain_text("1024 × 768 px")
    expect(page.get_by_test_id("painting-tile")).to_have_count(2)  # nothing added, nothing lost
    expect(page.get_by_test_id("chosen-item").get_by_role("button", name="Segmentation ✓")).to_have_count(0)
    if kind == "segmentation" and page.locator("#seg-remove").is_visible():
        page.click("#seg-remove")  # a segmentation of the wrong shape was taken, then refused by its note


def test_a_segmented_set_shows_its_regions_named_by_painting_and_runs(masked_run, page):
    """Deep Photo Style Transfer's lake (dpst_in1): the photo, its painting and both segmentations
    loaded on the page; the region note names the painting (the command line's says style_segs[0]),
    and the run finishes."""
    pick_files(page, "#photo-pick", DATA / "dpst_in1.png")
    expect(page.get_by_test_id("photo-info")).to_contain_text("700 × 437 px")
    pick_files(page, "#painting-add", DATA / "dpst_in1_style.png")
    expect(page.get_by_test_id("painting-tile")).to_have_count(3, timeout=SLOW)
    for name in ("starry_night", "the_scream", "dpst_in1_style"):  # the two chosen before go, the lake's comes
        page.locator(f'[data-testid="painting-tile"][data-name="{name}"]').click()
    expect(page.get_by_test_id("chosen-item")).to_have_count(1)
    pick_files(page, "#seg-pick", DATA / "dpst_in1_mask.png")
    pick_files(page, page.get_by_test_id("chosen-item").get_by_role("button", name="Segmentation…"),
               DATA / "dpst_in1_style_mask.png")
    note = page.get_by_test_id("region-note")
    expect(note).to_contain_text("3 regions")
    expect(note).to_contain_text("#000000 black: 51% of the photo; 49% of dpst_in1_style")
    expect(page.get_by_test_id("command")).to_contain_text("--content_seg segmentation-")
    page.fill("#iterations", "5")
    expect(page.get_by_test_id("command")).to_contain_text("--max_iterations 5 ")
    page.screenshot(path=DOCS / "studio-segmentation.png")
    history = page.get_by_test_id("history-item")
    before = history.count()
    page.click("#start")
    expect(history).to_have_count(before + 1)
    expect(history.first).to_have_class(re.compile("watched"))  # the run shown is the new one
    expect(page.get_by_test_id("run-state")).to_have_text("done", timeout=SLOW)
    expect(page.get_by_test_id("progress-text")).to_contain_text("Finished: 5 iterations")
