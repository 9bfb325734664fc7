"""Memory: the planner's prediction against real runs, the budget it reads, and the plan it picks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_main

from neural_style import TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.planner import available_memory, parse_memory, plan_run, predict_peak

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

PEAK = """
import sys
from neural_style.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    if exit.code:
        raise
status = open("/proc/self/status").read().split("VmHWM:")[1].split()
print("PEAK", int(status[0]) * 1024)
"""
"""The child's own peak resident memory: VmHWM belongs to its own address space. (getrusage's
ru_maxrss would not do: Linux carries it over fork and exec, so a child of a large pytest process
reports the parent's peak.)"""


@pytest.mark.parametrize("size", [192, 512])  # the two ends of the sizes the memory table was fitted on
def test_the_predicted_peak_is_within_15_percent_of_a_real_run(size, tmp_path):
    """The CLI as users run it (default scales, L-BFGS, auto precision); its own peak resident memory."""
    out = tmp_path / "out.png"
    proc = subprocess.run([sys.executable, "-c", PEAK, "-content_img", str(DATA / "tubingen.jpg"), "-style_imgs",
                           str(DATA / "starry_night.jpg"), "--max_size", str(size), "--max_iterations", "1", "-o", str(out),
                           "-q", "--max_memory", "0"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    measured = int(proc.stdout.split("PEAK")[-1])
    from neural_style.features import resolve_precision
    from neural_style.images import load_image

    shape = load_image(out).shape[:2]
    predicted = predict_peak(TransferConfig(max_size=size), shape, precision=resolve_precision("auto", "/cpu:0"))
    print(f"{size} px: measured {measured / 2**20:.0f} MiB, predicted {predicted / 2**20:.0f} MiB")
    assert abs(predicted / measured - 1) <= 0.15


@pytest.mark.parametrize("text, expected", [("4G", 4 * 2**30), ("512M", 512 * 2**20), ("1.5GB", int(1.5 * 2**30)),
                                            ("3000", 3000), ("0", 0), ("2gib", 2 * 2**30)])
def test_memory_sizes_parse(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["lots", "-1G", "4X", ""])
def test_bad_memory_sizes_are_refused(text):
    with pytest.raises(NeuralStyleError, match="max_memory takes a size like 4G"):
        parse_memory(text)


def test_the_budget_is_the_smaller_of_the_cgroup_limit_and_what_is_available(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "meminfo").write_text("MemTotal: 24000000 kB\nMemAvailable:   20000000 kB\n")
    assert available_memory(tmp_path) == 20000000 * 1024
    (tmp_path / "sys" / "fs" / "cgroup").mkdir(parents=True)
    (tmp_path / "sys" / "fs" / "cgroup" / "memory.max").write_text("4294967296\n")
    assert available_memory(tmp_path) == 4294967296
    (tmp_path / "sys" / "fs" / "cgroup" / "memory.max").write_text("max\n")  # no cgroup limit
    assert available_memory(tmp_path) == 20000000 * 1024


def test_the_plan_keeps_a_run_that_fits_switches_to_adam_tiles_or_refuses_in_one_line():
    shape = (1536, 2048)
    lbfgs = predict_peak(TransferConfig(), shape, precision="bfloat16")
    adam = predict_peak(TransferConfig(optimizer="adam"), shape, precision="bfloat16")
    assert adam < lbfgs
    plan = plan_run(TransferConfig(max_memory=lbfgs + 1), shape, precision="bfloat16")
    assert plan.config.optimizer == "lbfgs" and plan.note is None
    plan = plan_run(TransferConfig(max_memory=(lbfgs + adam) // 2), shape, precision="bfloat16")
    assert plan.config.optimizer == "adam" and "running Adam" in plan.note
    plan = plan_run(TransferConfig(max_memory=adam - 1), shape, precision="bfloat16")  # tiles, L-BFGS kept
    assert plan.config.optimizer == "lbfgs" and plan.config.tile % 64 == 0 and "px tiles" in plan.note
    assert plan.predicted <= adam - 1
    bigger = predict_peak(TransferConfig(tile=plan.config.tile + 64), shape, precision="bfloat16")
    assert bigger > adam - 1  # the largest tile that fits
    with pytest.raises(NeuralStyleError) as error:  # --tile 0: never tile
        plan_run(TransferConfig(max_memory=adam - 1, tile=0), shape, precision="bfloat16")
    message = str(error.value)
    assert "\n" not in message and message.startswith("2048 px needs ~")
    assert "--tile" not in message
    side = int(message.split("--max_size ")[1])  # the suggestion fits, and 16 px more would not
    assert predict_peak(TransferConfig(optimizer="adam"), (round(side * 0.75), side), precision="bfloat16") <= adam - 1
    assert predict_peak(TransferConfig(optimizer="adam"), (round((side + 16) * 0.75), side + 16), precision="bfloat16") > adam - 1


def test_a_refusal_offers_a_size_that_fits_in_the_run_s_own_precision():
    """float32 needs more bytes a pixel than bfloat16, so the --max_size a float32 run is offered is
    smaller, and fits in float32."""
    shape = (1536, 2048)
    budget = predict_peak(TransferConfig(optimizer="adam"), (768, 1024), precision="float32")
    sides = {}
    for precision in ("bfloat16", "float32"):
        with pytest.raises(NeuralStyleError) as error:
            plan_run(TransferConfig(max_memory=budget, tile=0), shape, precision=precision)
        sides[precision] = int(str(error.value).split("--max_size ")[1])
        side = sides[precision]
        assert predict_peak(TransferConfig(optimizer="adam"), (round(side * 0.75), side), precision=precision) <= budget
        assert predict_peak(TransferConfig(optimizer="adam"), (round((side + 16) * 0.75), side + 16),
                            precision=precision) > budget
    assert sides["float32"] < sides["bfloat16"]


def test_a_budget_too_small_for_any_plan_exits_2_before_the_network_is_built(tmp_path, capfd):
    code, _, err = run_main(["-content_img", str(DATA / "tubingen.jpg"), "-style_imgs", str(DATA / "starry_night.jpg"),
                             "--max_size", "2048", "--max_memory", "300M", "-o", str(tmp_path / "out.png"), "-v"], capfd)
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("neural-style:")]
    assert errors == ["neural-style: error: 1024 px needs ~" + errors[0].split("needs ~")[1]]
    assert "is too small for any run" in errors[0]
    assert "iteration" not in err and not (tmp_path / "out.json").exists()


def test_enlarge_lets_max_size_enlarge_the_photo_and_only_with_it():
    """The options as the command parses them; the output's size is the prepared photo's (runs.execute
    resizes the result to it)."""
    from neural_style import StyleSpec
    from neural_style.cli.options import build_config
    from neural_style.cli.run import command
    from neural_style.runs import Request, prepare

    sizes = {}
    for flag in ("--enlarge", "--no-enlarge"):
        options = command.make_context("neural-style", ["--content_img", "face.jpg", "--max_size", "880", flag]).params
        prepared = prepare(Request(DATA / "face.jpg", (StyleSpec(DATA / "starry_night.jpg"),), build_config(options)))
        sizes[flag] = prepared.shape
    assert sizes == {"--enlarge": (880, 660), "--no-enlarge": (800, 600)}  # face.jpg is 600x800
