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
from conftest import content_distance, gram_distance, run_main

from neural_style.checkpoints import checkpoint_path, load_checkpoint
from neural_style.images import fit_longest_side, load_image

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
RUN = ["-content_img", str(DATA / "tubingen.jpg"), "-style_imgs", str(DATA / "starry_night.jpg"), "--max_size", "96",
       "--max_iterations", "20", "--scales", "2", "--min_scale_side", "32", "--checkpoint_iterations", "5",
       "--precision", "float32"]


def killed_after(output: Path, iterations: int, *extra: str, content: Path = DATA / "tubingen.jpg") -> None:
    """Start the run in its own process, SIGKILL it once its checkpoint holds at least ``iterations``
    iterations."""
    run = ["-content_img", str(content), *RUN[2:]]
    proc = subprocess.Popen([sys.executable, "cli.py", *run, *extra, "-o", str(output), "-q"], cwd=ROOT,
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
    output = load_image(path).astype(np.float32)
    photo = fit_longest_side(load_image(DATA / "tubingen.jpg"), max(output.shape[:2]))
    style = fit_longest_side(load_image(DATA / "starry_night.jpg"), max(output.shape[:2]))
    return gram_distance(extractor, output, style), content_distance(extractor, output, photo)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_kill_9_halfway_then_resume_finishes_like_an_uninterrupted_run(optimizer, tmp_path, extractor, engine, capfd):
    from neural_style import StyleSpec, TransferConfig, run_transfer
    from neural_style.checkpoints import Checkpointing
    from neural_style.images import save_image

    whole = tmp_path / "whole.png"  # the same run, uninterrupted (checkpoints every 10 as well), here
    config = TransferConfig(max_size=96, max_iterations=20, scales=2, min_scale_side=32, precision="float32",
                            optimizer=optimizer)
    save_image(whole, run_transfer(DATA / "tubingen.jpg", [StyleSpec(DATA / "starry_night.jpg")], config,
                                   engine=engine, checkpointing=Checkpointing(5)).image)
    resumed = tmp_path / "resumed.png"
    killed_after(resumed, 10, "--optimizer", optimizer)
    record = json.loads(resumed.with_suffix(".json").read_text())
    assert record["status"] == "running" and not resumed.exists()
    code, _, err = run_main(["--resume", str(resumed.with_suffix(".json")), "-q"], capfd)
    assert code == 0 and err == "", err
    record = json.loads(resumed.with_suffix(".json").read_text())
    assert record["iterations"] == 20 and record["stop_reason"] == "completed"
    assert [s["iterations"] for s in record["scales"]] == [15, 5]  # 20 split 3:1
    assert not checkpoint_path(resumed).exists()  # finished: the checkpoint is gone
    if optimizer == "adam":  # Adam's whole state is in the checkpoint: the same bytes
        assert resumed.read_bytes() == whole.read_bytes()
    else:  # L-BFGS restarts its curvature memory at the checkpoint (measured: Gram 1.005x, content 0.999x)
        (gram_w, content_w), (gram_r, content_r) = yardstick(extractor, whole), yardstick(extractor, resumed)
        print(f"uninterrupted gram {gram_w:.4f} content {content_w:.4f}; resumed gram {gram_r:.4f} content {content_r:.4f}")
        assert abs(gram_r / gram_w - 1) < 0.02 and abs(content_r / content_w - 1) < 0.02


def test_a_resume_refuses_changed_settings_or_inputs_not_another_memory_budget_nor_twice(tmp_path, monkeypatch, capfd):
    """A resume compares the user's settings and the inputs' bytes, never the plan: the plan follows the
    free memory of the moment (L-BFGS, or Adam where L-BFGS would not fit). Killed with plenty of memory
    (L-BFGS), refused with another setting or an edited photo, then resumed where only Adam fits: it
    finishes, its record keeping the setting asked for and the plan beside it; a second resume is refused."""
    from dataclasses import replace

    from neural_style import TransferConfig, planner

    content = tmp_path / "photo.jpg"
    content.write_bytes((DATA / "tubingen.jpg").read_bytes())
    output = tmp_path / "out.png"
    killed_after(output, 5, content=content)
    record = str(output.with_suffix(".json"))
    code, _, err = run_main(["--resume", record, "--style_weight", "5"], capfd)
    assert code == 2
    assert err.strip().splitlines() == [(
        f"neural-style: error: resume: --style_weight (10000.0 there, 5.0 now) differs from the record {record!r}; "
        "a resumed run keeps its settings and inputs")]
    content.write_bytes((DATA / "face.jpg").read_bytes())
    code, _, err = run_main(["--resume", record], capfd)
    assert code == 2 and f"the contents of {content}" in err
    content.write_bytes((DATA / "tubingen.jpg").read_bytes())

    config = TransferConfig(max_size=96, max_iterations=20, scales=2, min_scale_side=32, precision="float32")
    lbfgs, adam = (planner.predict_peak(replace(config, optimizer=o), (72, 96), 0, "float32") for o in ("lbfgs", "adam"))
    assert adam < lbfgs
    monkeypatch.setattr(planner, "available_memory", lambda *args: int((lbfgs + adam) / 2 / planner.DEFAULT_SHARE))
    code, _, err = run_main(["--resume", record, "-q"], capfd)
    assert code == 0, err
    finished = json.loads(output.with_suffix(".json").read_text())
    assert finished["stop_reason"] == "completed" and output.exists() and finished["iterations"] == 20
    assert finished["config"]["optimizer"] == "lbfgs" and finished["plan"]["optimizer"] == "adam"

    code, _, err = run_main(["--resume", record], capfd)
    assert code == 2 and "already finished (completed); nothing to resume" in err
    code, _, err = run_main(["--resume", str(tmp_path / "nothing.json")], capfd)
    assert code == 2 and "resume: record not found" in err
