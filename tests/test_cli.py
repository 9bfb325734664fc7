"""The command line, run as users run it: a subprocess, exit codes, the files it writes (two tests
run the command in this process, where a fresh process adds nothing to what they check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from conftest import run_main

from neural_style.argv import normalize_argv
from neural_style.cli.run import _long_option_names

ROOT = Path(__file__).resolve().parent.parent
DATA = "tests/data"


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def small_run_args(out: Path, *extra: str) -> list[str]:
    return ["-content_img", "tubingen.jpg", "-style_imgs", "starry_night.jpg", "-content_img_dir", DATA,
            "-style_imgs_dir", DATA, "-max_size", "64", "-max_iterations", "3", "-o", str(out), *extra]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["-style_imgs", "a.jpg", "b.jpg", "-max_size", "9"],
         ["--style_imgs", "a.jpg", "--style_imgs", "b.jpg", "--max_size", "9"]),
        (["--style_imgs_weights", "0.5", "-1", "--seed", "2"],
         ["--style_imgs_weights", "0.5", "--style_imgs_weights", "-1", "--seed", "2"]),
        (["-style_mask", "1", "-style_mask_imgs", "m.png"], ["--style_mask", "--style_mask_imgs", "m.png"]),
        (["-style_mask", "false"], ["--no-style_mask"]),
        (["-original_colors", "1", "-luminance_only", "0"], ["--original_colors", "--no-luminance_only"]),
        (["--style_mask", "-content_img", "x"], ["--style_mask", "--content_img", "x"]),
        (["-o", "out.png", "-v"], ["-o", "out.png", "-v"]),
        (["--style_layers=relu1_1"], ["--style_layers", "relu1_1"]),
    ],
)
def test_argv_normalisation(argv, expected):
    assert normalize_argv(argv, _long_option_names()) == expected


def test_neural_style_tf_command_runs_and_writes_image_and_record(tmp_path, capfd, monkeypatch):
    """The seeds' command shape: single-dash options and -device /gpu:0 on a machine without a GPU (in
    this process: what the command writes is its own work; a fresh process's output is the next test's)."""
    out = tmp_path / "result.png"
    monkeypatch.chdir(ROOT)  # DATA is relative to the repository root
    code, _, err = run_main(small_run_args(out, "-device", "/gpu:0"), capfd)
    assert code == 0, err
    assert "note: no GPU available" in err and "Traceback" not in err
    assert cv2.imread(str(out)).shape == (48, 64, 3)
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["iterations"] == 3 and record["stop_reason"] == "completed"
    assert record["config"]["content_layers"] == ["block4_conv2"] and record["config"]["device"] == "/cpu:0"
    assert set(record["final_loss"]) == {"total", "content", "style", "tv"}
    assert record["versions"]["tensorflow"] and record["seconds"] > 0
    # A second run to the same name takes a numbered one: tests/test_reliability.py.


@pytest.mark.parametrize(
    "args, message",
    [
        (["-content_img", "nope.jpg", "-style_imgs", "starry_night.jpg"], "content_img: file not found: 'nope.jpg'"),
        (["-style_imgs_weights", "1", "-2"], "style_imgs_weights needs one weight per style image"),
        (["-style_imgs_weights", "-2"], "style_imgs_weights must be a finite number >= 0"),
        (["-style_layers", "relu4_22"], "did you mean"),
        (["-max_iterations", "0"], "max_iterations must be a whole number"),
        (["-optimizer", "sgd"], "optimizer must be one of lbfgs, adam"),
        (["-max_size", "abc"], "'abc' is not a valid integer"),
        (["-o", f"{DATA}/tubingen.jpg"], "is one of the input images"),
        (["-style_mask", "1", "-style_mask_imgs", "face_mask.png", "face_mask_inv.png"],
         "style_mask_imgs needs one mask per style image"),
        (["-o", "/proc/forbidden/out.png"], "cannot be created"),
        (["-o", "/proc/out.png"], "output directory '/proc' cannot hold files"),
        (["-weights", "missing.h5"], "weights must be 'default', 'imagenet' or an existing file"),
        (["-bogus_option", "1"], "No such option"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, args, message):
    proc = run_cli(*small_run_args(tmp_path / "o.png"), *args, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neural-style: error:"), proc.stderr
    assert message in lines[0]
    assert not list(tmp_path.glob("*.png"))


def test_python_dash_m_shows_help():
    proc = subprocess.run([sys.executable, "-m", "neural_style", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and "--style_imgs" in proc.stdout


def test_quiet_means_quiet_whatever_the_environment(tmp_path):
    """-q on a two-style masked coarse-to-fine run, with TensorFlow's own logging turned fully on."""
    out = tmp_path / "quiet.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "0", "TF_CPP_MAX_VLOG_LEVEL": "0"}
    args = ["-content_img", "face.jpg", "-style_imgs", "starry_night.jpg", "the_scream.jpg", "-style_mask", "1",
            "-style_mask_imgs", "face_mask.png", "face_mask_inv.png", "-content_img_dir", DATA, "-style_imgs_dir",
            DATA, "-mask_dir", DATA, "-max_size", "96", "--min_scale_side", "32", "-max_iterations", "6",
            "-o", str(out), "-q"]
    proc = subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0
    assert proc.stdout == "" and proc.stderr == ""
    assert json.loads(out.with_suffix(".json").read_text())["scale_sizes"] == [48, 96]


def test_segmentation_run_notes_its_regions_and_records_them(tmp_path, capfd, monkeypatch):
    """In this process: the note and the record are the command's own work."""
    out = tmp_path / "seg.png"
    monkeypatch.chdir(ROOT)  # DATA is relative to the repository root
    code, _, err = run_main(["-content_img", "dpst_in1.png", "-style_imgs", "dpst_in1_style.png", "-content_seg",
                             "dpst_in1_mask.png", "-style_segs", "dpst_in1_style_mask.png", "-content_img_dir", DATA,
                             "-style_imgs_dir", DATA, "-mask_dir", DATA, "-max_size", "64", "-max_iterations", "3",
                             "-o", str(out)], capfd)
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("neural-style: note: segmentation regions")]
    assert notes == ["neural-style: note: segmentation regions: 3: #000000 black 51% of the content, 49% of style_segs[0]; "
                     "#ffffff white 32% of the content, 36% of style_segs[0]; #00ff00 green 17% of the content, 15% of style_segs[0]"]
    record = json.loads(out.with_suffix(".json").read_text())
    assert [r["name"] for r in record["regions"]] == ["#000000 black", "#ffffff white", "#00ff00 green"]
    assert sum(r["content_share"] for r in record["regions"]) == pytest.approx(1.0)
    assert len(record["styles"]) == 3 and record["scales"][0]["iterations"] == 3
