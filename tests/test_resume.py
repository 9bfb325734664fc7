"""Long runs survive kill -9: ``--checkpoint_iterations`` then ``--resume RECORD.json``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import gram_distance

from neural_style.checkpoints import checkpoint_path, load_checkpoint
from neural_style.images import fit_longest_side, load_image

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
RUN = ["-content_img", str(DATA / "tubingen.jpg"), "-style_imgs", str(DATA / "starry_night.jpg"), "--max_size", "96",
       "--max_iterations", "60", "--scales", "2", "--min_scale_side", "32", "--checkpoint_iterations", "10",
       "--precision", "float32"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def killed_after(output: Path, iterations: int, *extra: str) -> None:
    """Start the run, SIGKILL it once its checkpoint holds at least ``iterations`` iterations."""
    proc = subprocess.Popen([sys.executable, "cli.py", *RUN, *extra, "-o", str(output), "-q"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 500
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            checkpoint = load_checkpoint(checkpoint_path(output))
        except Exception:  # noqa: BLE001 - not written yet
            time.sleep(0.05)
            continue
        if sum(r.iterations for r in checkpoint.reports) + checkpoint.iterations >= iterations:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def yardstick(extractor, path: Path) -> tuple[float, float]:
    """Gram distance to the painting and relu4_2 distance to the photo, at the output's size."""
    from neural_style.objective import extract_features

    output = load_image(path).astype(np.float32)
    photo = fit_longest_side(load_image(DATA / "tubingen.jpg"), max(output.shape[:2]))
    style = fit_longest_side(load_image(DATA / "starry_night.jpg"), max(output.shape[:2]))
    fo, fp = extract_features(extractor, output), extract_features(extractor, photo)
    content = float(np.linalg.norm(fo["block4_relu2"] - fp["block4_relu2"]) / np.linalg.norm(fp["block4_relu2"]))
    return gram_distance(extractor, output, style), content


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_kill_9_halfway_then_resume_finishes_like_an_uninterrupted_run(optimizer, tmp_path, extractor):
    whole = tmp_path / "whole.png"
    assert cli(*RUN, "--optimizer", optimizer, "-o", str(whole), "-q").returncode == 0
    resumed = tmp_path / "resumed.png"
    killed_after(resumed, 30, "--optimizer", optimizer)
    record = json.loads(resumed.with_suffix(".json").read_text())
    assert record["status"] == "running" and not resumed.exists()
    proc = cli("--resume", str(resumed.with_suffix(".json")), "-q")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    record = json.loads(resumed.with_suffix(".json").read_text())
    assert record["iterations"] == 60 and record["stop_reason"] == "completed"
    assert [s["iterations"] for s in record["scales"]] == [45, 15]  # 60 split 3:1
    assert not checkpoint_path(resumed).exists()  # finished: the checkpoint is gone
    if optimizer == "adam":  # Adam's whole state is in the checkpoint: the same bytes
        assert resumed.read_bytes() == whole.read_bytes()
    else:  # L-BFGS restarts its curvature memory at the checkpoint
        (gram_w, content_w), (gram_r, content_r) = yardstick(extractor, whole), yardstick(extractor, resumed)
        print(f"uninterrupted gram {gram_w:.4f} content {content_w:.4f}; resumed gram {gram_r:.4f} content {content_r:.4f}")
        assert abs(gram_r / gram_w - 1) < 0.02 and abs(content_r / content_w - 1) < 0.02


def test_resume_refuses_changed_settings_or_inputs_and_finished_runs(tmp_path):
    content = tmp_path / "photo.jpg"
    content.write_bytes((DATA / "tubingen.jpg").read_bytes())
    output = tmp_path / "out.png"
    run = ["-content_img", str(content), *RUN[2:]]
    proc = subprocess.Popen([sys.executable, "cli.py", *run, "-o", str(output), "-q"], cwd=ROOT)
    deadline = time.monotonic() + 300
    while not checkpoint_path(output).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    record = str(output.with_suffix(".json"))
    changed = cli("--resume", record, "--style_weight", "5")
    assert changed.returncode == 2
    assert changed.stderr.strip().splitlines() == [
        f"neural-style: error: resume: --style_weight (10000.0 there, 5.0 now) differs from the record {record!r}; "
        "a resumed run keeps its settings and inputs"]
    content.write_bytes((DATA / "face.jpg").read_bytes())
    edited = cli("--resume", record)
    assert edited.returncode == 2 and f"the contents of {content}" in edited.stderr
    content.write_bytes((DATA / "tubingen.jpg").read_bytes())
    assert cli("--resume", record, "-q").returncode == 0
    again = cli("--resume", record)
    assert again.returncode == 2 and "already finished (completed); nothing to resume" in again.stderr
    missing = cli("--resume", str(tmp_path / "nothing.json"))
    assert missing.returncode == 2 and "resume: record not found" in missing.stderr


def test_a_resume_under_another_memory_budget_is_not_refused(tmp_path):
    """The plan follows the free memory of the moment (L-BFGS, or Adam where L-BFGS would not fit); a
    resume compares the user's settings, never the plan. Killed with plenty of memory (L-BFGS), resumed
    where only Adam fits: it finishes, its record keeping the setting asked for and the plan beside it."""
    from dataclasses import replace

    from neural_style import TransferConfig
    from neural_style.planner import DEFAULT_SHARE, predict_peak

    output = tmp_path / "resumed.png"
    killed_after(output, 10)
    config = TransferConfig(max_size=96, max_iterations=60, scales=2, min_scale_side=32, precision="float32")
    lbfgs, adam = (predict_peak(replace(config, optimizer=o), (72, 96), 0, "float32") for o in ("lbfgs", "adam"))
    assert adam < lbfgs
    available = int((lbfgs + adam) / 2 / DEFAULT_SHARE)  # a budget between the two
    code = ("import neural_style.planner as planner\n"
            f"planner.available_memory = lambda *args: {available}\n"
            "from neural_style.cli import main\n"
            f"main(['--resume', {str(output.with_suffix('.json'))!r}, '-q'])\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(output.with_suffix(".json").read_text())
    assert record["stop_reason"] == "completed" and output.exists()
    assert record["config"]["optimizer"] == "lbfgs" and record["plan"]["optimizer"] == "adam"
    assert record["iterations"] == 60
