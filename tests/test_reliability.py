"""Bad input gets one line and exit code 2; nothing is lost; loaders never raise anything but our error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import run_main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neural_style import StyleSpec, images, jpeg
from neural_style.errors import NeuralStyleError
from neural_style.segmentation import segmentation_styles

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def make_files(tmp: Path) -> dict[str, Path]:
    """Bad files built from real ones."""
    jpeg, png = (DATA / "tubingen.jpg").read_bytes(), (DATA / "face_mask.png").read_bytes()
    files = {
        "truncated.jpg": jpeg[: len(jpeg) // 3], "truncated.png": png[:700], "empty.jpg": b"",
        "text.png": b"not an image, just text\n", "code.jpg": (ROOT / "tests" / "conftest.py").read_bytes(),
    }
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    black = np.zeros_like(cv2.imread(str(DATA / "tubingen.jpg"), cv2.IMREAD_GRAYSCALE))
    cv2.imwrite(str(tmp / "black_mask.png"), black)
    (tmp / "folder.jpg").mkdir()
    (tmp / "a_file").write_text("x")
    return {name: tmp / name for name in [*files, "black_mask.png", "folder.jpg", "a_file"]}


BASE = ["-content_img", "tubingen.jpg", "-style_imgs", "starry_night.jpg", "-content_img_dir", "tests/data",
        "-style_imgs_dir", "tests/data", "-max_size", "64", "-max_iterations", "2"]

# (case, extra arguments with {tmp} for the temporary folder, expected piece of the one-line message)
BAD_INPUTS = [
    ("missing content", ["-content_img", "nope.jpg"], "content_img: file not found: 'nope.jpg'"),
    ("content is a directory", ["-content_img", "{tmp}/folder.jpg"], "is a directory"),
    ("empty content file", ["-content_img", "{tmp}/empty.jpg"], "file is empty"),
    ("truncated JPEG", ["-content_img", "{tmp}/truncated.jpg"], "truncated JPEG"),
    ("truncated PNG", ["-content_img", "{tmp}/truncated.png"], "corrupt or unsupported"),
    ("text file named .png", ["-content_img", "{tmp}/text.png"], "not an image OpenCV can read"),
    ("Python source named .jpg", ["-style_imgs", "{tmp}/code.jpg"], "style_imgs[1]: not an image"),
    ("missing style", ["-style_imgs", "gone.jpg"], "style_imgs[1]: file not found"),
    ("corrupt style", ["-style_imgs", "starry_night.jpg", "{tmp}/truncated.jpg"], "style_imgs[2]: truncated JPEG"),  # 3rd image
    ("mask count != style count", ["-style_mask", "1", "-style_mask_imgs", "face_mask.png", "face_mask_inv.png"],
     "style_mask_imgs needs one mask per style image: 1 image(s), 2 mask(s)"),
    ("masks without --style_mask", ["-style_mask_imgs", "face_mask.png"], "--style_mask is off"),
    ("all-black mask", ["-style_mask", "true", "-style_mask_imgs", "{tmp}/black_mask.png"], "mask is empty"),
    ("mask of another aspect ratio", ["-style_mask", "-style_mask_imgs", "face_mask.png"],
     "style_mask_imgs[0] is 600x800 (aspect 0.75) but the content image has aspect 1.33: a mask must have its image's"),
    ("segmentation of another aspect ratio", ["-content_seg", "dpst_in1_mask.png", "-style_segs", "dpst_in1_style_mask.png"],
     "content_seg is 700x437 (aspect 1.60) but the content image has aspect 1.33"),
    ("duplicate layers", ["-content_layers", "conv4_2", "block4_conv2"],
     "content_layers lists the layer block4_conv2 more than once (conv4_2, block4_conv2)"),
    ("corrupt mask", ["-style_mask", "-style_mask_imgs", "{tmp}/truncated.png"], "style_mask_imgs[0]: not an image"),
    ("weight count mismatch", ["-style_imgs_weights", "0.5", "0.5"], "needs one weight per style image"),
    ("negative style image weight", ["-style_imgs_weights", "-1"], "style_imgs_weights must be a finite number >= 0"),
    ("NaN weight", ["-style_imgs_weights", "nan"], "Received: style_imgs_weights=nan"),
    ("inf weight", ["-style_imgs_weights", "inf"], "Received: style_imgs_weights=inf"),
    ("all-zero weights", ["-style_imgs", "the_scream.jpg", "-style_imgs_weights", "0", "0"], "must not all be zero"),
    ("negative style weight", ["-style_weight", "-1e4"], "style_weight must be a finite number >= 0"),
    ("zero iterations", ["-max_iterations", "0"], "max_iterations must be a whole number from 1"),
    ("negative iterations", ["-max_iterations", "-5"], "Received: max_iterations=-5"),
    ("unknown style layer", ["-style_layers", "relu1_1", "relu6_1"], "unknown VGG-19 layer 'relu6_1'"),
    ("misspelt content layer", ["-content_layers", "conv4_22"], "did you mean conv4_2"),
    ("layer weight count mismatch", ["-content_layer_weights", "1", "2"], "content_layer_weights needs 1 value"),
    ("unknown optimizer", ["-optimizer", "sgd"], "optimizer must be one of lbfgs, adam. Received: optimizer='sgd'"),
    ("unknown pooling", ["-pooling_type", "median"], "pooling_type must be avg or max"),
    ("unknown colour space", ["-original_colors", "1", "-color_convert_type", "hsv"],
     "color_convert_type must be one of yuv, ycrcb, luv, lab. Received: color_convert_type='hsv'"),
    ("unknown colour transfer", ["-color_transfer", "pca"], "color_transfer must be one of none, linear, histogram"),
    ("unknown init type", ["-init_img_type", "noise"], "init_img_type must be content, random, style or an image path"),
    ("max_size 0", ["-max_size", "0"], "max_size must be a whole number from 16 to 8192. Received: max_size=0"),
    ("absurd max_size", ["-max_size", "100000"], "Received: max_size=100000"),
    ("image too small after sizing", ["-max_size", "20"], "too small; VGG-19 needs at least 32 px"),
    ("noise_ratio above 1", ["-noise_ratio", "2"], "noise_ratio must be between 0 and 1"),
    ("zero learning rate", ["-learning_rate", "0"], "learning_rate must be a finite number > 0"),
    ("output directory is a file", ["-o", "{tmp}/a_file/out.png"], "is a file, not a directory"),
    ("output directory cannot be made", ["-o", "/proc/no_such/out.png"], "cannot be created"),
    ("output equals an input", ["-o", "tests/data/tubingen.jpg"], "is one of the input images"),
    ("unsupported output format", ["-o", "{tmp}/out.gif"], "output must end in .png, .jpg"),
    ("weights file missing", ["-weights", "missing.h5"], "weights must be 'default', 'imagenet' or an existing file"),
    ("segmentation count mismatch", ["-content_seg", "dpst_in1_mask.png", "-style_segs", "dpst_in1_style_mask.png",
                                     "dpst_in1_style_mask.png"], "style_segs needs one segmentation per style image"),
    ("style_segs without content_seg", ["-style_segs", "dpst_in1_style_mask.png"], "need a --content_seg"),
    ("photo as content_seg", ["-content_seg", "tubingen.jpg", "-style_segs", "starry_night.jpg"],
     "content_seg: not a segmentation: only 41% of its pixels lie in flat colour regions"),
    ("painting as style_segs", ["-content_img", "dpst_in1.png", "-content_seg", "dpst_in1_mask.png",
                                "-style_segs", "starry_night.jpg"],
     "style_segs[0]: not a segmentation"),
    ("not a number", ["-style_weight", "lots"], "'lots' is not a valid float"),
    ("unknown style normalization", ["--style_normalization", "l2"], "style_normalization must be gatys or relative"),
    ("unknown option (typo)", ["-styel_imgs", "x.jpg"], "No such option '--styel_imgs'. (Did you mean one of: '--style_imgs'"),
]


@pytest.mark.parametrize("case, extra, message", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_one_line_and_exit_code_2(tmp_path, capfd, monkeypatch, case, extra, message):
    """In this process (the command's own handling; tests/test_planner.py and tests/test_tiling.py see
    exit 2 and one line from a fresh process too)."""
    make_files(tmp_path)
    monkeypatch.chdir(ROOT)  # BASE names its folders from the repository root
    before = {p: p.stat().st_mtime_ns for p in DATA.iterdir()}
    args = BASE + ["-o", str(tmp_path / "out.png")] + [a.replace("{tmp}", str(tmp_path)) for a in extra]
    code, _, err = run_main(args, capfd)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("neural-style: error: "), err
    assert message in lines[0]
    assert not list(tmp_path.glob("out*"))
    assert {p: p.stat().st_mtime_ns for p in DATA.iterdir()} == before  # no input touched


def test_at_least_25_bad_inputs_are_covered():
    assert len(BAD_INPUTS) >= 25


def as_at_a_terminal() -> None:
    """In the child, before it starts: SIGINT as a terminal's Ctrl-C finds it. A suite started in the
    background (``pytest &``) passes SIGINT on ignored, and Python then installs no KeyboardInterrupt
    handler, so the run would not see the signal the test sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_the_command_stops_alike_on_either_signal_and_exits_128_plus_it():
    """SIGINT and SIGTERM reach one handler (below, each is sent to a real run once): the first sets the
    cancel token, a second raises at once; the exit code is 128 + the signal that came."""
    from neural_style.cancel import CancelToken
    from neural_style.terminal import StopSignal

    for signum, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        token = CancelToken()
        stop = StopSignal(token)
        stop(signum, None)
        assert token.cancelled and stop.exit_code == code
        with pytest.raises(KeyboardInterrupt):
            stop(signum, None)
    with pytest.raises(KeyboardInterrupt):  # 'styles': nothing watches a token
        StopSignal(CancelToken(), raise_at_once=True)(signal.SIGTERM, None)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130)])
def test_a_signal_saves_the_best_image_and_its_record(tmp_path, signum, code):
    """Ctrl-C at iteration 5: image, record and earlier snapshots are kept; exit 128 + signal."""
    out = tmp_path / "stopped.png"
    args = BASE + ["-max_iterations", "500", "-o", str(out), "--verbose", "--print_iterations", "1",
                   "--save_iterations", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "cli.py", *args], cwd=ROOT, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=as_at_a_terminal)
    for line in proc.stderr:
        if line.startswith("iteration 5/"):
            proc.send_signal(signum)
            break
    proc.stderr.read()
    assert proc.wait(timeout=120) == code
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["stop_reason"] == "interrupted" and 5 <= record["iterations"] < 500
    assert cv2.imread(str(out)).shape == (48, 64, 3)
    snapshots = sorted(p.name for p in tmp_path.glob("stopped_iter*.png"))
    assert snapshots[:2] == ["stopped_iter00002.png", "stopped_iter00004.png"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_fifty_megapixel_jpeg_is_decoded_reduced(tmp_path):
    """A 50 MP photo loaded for a 512 px run never exists at full size in memory."""
    photo = cv2.imread(str(DATA / "tubingen.jpg"))
    big = cv2.resize(photo, (8192, 6144), interpolation=cv2.INTER_CUBIC)  # 50.3 megapixels
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    del big
    assert jpeg.frame_size(path.read_bytes()) == (8192, 6144)
    tracemalloc.start()
    image = images.load_image(path, "content_img", longest=512)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert image.shape == (768, 1024, 3)  # decoded at 1/8, still >= 512
    full_rgb_bytes = 8192 * 6144 * 3
    print(f"peak traced memory {peak / 2**20:.1f} MiB")
    assert peak < full_rgb_bytes / 4, peak  # a full decode alone would be 151 MB (uint8), 604 MB as float32


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=2048), prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]))
def test_random_bytes_load_or_raise_our_error(tmp_path, data, prefix):
    path = tmp_path / "random.img"
    path.write_bytes(prefix + data)
    for load in (images.load_image, images.load_mask):
        try:
            out = load(path)
        except NeuralStyleError:
            continue
        assert out.dtype == np.float32 and np.all(np.isfinite(out))


@settings(max_examples=40, deadline=None)
@given(array=hnp.arrays(dtype=st.sampled_from([np.uint8, np.float32, np.float64, np.int16]),
                        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6)))
def test_random_arrays_load_or_raise_our_error(array):
    try:
        rgb = images.as_rgb_array(array)
    except NeuralStyleError:
        pass
    else:
        assert rgb.shape[2] == 3 and rgb.min() >= 0 and rgb.max() <= 255
    try:
        specs, regions = segmentation_styles(array, [StyleSpec("a.jpg")], [array])
    except NeuralStyleError:
        pass
    else:
        assert len(specs) == len(regions) >= 1 and all(s.mask.shape == specs[0].mask.shape for s in specs)


INTERRUPT_DURING_TARGETS = """
import os, signal, sys
from neural_style import objective
from neural_style.cli import main

calls, features = [], objective.TargetPass.features

def hooked(self, image, layers):  # the hook: the signal arrives while scale 2 computes its targets
    calls.append(image.shape)
    if len(calls) == 2:
        os.kill(os.getpid(), int(sys.argv[1]))
    return features(self, image, layers)

objective.TargetPass.features = hooked
main(sys.argv[2:])
"""


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143)])
def test_a_signal_between_scales_saves_the_finished_scale(tmp_path, signum, code):
    """SIGTERM (as a service manager or a batch scheduler sends it) while the second scale's targets are computed (timed by a hook, not a sleep):
    the first scale's image is saved, enlarged to the output size, with its record; exit 128 + signal."""
    out = tmp_path / "between.png"
    args = BASE + ["-max_size", "96", "--scales", "2", "--min_scale_side", "32", "-max_iterations", "12", "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", INTERRUPT_DURING_TARGETS, str(int(signum)), *args], cwd=ROOT,
                          preexec_fn=as_at_a_terminal,
                          capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == code, proc.stderr
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["stop_reason"] == "interrupted" and record["iterations"] == 9  # 12 split 3:1
    assert [s["size"] for s in record["scales"]] == [48]
    assert cv2.imread(str(out)).shape == (72, 96, 3)


def test_no_earlier_output_record_or_snapshot_is_replaced(tmp_path, capfd, monkeypatch):
    """-o out.jpg then -o out.png share a record name; snapshots share their names too."""
    monkeypatch.chdir(ROOT)  # BASE names its folders from the repository root
    args = BASE + ["-max_iterations", "2", "-q"]
    code, _, err = run_main(args + ["-o", str(tmp_path / "out.jpg")], capfd)
    assert code == 0, err
    record = (tmp_path / "out.json").read_bytes()
    code, _, err = run_main(args + ["-o", str(tmp_path / "out.png")], capfd)
    assert code == 0, err
    assert (tmp_path / "out.json").read_bytes() == record  # kept; the second run took out-1
    assert (tmp_path / "out-1.png").exists() and (tmp_path / "out-1.json").exists()
    (tmp_path / "shot_iter00001.png").write_bytes(b"an earlier run's snapshot")
    code, _, err = run_main(args + ["-o", str(tmp_path / "shot.png"), "--save_iterations", "1"], capfd)
    assert code == 0, err
    assert (tmp_path / "shot_iter00001.png").read_bytes() == b"an earlier run's snapshot"
    assert (tmp_path / "shot-1_iter00001.png").exists() and (tmp_path / "shot-1.png").exists()
