"""``neural-style batch``: the same bytes as single runs, one network, resume after kill -9, failing jobs
that do not stop the rest, the summary's format, and the same outputs on a local 2-CPU Ray."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import run_main

from neural_style import StyleSpec, TransferConfig
from neural_style.batch import (
    expand_contents,
    parse_grid,
    read_summary,
    run_batch,
    size_groups,
)
from neural_style.errors import NeuralStyleError
from neural_style.terminal import BatchProgress

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CONTENTS = [DATA / "tubingen.jpg", DATA / "face.jpg", DATA / "dpst_in1.png"]
STYLES = [DATA / "starry_night.jpg", DATA / "the_scream.jpg"]
GRID = "style_weight=1e3,1e4"
CONFIG = TransferConfig(max_size=64, max_iterations=8)
OPTIONS = ["--max_size", "64", "--max_iterations", "8"]


def batch_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", "batch", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, **kwargs)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory):
    """3 photos x 2 styles x 2 style weights at 64 px, in this process, counting network builds."""
    from neural_style import scales

    built = []
    original = scales.build_feature_extractor

    def counted(*args, **kwargs):
        built.append(args)
        return original(*args, **kwargs)

    scales.build_feature_extractor = counted
    engines = []
    original_engine = scales.Engine

    class Recorded(original_engine):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            engines.append(self)

    scales.Engine = Recorded
    try:
        out = tmp_path_factory.mktemp("batch")
        summary = run_batch([str(p) for p in CONTENTS], STYLES, CONFIG, GRID, out)
    finally:
        scales.build_feature_extractor, scales.Engine = original, original_engine
    return out, summary, tuple(built), tuple(engines)  # what the batch built (a module imported here keeps Recorded)


def test_batch_jobs_give_the_bytes_of_single_runs(local_batch, tmp_path):
    from neural_style import run_transfer
    from neural_style.images import save_image

    out, summary, _, _ = local_batch
    assert [job.status for job in summary.jobs] == ["done"] * 12
    files = outputs(out)
    assert len(files) == 12
    assert "face__the_scream__style_weight=1e3.png" in files
    # One job (photo, painting and grid value all run after others in the batch) as a fresh single
    # run: its own engine, nothing reused. The CLI test below takes another photo, the Ray test two more jobs.
    for job in (summary.jobs[7],):
        content = Path(job.content)
        style = DATA / f"{job.style}.jpg"
        config = TransferConfig(max_size=64, max_iterations=8, style_weight=float(job.params["style_weight"]))
        single = tmp_path / f"{job.name}.png"
        save_image(single, run_transfer(content, [StyleSpec(style)], config).image)
        assert single.read_bytes() == files[f"{job.name}.png"], job.name


def test_a_single_cli_run_writes_the_same_file_as_its_batch_job(local_batch, tmp_path, capfd):
    out, _, _, _ = local_batch
    code, _, err = run_main(["-content_img", str(DATA / "dpst_in1.png"), "-style_imgs", str(DATA / "the_scream.jpg"),
                             "--style_weight", "1e4", *OPTIONS, "-o", str(tmp_path / "single.png"), "-q"], capfd)
    assert code == 0, err
    assert (tmp_path / "single.png").read_bytes() == (out / "dpst_in1__the_scream__style_weight=1e4.png").read_bytes()


def test_one_network_one_trace_per_shape_and_style_targets_once(local_batch):
    _, _, built, engines = local_batch
    (engine,) = engines
    # the extractor for all twelve jobs, and a float32 one for the style targets if the run is bfloat16
    assert len(built) == len(engine._built) <= 2
    graphs = [g for (_, _, g) in engine._built.values() if g.traces]
    assert len(graphs) == 1 and set(graphs[0].traces.values()) == {1}  # each shape and layout traced once
    assert len(graphs[0].traces) == 3  # three photos of three shapes
    # 12 jobs ask for targets 24 times; computed: each photo once, each style once (every photo's
    # longest side is 64 px, so each style is sized the same for all of them).
    assert sum(targets.memo_hits for (_, targets, _) in engine._built.values()) == 24 - (3 + 2)


def test_records_and_the_summary_describe_every_job(local_batch):
    out, summary, _, _ = local_batch
    data = read_summary(out / "batch.json")
    assert data["version"] == 1 and data["counts"] == {"done": 12}
    rows = list(csv.DictReader(io.StringIO((out / "batch.csv").read_text())))
    assert [r["name"] for r in rows] == [job.name for job in summary.jobs]
    for row in rows:
        record = json.loads((out / f"{row['name']}.json").read_text())
        assert record["config"]["style_weight"] == float(row["params"].split("=")[1])
        assert float(row["total"]) == pytest.approx(record["final_loss"]["total"])
        assert float(row["seconds"]) > 0 and float(row["style_loss"]) > 0


def test_an_old_summary_still_reads():
    data = read_summary(DATA / "batch_v1.json")
    assert data["jobs"][0]["status"] == "done" and data["jobs"][0]["params"] == {"style_weight": "1e3"}


def test_killed_with_sigkill_then_run_again_finishes_only_what_is_missing(tmp_path, capfd):
    args = ["--contents", str(CONTENTS[0]), "--style_imgs", *map(str, STYLES), "--grid", GRID, *OPTIONS,
            "--out", str(tmp_path), "-q"]
    proc = subprocess.Popen([sys.executable, "cli.py", "batch", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 500
    while len(list(tmp_path.glob("*__*.json"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*__*.*")}
    finished_jobs = {Path(name).stem for name in finished if name.endswith(".json")}
    assert 2 <= len(finished_jobs) < 4  # one photo: four jobs
    code, out, err = run_main(["batch", *args], capfd)  # run again in this process: the kill was the child's
    assert code == 0 and out == "" and err == ""  # -q: nothing at all
    data = read_summary(tmp_path / "batch.json")
    status = {job["name"]: job["status"] for job in data["jobs"]}
    assert {n for n, s in status.items() if s == "skipped"} == finished_jobs
    assert sum(s == "done" for s in status.values()) == 4 - len(finished_jobs)
    assert {n: t for n, t in ((p.name, p.stat().st_mtime_ns) for p in tmp_path.glob("*__*.*")) if n in finished} == finished
    assert len(list(tmp_path.glob("*.png"))) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_changed_parameter_is_not_taken_for_a_finished_job(local_batch, tmp_path):
    out, _, _, _ = local_batch
    import shutil

    shutil.copytree(out, tmp_path / "out")
    summary = run_batch([str(CONTENTS[1])], [STYLES[0]], TransferConfig(max_size=96, max_iterations=8, tv_weight=1e-2),
                        GRID, tmp_path / "out")
    assert [job.status for job in summary.jobs] == ["done", "done"]
    summary = run_batch([str(CONTENTS[1])], [STYLES[0]], TransferConfig(max_size=96, max_iterations=8, tv_weight=1e-2),
                        GRID, tmp_path / "out")
    assert [job.status for job in summary.jobs] == ["skipped", "skipped"]


def test_a_corrupt_photo_fails_its_jobs_the_others_are_done_exit_1(tmp_path, capfd):
    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes((DATA / "tubingen.jpg").read_bytes()[:3000])
    out = tmp_path / "out"
    code, _, stderr = run_main(["batch", "--contents", str(DATA / "face.jpg"), str(corrupt), "--style_imgs",
                                str(STYLES[0]), "--max_size", "64", "--max_iterations", "3", "--out", str(out)], capfd)
    assert code == 1
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO((out / "batch.csv").read_text()))}
    assert rows["face__starry_night"]["status"] == "done"
    assert rows["broken__starry_night"]["status"] == "failed"
    assert "truncated JPEG" in rows["broken__starry_night"]["error"]
    assert "\n" not in rows["broken__starry_night"]["error"]
    assert "broken__starry_night: failed (" in stderr and "Traceback" not in stderr
    assert not (out / "broken__starry_night.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--grid", "styleweight=1,2"], "grid: 'styleweight' is not an option with one value"),
    (["--grid", "style_weight=-1,2"], "style_weight must be"),
    (["--grid", "style_layers=relu1_1"], "is not an option with one value"),
    (["--contents", "nowhere/*.jpg"], "contents: no images match 'nowhere/*.jpg'"),
    (["--style_imgs", "gone.jpg"], "style_imgs[0]: file not found"),
    (["--style_imgs", "lib:nothing"], "nothing"),
    (["--out", str(DATA / "face.jpg")], "is a file, not a directory"),
])
def test_bad_batch_options_get_one_line_and_exit_2(args, message, tmp_path):
    base = {"--contents": [str(DATA / "face.jpg")], "--style_imgs": [str(STYLES[0])], "--out": [str(tmp_path)]}
    flag = args[0]
    base[flag] = args[1:]
    extra = [] if flag in base else args
    proc = batch_cli(*[a for k, v in base.items() for a in (k, *v)], *extra, "--max_size", "64",
                     env=os.environ | {"NEURAL_STYLE_LIBRARY": str(tmp_path / "lib.sqlite")})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_grid_points_and_contents_expand_in_order(tmp_path):
    assert parse_grid("style_weight=1e3,1e4 content_weight=50,100") == [
        (("style_weight", "1e3"), ("content_weight", "50")), (("style_weight", "1e3"), ("content_weight", "100")),
        (("style_weight", "1e4"), ("content_weight", "50")), (("style_weight", "1e4"), ("content_weight", "100"))]
    assert parse_grid(None) == [()]
    (tmp_path / "b.jpg").write_bytes(b"x")
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert expand_contents([tmp_path, str(tmp_path / "*.jpg")]) == [tmp_path / "a.png", tmp_path / "b.jpg"]


def test_jobs_are_grouped_by_size_among_workers():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class FakeJob:
        name: str
        shape: tuple

    jobs = [FakeJob(f"a{k}", (96, 64)) for k in range(4)] + [FakeJob(f"b{k}", (64, 64)) for k in range(4)]
    groups = size_groups(jobs, 2, lambda job: job.shape)
    assert sorted(len({job.shape for job in g}) for g in groups) == [1, 1]  # one size per worker
    groups = size_groups(jobs[:4], 2, lambda job: job.shape)  # one size, two workers: split
    assert sorted(len(g) for g in groups) == [2, 2]


def test_without_ray_the_option_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(NeuralStyleError, match=r'--ray needs Ray, an optional extra: pip install "neural-style\[ray\]"'):
        run_batch([str(DATA / "face.jpg")], [STYLES[0]], TransferConfig(max_size=64, max_iterations=2), out=tmp_path,
                  ray="auto")


def test_progress_lines_per_job_when_not_a_terminal(tmp_path):
    stream = io.StringIO()
    progress = BatchProgress(1, stream=stream)
    summary = run_batch([str(DATA / "face.jpg")], STYLES, TransferConfig(max_size=64, max_iterations=2), out=tmp_path,
                        listener=progress)
    assert stream.getvalue().splitlines() == [f"[{k + 1}/2] {job.name}: done ({job.seconds:.1f} s)"
                                              for k, job in enumerate(summary.jobs)]


def test_the_same_outputs_on_a_local_two_cpu_ray(local_batch, tmp_path, monkeypatch):
    import ray  # the test install has the ray extra (setup.cfg: test)

    out, _, _, _ = local_batch
    # Ray runs its workers at nice 15: beside the other test workers they got almost no CPU (265 s for
    # what takes 20 s alone). A user's batch has the machine to itself; the suite's does not.
    monkeypatch.setenv("RAY_worker_niceness", "0")

    def leftovers() -> set[Path]:  # the studio's tests, beside this one, make and remove their uploads' folders
        return {p for p in Path(tempfile.gettempdir()).glob("neural-style-*") if not p.name.startswith("neural-style-upload-")}

    before = leftovers()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:  # one photo's two jobs, one on each worker (one image size: size_groups)
        summary = run_batch([str(CONTENTS[1])], STYLES[:1], CONFIG, GRID, tmp_path, ray="auto")
    finally:
        ray.shutdown()
    assert summary.engine == "ray" and [job.status for job in summary.jobs] == ["done"] * 2
    local = outputs(out)
    assert outputs(tmp_path) == {name: local[name] for name in outputs(tmp_path)} and len(outputs(tmp_path)) == 2
    assert leftovers() == before  # the workers' copies of the inputs are gone with their jobs


def test_on_a_terminal_one_line_shows_the_batch_bar_with_eta_and_the_job_bar(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    run_batch([str(DATA / "face.jpg")], STYLES, TransferConfig(max_size=64, max_iterations=3), out=tmp_path,
              listener=BatchProgress(1, stream=stream))
    frames = stream.getvalue().split("\r")
    assert any(f.startswith("batch [") and "0/2 | face__starry_night [" in f and "loss" in f for f in frames)
    assert any(re.search(r"1/2 ETA \d+:\d\d", f) for f in frames)  # after the first job: the second's time
    assert frames[-1].rstrip().endswith("2/2")
