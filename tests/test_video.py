"""``neural-style video`` on cuts of the shared clips (tests/data: 12 frames of Big Buck Bunny at
160x90 with its 5.1 AAC audio, and of the carphone sequence at 176x144, 29.97 fps): the optical flow
and Ruder et al.'s consistency weights, the temporal term's effect, the MP4 it writes, a kill -9
mid-clip, Ctrl-C, and bad input."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import DATA, run_main

from neural_style import flow, images, video_io
from neural_style.cancel import CancelToken
from neural_style.config import StyleSpec, TransferConfig
from neural_style.terminal import VideoProgress
from neural_style.video import VideoConfig, VideoListener, stylise_video

ROOT = Path(__file__).resolve().parent.parent
BUNNY, CARPHONE = DATA / "bigbuckbunny_12.mp4", DATA / "carphone_12.mp4"
STARRY = DATA / "starry_night.jpg"
CONFIG = TransferConfig(max_size=64, precision="float32")
VIDEO = VideoConfig(end_frame=3, first_frame_iterations=30, frame_iterations=10)
"""Three frames at 64 px: the first with 30 iterations, the others with 10 each."""


def photos(clip: Path, count: int, shape: tuple[int, int] | None = None) -> list[np.ndarray]:
    info = video_io.probe(clip)
    frames = list(video_io.read_frames(info, 0, count))
    return frames if shape is None else [images.resize_to(f, *shape) for f in frames]


def written(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("frame_*.png"))}


def test_the_flow_finds_a_known_motion_and_the_weights_mark_what_came_into_view():
    """A real frame, and the same frame with its content moved 3 px right and 2 px down (a crop of a
    larger one): the backward flow is (-3, -2) inside, warping the first frame by it gives the second,
    and the strips that came into view at the left and top are marked unreliable."""
    (frame,) = photos(CARPHONE, 1)
    before, after = frame[10:130, 10:160], frame[8:128, 7:157]  # after(p) = before(p - (3, 2))
    for method in ("dis_medium", "farneback"):
        backward = flow.compute_flow(after, before, method)
        forward = flow.compute_flow(before, after, method)
        inside = (slice(20, -20), slice(20, -20))
        assert np.median(backward[inside][..., 0]) == pytest.approx(-3, abs=0.25), method
        assert np.median(backward[inside][..., 1]) == pytest.approx(-2, abs=0.25), method
        weights = flow.consistency(forward, backward)
        assert weights[inside].mean() > 0.9, method
        error = np.abs(flow.warp(before, backward)[inside] - after[inside]).mean()
        assert error < 0.2 * np.abs(before[inside] - after[inside]).mean(), method


def test_the_consistency_weights_follow_ruder_et_al():
    """Hand-made flows: where the forward flow carried back by the backward flow cancels it, weight 1;
    where it does not (|w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5), 0; on a step in the backward flow
    (a motion boundary), 0."""
    shape = (40, 40, 2)
    backward, forward = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    backward[..., 0], forward[..., 0] = -2.0, 2.0  # everything moved 2 px right
    assert flow.consistency(forward, backward)[5:-5, 5:-5].min() == 1.0
    forward[10:20, 10:20, 0] = 0.5  # here the forward flow does not come back: |2 - 0.5 + ...| > 0.5
    weights = flow.consistency(forward, backward)
    assert weights[13:17, 14:18].max() == 0.0 and weights[30:35, 30:35].min() == 1.0
    step = np.zeros(shape, np.float32)
    step[:, 20:, 0] = -3.0  # the right half moved, the left did not
    weights = flow.consistency(-step, step)
    assert weights[:, 19:21].max() == 0.0 and weights[:, 5:15].min() == 1.0 and weights[:, 26:35].min() == 1.0


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def bunny_run(tmp_path_factory, engine):
    """Three frames of Big Buck Bunny, the video mode, frames kept, its progress line drawn as on a
    terminal (``out / "terminal.txt"``)."""
    out = tmp_path_factory.mktemp("bunny")
    terminal = Terminal()
    result = stylise_video(BUNNY, [StyleSpec(STARRY)], CONFIG, VIDEO, out / "bunny.mp4", out / "frames",
                           VideoProgress(1, stream=terminal), engine=engine)
    (out / "terminal.txt").write_bytes(terminal.getvalue().encode())
    return out, result


def test_one_line_shows_the_frames_bar_with_an_eta_from_the_later_frames_and_the_frames_own_bar(bunny_run):
    out, result = bunny_run
    shown = (out / "terminal.txt").read_bytes().decode().split("\r")  # bytes: read_text() makes \r a newline
    assert any(f.startswith("video [") and "0/3 | frame 1 [" in f and "loss" in f for f in shown)
    assert not any("1/3 ETA" in f for f in shown)  # the first frame runs a still's iterations: no rate from it
    minutes, seconds = divmod(round(result.frames[1]["seconds"]), 60)
    assert any(f"2/3 ETA {minutes}:{seconds:02d}" in f for f in shown)  # one frame left, at the second's pace
    assert shown[-1].rstrip().endswith("3/3")


def test_the_mp4_has_the_clips_frame_rate_and_audio_and_a_record(bunny_run):
    out, result = bunny_run
    info = video_io.probe(out / "bunny.mp4")
    assert info.frames == 3 and info.fps == 25 and info.audio and info.size == (64, 36)
    streams = subprocess.run([video_io.ffmpeg(), "-hide_banner", "-i", str(out / "bunny.mp4")], check=False, capture_output=True,
                             text=True).stderr
    assert "Video: h264" in streams and "Audio: aac" in streams and "5.1" in streams
    record = json.loads((out / "bunny.json").read_text())
    assert [f["frame"] for f in record["frames"]] == [1, 2, 3] and record["flow"] == "dis_medium"
    assert [f["iterations"] for f in record["frames"]] == [30, 10, 10]
    assert all("temporal" in f["loss"] and 0 <= f["reliable"] <= 1 for f in record["frames"][1:])
    assert sorted(written(out / "frames")) == [f"frame_{k:05d}.png" for k in range(1, 4)]
    assert not result.interrupted


def test_the_temporal_term_and_the_warped_start_keep_frames_consistent(bunny_run, tmp_path, engine):
    """The same three frames each stylised on its own (from its photo, 20 iterations each; fewer than
    the video's frames get, which only makes them steadier): the video mode's warping error, measured
    with Farneback's flow (the package uses DIS), is well under it (measured: 33 against 123; 163 with
    30 iterations each)."""
    out, _ = bunny_run
    alone = VideoConfig(end_frame=3, first_frame_iterations=20, frame_iterations=20, init_frame_type="content",
                        temporal_weight=0.0)
    stylise_video(BUNNY, [StyleSpec(STARRY)], CONFIG, alone, tmp_path / "alone.mp4", tmp_path / "frames", engine=engine)
    errors = {}
    for name, folder in (("video", out / "frames"), ("alone", tmp_path / "frames")):
        outputs = [images.load_image(folder / name) for name in sorted(written(folder))]
        content = photos(BUNNY, 3, outputs[0].shape[:2])
        pairs = []
        for k in range(1, 3):
            backward = flow.compute_flow(content[k], content[k - 1], "farneback")
            weights = flow.consistency(flow.compute_flow(content[k - 1], content[k], "farneback"), backward)
            pairs.append(flow.warping_error(outputs[k - 1], outputs[k], backward, weights))
        errors[name] = float(np.mean(pairs))
    print(errors)
    assert errors["video"] < 0.5 * errors["alone"]


class CancelAfter(VideoListener):
    def __init__(self, cancel: CancelToken, frames: int) -> None:
        self.cancel, self.frames, self.seen = cancel, frames, 0

    def frame_finished(self, entry: dict) -> None:
        self.seen += 1
        if self.seen == self.frames:
            self.cancel.cancel()


def test_cancelled_it_keeps_the_frames_done_writes_their_video_and_the_next_run_goes_on(bunny_run, tmp_path, engine):
    """Cancelled after the first frame: a playable one-frame MP4 and the frame kept; the same call
    again stylises the other two, each frame to the uninterrupted run's loss, and removes its frames
    folder."""
    _, uninterrupted = bunny_run
    cancel = CancelToken()
    result = stylise_video(BUNNY, [StyleSpec(STARRY)], CONFIG, VIDEO, tmp_path / "b.mp4", None, CancelAfter(cancel, 1),
                           cancel, engine=engine)
    assert result.interrupted and video_io.probe(tmp_path / "b.mp4").frames == 1
    assert len(written(tmp_path / "b.frames")) == 1
    result = stylise_video(BUNNY, [StyleSpec(STARRY)], CONFIG, VIDEO, tmp_path / "b.mp4", engine=engine)
    assert not result.interrupted and video_io.probe(tmp_path / "b.mp4").frames == 3
    assert not (tmp_path / "b.frames").exists()  # a frames folder of its own is removed once the video is written
    assert [f["loss"] for f in result.frames] == [f["loss"] for f in uninterrupted.frames]


def test_kill_9_mid_clip_then_the_same_command_gives_the_same_frames(bunny_run, tmp_path, capfd):
    """The command in its own process, killed once the first frame is written; the same command again
    writes the rest, and every frame has the bytes of the uninterrupted run's (made through the API)."""
    out, _ = bunny_run
    args = ["video", "--content_video", str(BUNNY), "--style_imgs", str(STARRY), "--max_size", "64", "--precision",
            "float32", "--end_frame", "3", "--first_frame_iterations", "30", "--frame_iterations", "10", "-q",
            "-o", str(tmp_path / "k.mp4"), "--frames_dir", str(tmp_path / "k")]
    proc = subprocess.Popen([sys.executable, "cli.py", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if json.loads((tmp_path / "k" / "video.json").read_text())["frames"]:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "k.mp4").exists() and 1 <= len(written(tmp_path / "k")) < 3
    code, _, err = run_main(args, capfd)
    assert code == 0, err
    assert written(tmp_path / "k") == written(out / "frames")
    assert video_io.probe(tmp_path / "k.mp4").frames == 3


def test_a_folder_of_jpeg_frames_from_the_command_line_becomes_a_video_at_25_fps(tmp_path, capfd):
    """Three carphone frames saved as JPEG quality 80 (as a phone or an editor exports them), through
    the command: a video of three frames at the folder rate, its record naming the folder."""
    folder = tmp_path / "frames in"
    folder.mkdir()
    for k, frame in enumerate(photos(CARPHONE, 3), start=1):
        cv2.imwrite(str(folder / f"shot {k}.jpg"), images.to_uint8(frame)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
    code, _, err = run_main(["video", "--content_video", str(folder), "--style_imgs", str(STARRY), "-o",
                             str(tmp_path / "out.mp4"), "--max_size", "64", "--first_frame_iterations", "3",
                             "--frame_iterations", "2", "--precision", "float32", "-q"], capfd)
    assert code == 0 and err == "", err
    out = video_io.probe(tmp_path / "out.mp4")
    assert (out.frames, out.fps, out.audio) == (3, video_io.FOLDER_FPS, False)
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["video"] == str(folder) and [f["iterations"] for f in record["frames"]] == [3, 2, 2]


def test_an_ntsc_rate_is_kept_and_non_square_pixels_are_shown_as_wide(tmp_path):
    """The carphone cut is 29.97 fps (30000/1001 exactly) and stores CIF's 176x144 with 128:117 pixels,
    shown 4:3: its frames are stylised at 64x48 square pixels, and written back at 30000/1001."""
    info = video_io.probe(CARPHONE)
    assert info.fps == Fraction(30000, 1001) and info.sar == "128:117" and not info.audio
    shape = video_io.frame_size(info.display_size, 64)
    assert shape == (48, 64)
    for k, frame in enumerate(photos(CARPHONE, 3, shape), start=1):
        images.save_image(tmp_path / video_io.FRAME_NAME.format(k), images.to_uint8(frame))
    video_io.encode(tmp_path, 1, 3, tmp_path / "out.mp4", info)
    out = video_io.probe(tmp_path / "out.mp4")
    assert (out.frames, out.fps, out.size, out.sar) == (3, Fraction(30000, 1001), (64, 48), "1:1")


def test_a_mask_folder_gives_each_frame_its_own_mask_and_an_empty_one_leaves_its_frame_unstyled(tmp_path, engine):
    """One mask per frame (white: the painting applies): the left half for frame 1, the right half for
    frame 2, none for frame 3 (what the mask follows has left the picture). Each frame on its own (from
    its photo, no temporal term), so that only the masks differ: the half under the mask moves away from
    the photo, the other half hardly; frame 3 is its photo, and the record says why."""
    masks = tmp_path / "masks"
    masks.mkdir()
    for k in range(12):  # the clip's twelve frames, at its 160x90
        mask = np.zeros((90, 160, 3), np.uint8)
        if k == 0:
            mask[:, :80] = 255
        elif k == 1:
            mask[:, 80:] = 255
        images.save_image(masks / f"mask_{k:02d}.png", mask)
    video = VideoConfig(end_frame=3, first_frame_iterations=10, frame_iterations=10, init_frame_type="content",
                        temporal_weight=0.0)
    result = stylise_video(BUNNY, [StyleSpec(STARRY, mask=masks)], CONFIG, video, tmp_path / "m.mp4",
                           tmp_path / "frames", engine=engine)
    outputs = [images.load_image(tmp_path / "frames" / name) for name in sorted(written(tmp_path / "frames"))]
    originals = photos(BUNNY, 3, outputs[0].shape[:2])
    moved = [np.abs(o - p).mean(axis=(0, 2)) for o, p in zip(outputs, originals, strict=True)]
    halves = [(m[:28].mean(), m[36:].mean()) for m in moved]  # columns of the 64 px frame, the seam left out
    print(halves)
    assert halves[0][0] > 2 * halves[0][1] and halves[1][1] > 2 * halves[1][0]
    assert np.array_equal(outputs[2], images.to_uint8(originals[2]))
    assert [(f.get("empty_masks"), f["stop_reason"], f["iterations"]) for f in result.frames] == [
        (None, "completed", 10), (None, "completed", 10), ([0], "no_region", 0)]


def test_a_segmentation_folder_gives_each_frame_its_own_regions(tmp_path, engine):
    """The painting's top half (its sky) labelled black and its bottom half (the village) white; the
    frames' segmentation a folder with the halves the other way round from frame 2 on. Each frame on
    its own (no temporal term), so frame 2 must be the still of its photo with its own segmentation,
    not with frame 1's."""
    from neural_style import run_transfer
    from neural_style.request import Segmentation
    from neural_style.segmentation import segmentation_styles

    painting = images.load_image(STARRY)
    style_seg = np.zeros(painting.shape, np.uint8)
    style_seg[painting.shape[0] // 2:] = 255
    images.save_image(tmp_path / "style_seg.png", style_seg)
    (tmp_path / "segs").mkdir()
    for k in range(12):  # the clip's twelve frames, at its 160x90
        seg = np.zeros((90, 160, 3), np.uint8)
        seg[:, 80:] = 255
        images.save_image(tmp_path / "segs" / f"seg_{k:02d}.png", seg if k == 0 else 255 - seg)
    video = VideoConfig(end_frame=2, first_frame_iterations=10, frame_iterations=10, init_frame_type="content",
                        temporal_weight=0.0)
    stylise_video(BUNNY, [StyleSpec(STARRY)], CONFIG, video, tmp_path / "s.mp4", tmp_path / "frames", engine=engine,
                  segmentation=Segmentation(tmp_path / "segs", (tmp_path / "style_seg.png",)))
    second = images.load_image(tmp_path / "frames" / video_io.FRAME_NAME.format(2))
    photo = photos(BUNNY, 2, second.shape[:2])[1]
    stills = []
    for seg in ("seg_01.png", "seg_00.png"):  # its own, the first frame's
        specs, _ = segmentation_styles(tmp_path / "segs" / seg, [StyleSpec(STARRY)], [tmp_path / "style_seg.png"], 64)
        stills.append(run_transfer(photo, specs, replace(CONFIG, max_iterations=10), engine=engine).image)
    own, first = (np.abs(second - still.astype(np.float32)).mean() for still in stills)
    print(f"frame 2 against the still with its own segmentation {own:.2f}, with frame 1's {first:.2f}")
    assert own < 1.0 and first > 5.0


@pytest.fixture(scope="module")
def bad_clips(tmp_path_factory) -> Path:
    """Real files that are not usable clips: a photo saved as .mp4, a text file, the bunny's audio
    alone, an empty folder, a folder of two photos of different sizes."""
    folder = tmp_path_factory.mktemp("bad")
    (folder / "photo.mp4").write_bytes((DATA / "face.jpg").read_bytes())
    (folder / "notes.mp4").write_text("not a video\n")
    subprocess.run([video_io.ffmpeg(), "-v", "error", "-i", str(BUNNY), "-vn", "-c:a", "copy", str(folder / "audio.mp4")],
                   check=True)
    (folder / "empty").mkdir()
    (folder / "mixed").mkdir()
    (folder / "mixed" / "a.jpg").write_bytes((DATA / "face.jpg").read_bytes())
    (folder / "mixed" / "b.jpg").write_bytes((DATA / "tubingen.jpg").read_bytes())
    (folder / "masks").mkdir()  # two masks for a twelve-frame clip
    for name in ("a.png", "b.png"):
        (folder / "masks" / name).write_bytes((DATA / "face_mask.png").read_bytes())
    return folder


@pytest.mark.parametrize("clip, extra, message", [
    ("photo.mp4", [], "is a still image"),
    ("notes.mp4", [], "is not a video ffmpeg can read"),
    ("audio.mp4", [], "has no video stream"),
    ("empty", [], "holds no frames"),
    ("mixed", [], "frame 'b.jpg' is 1024x768, frame 'a.jpg' 600x800; a folder's frames need one size"),
    ("missing.mp4", [], "not found"),
    (str(CARPHONE), ["--start_frame", "13"], "start_frame 13 lies beyond the clip"),
    (str(CARPHONE), ["--end_frame", "2", "--start_frame", "3"], "end_frame must be a whole number from start_frame (3)"),
    (str(CARPHONE), ["--temporal_weight", "-1"], "temporal_weight must be a finite number >= 0"),
    (str(CARPHONE), ["--flow", "deepflow"], "flow must be one of dis_medium"),
    (str(CARPHONE), ["-o", "/proc/forbidden/out.mp4"], "cannot be created"),
    (str(CARPHONE), ["-o", "out.avi"], "output must end in .mp4"),
    (str(CARPHONE), ["--style_mask", "--style_mask_imgs", "masks"], "holds 2 masks and the clip 12 frames"),
    (str(CARPHONE), ["--content_seg", "masks", "--style_segs", str(DATA / "face_mask.png")],
     "holds 2 segmentations and the clip 12 frames"),
    (str(CARPHONE), ["--content_seg", "masks"], "style_segs needs one segmentation per style image file (or auto): 1 file(s), 0"),
    (str(CARPHONE), ["--content_seg", "auto"], "automatic regions are for stills"),
])
def test_bad_input_is_one_line_and_exit_2_and_nothing_is_written(bad_clips, tmp_path, clip, extra, message, capfd,
                                                                   monkeypatch):
    """In this process (each is refused before TensorFlow is imported: what a fresh process would add
    is tested for the still, tests/test_cli.py)."""
    monkeypatch.chdir(tmp_path)
    output = ["-o", str(tmp_path / "out.mp4")] if "-o" not in extra else []
    extra = [str(bad_clips / e) if e == "masks" else e for e in extra]
    code, _, err = run_main(["video", "--content_video", str(bad_clips / clip), "--style_imgs", str(STARRY), *output,
                             *extra], capfd)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neural-style: error:") and message in lines[0], err
    assert list(tmp_path.iterdir()) == []
