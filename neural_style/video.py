"""A clip stylised frame by frame with temporal consistency (Ruder, Dosovitskiy & Brox, "Artistic style
transfer for videos", GCPR 2016): the first frame as a still, every later frame started from the
previous stylised frame warped onto it by the optical flow and tied to it by the temporal term
(:class:`~neural_style.terms.TemporalTerm`) where the flow can be trusted (:mod:`neural_style.flow`).

One network and one set of style targets serve the whole clip (one :class:`~neural_style.scales.Engine`,
targets kept across frames); each frame is a run of the application layer (:mod:`neural_style.runs`)
with the same listener and cancel token as a still. Each finished frame is written at once, atomically,
to the frames folder with its entry in ``video.json`` there: the same command after a kill continues
from the first frame not written, and gives the same frames, since a frame depends only on its
photo, the photo before it and the previous frame *as written* (uint8).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from neural_style import flow, images, masks, video_io
from neural_style.cancel import Cancelled, CancelToken
from neural_style.config import (
    StyleSpec,
    TransferConfig,
    check_choice,
    check_number,
    check_whole,
)
from neural_style.errors import NeuralStyleError
from neural_style.listeners import Listener
from neural_style.outputs import versions, write_record
from neural_style.request import Request, Segmentation

if TYPE_CHECKING:  # TensorFlow: imported when a clip runs, not for the command's option checks
    from neural_style.scales import Engine

FIRST_FRAME_TYPES = ("content", "random", "style")
INIT_FRAME_TYPES = ("prev_warped", "prev", "content", "random", "style")
RECORD_VERSION = 1


@dataclass(frozen=True)
class VideoConfig:
    """How a clip is stylised, beside the still's :class:`~neural_style.config.TransferConfig` (which
    the first frame runs as it is, and later frames with ``frame_iterations`` at one scale).

    Frames are numbered from 1, as in neural-style-tf: ``start_frame`` .. ``end_frame`` (None: the
    last). ``first_frame_type``: how the first frame starts; ``init_frame_type``: how each later
    one starts (``prev_warped``: the previous stylised frame warped by the flow, Ruder et al.'s
    choice; on a scene cut, :data:`flow.SCENE_CUT_SHARE`, a frame starts from its photo instead).
    ``first_frame_iterations``: None for the still's ``max_iterations``. ``temporal_weight``:
    ``gamma`` of the temporal term (losses, "Video"; 0: none). ``flow``: :data:`flow.FLOW_METHODS`.
    """

    start_frame: int = 1
    end_frame: int | None = None
    first_frame_type: str = "content"
    init_frame_type: str = "prev_warped"
    first_frame_iterations: int | None = None
    frame_iterations: int = 20
    """Iterations of each frame after the first (bench/results/video.md, "How many iterations")."""
    temporal_weight: float = 1e7
    """``gamma`` (bench/results/video.md, "The temporal weight")."""
    flow: str = flow.DEFAULT_FLOW

    def __post_init__(self) -> None:
        check_whole("start_frame", self.start_frame, 1, 10**9)
        if self.end_frame is not None and (isinstance(self.end_frame, bool) or not isinstance(self.end_frame, int)
                                           or self.end_frame < self.start_frame):
            raise NeuralStyleError(f"end_frame must be a whole number from start_frame ({self.start_frame}). "
                                   f"Received: end_frame={self.end_frame!r}")
        check_choice("first_frame_type", self.first_frame_type, FIRST_FRAME_TYPES)
        check_choice("init_frame_type", self.init_frame_type, INIT_FRAME_TYPES)
        for name in ("first_frame_iterations", "frame_iterations"):
            if getattr(self, name) is not None:
                check_whole(name, getattr(self, name), 1, 10**7)
        check_number("temporal_weight", self.temporal_weight)
        check_choice("flow", self.flow, flow.FLOW_METHODS)


class VideoListener(Listener):
    """A clip's events: a run's (steps and notes of the current frame) and, around them, each frame's
    start and end."""

    def video_started(self, frames: int, done: int) -> None:
        """``frames`` in the clip, ``done`` of them already written (a resumed clip)."""

    def frame_started(self, number: int, iterations: int) -> None:
        """Frame ``number`` (from 1) starts with ``iterations``."""

    def frame_finished(self, entry: dict) -> None:
        """A frame was written; ``entry`` is its line of the record."""


@dataclass(frozen=True)
class VideoResult:
    """What a clip run did: the ``frames`` written (entries, in order, resumed ones included), whether
    it was ``interrupted``, and the record written beside the output."""

    frames: tuple[dict, ...]
    interrupted: bool
    record: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _frame_files(source: object, what: str, noun: str, info: video_io.VideoInfo) -> list[Path] | None:
    """The files of ``source`` when it is a folder of one ``noun`` per frame of the clip (in name
    order), None when it is not a folder; one line if the count is not the clip's."""
    if not (isinstance(source, str | Path) and Path(source).is_dir()):
        return None
    files = video_io.folder_frames(Path(source))
    if len(files) != info.frames:
        raise NeuralStyleError(f"{what}: the folder {str(source)!r} holds {len(files)} {noun}s and the clip "
                               f"{info.frames} frames; a folder of {noun}s has one {noun} per frame")
    return files


def mask_folders(specs: Sequence[StyleSpec], info: video_io.VideoInfo) -> dict[int, list[Path]]:
    """``{style index: mask files}`` for the styles whose mask is a folder of one mask per frame."""
    found = {k: _frame_files(s.mask, f"style_mask_imgs[{k}]", "mask", info) for k, s in enumerate(specs)}
    return {k: files for k, files in found.items() if files is not None}


def segmentation_folder(segmentation: Segmentation | None, info: video_io.VideoInfo) -> list[Path] | None:
    """The content segmentations, one per frame, when ``segmentation.content`` is a folder (the style
    segmentations belong to the paintings: one each, for every frame)."""
    return None if segmentation is None else _frame_files(segmentation.content, "content_seg", "segmentation", info)


def _frame_specs(specs: Sequence[StyleSpec], folders: dict[int, list[Path]], number: int,
                 shape: tuple[int, int]) -> tuple[tuple[StyleSpec, ...], list[int]]:
    """The styles of frame ``number`` (from 1), each mask folder's mask of that frame read at the frame's
    ``shape``, and the indices of the styles left out because their mask is empty in this frame (what
    the mask follows has left the picture: not an error in a clip, as it is for a still)."""
    kept, empty = [], []
    for k, spec in enumerate(specs):
        if k in folders:
            mask = masks.fit_mask(folders[k][number - 1], shape, f"style_mask_imgs[{k}] frame {number}", "the clip")
            if masks.mask_is_empty(mask):
                empty.append(k)
                continue
            spec = replace(spec, mask=mask)
        kept.append(spec)
    return tuple(kept), empty


def _identity(info: video_io.VideoInfo, specs: Sequence[StyleSpec], segmentation: Segmentation | None,
              config: TransferConfig, video: VideoConfig) -> dict:
    """What a resumed clip must share with the frames already written: inputs (and their bytes) and settings."""
    sources = [info.path] if not info.is_folder else video_io.folder_frames(info.path)
    styles = [{"image": str(s.image), "weight": s.weight, "mask": None if s.mask is None else str(s.mask)} for s in specs]
    files = [Path(s.image) for s in specs if isinstance(s.image, str | Path)]
    for folder in mask_folders(specs, info).values():
        files += folder
    segs = None
    if segmentation is not None:
        segs = [str(segmentation.content), *map(str, segmentation.styles)]
        files += segmentation_folder(segmentation, info) or [Path(segmentation.content)]
        files += [Path(p) for p in segmentation.styles]
    settings = asdict(video) | {"end_frame": None}  # a clip may be lengthened: the frames before stay right
    return json.loads(json.dumps({
        "video": str(info.path), "styles": styles, "segmentations": segs, "config": asdict(config),
        "video_config": settings, "inputs": {str(p): _sha256(p) for p in [*sources, *files]},
    }, default=str))


def frame_range(info: video_io.VideoInfo, video: VideoConfig) -> tuple[int, int]:
    """``(first frame number, count)`` of the frames to stylise; one line if the range lies outside the clip."""
    last = info.frames if video.end_frame is None else video.end_frame
    for name, value in (("start_frame", video.start_frame), ("end_frame", last)):
        if value > info.frames:
            raise NeuralStyleError(f"{name} {value} lies beyond the clip {str(info.path)!r}, which has {info.frames} frames")
    return video.start_frame, last - video.start_frame + 1


def _read_progress(folder: Path, identity: dict) -> list[dict]:
    """The entries of the frames already written to ``folder`` by the same clip run (none if new)."""
    path = folder / "video.json"
    if not path.exists():
        if any(folder.glob("frame_*.png")):
            raise NeuralStyleError(f"the frames folder {str(folder)!r} holds frames of an unknown run; "
                                   "choose another --frames_dir or remove it")
        return []
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        raise NeuralStyleError(f"the frames folder's record {str(path)!r} cannot be read; remove the folder "
                               "to start again") from None
    for key in ("video", "styles", "config", "video_config", "inputs"):
        if saved.get("identity", {}).get(key) != identity[key]:
            raise NeuralStyleError(f"the frames folder {str(folder)!r} holds frames of another run ({key} differs); "
                                   "choose another --frames_dir or remove it")
    entries = []
    for entry in saved.get("frames", []):  # only frames whose file is there, without a gap
        if not (folder / video_io.FRAME_NAME.format(entry["frame"])).exists():
            break
        entries.append(entry)
    return entries


def _write_progress(folder: Path, identity: dict, entries: list[dict]) -> None:
    record = {"version": RECORD_VERSION, "identity": identity, "frames": entries}
    images.write_atomic(folder / "video.json", (json.dumps(record, indent=1) + "\n").encode())


class _Frames:
    """The clip's photos at the working size, read once in order, with the previous one kept."""

    def __init__(self, info: video_io.VideoInfo, first: int, count: int, shape: tuple[int, int]) -> None:
        self._frames = video_io.read_frames(info, first - 1, count)
        self.shape = shape

    def next(self) -> np.ndarray:
        return images.resize_to(next(self._frames), *self.shape)


def _start_image(kind: str, previous: np.ndarray, warped: np.ndarray, content: np.ndarray) -> np.ndarray | None:
    """A later frame's start image for ``init_frame_type`` (None: the config's ``init_img_type``)."""
    return {"prev_warped": warped, "prev": previous, "content": content}.get(kind)


def _tie(video: VideoConfig, photo: np.ndarray, previous_photo: np.ndarray, previous: np.ndarray):
    """A later frame's start image and temporal term (None after a scene cut or with gamma 0) and what
    its record says of the flow: the flow both ways between the photos, the consistency weights, the
    previous stylised frame warped onto this one."""
    from neural_style.terms import TemporalTerm  # TensorFlow: imported when a clip runs

    backward = flow.compute_flow(photo, previous_photo, video.flow)
    weights = flow.consistency(flow.compute_flow(previous_photo, photo, video.flow), backward)
    warped = flow.warp(previous, backward)
    reliable = float(weights.mean())
    cut = 1 - reliable > flow.SCENE_CUT_SHARE
    start = photo if cut else _start_image(video.init_frame_type, previous, warped, photo)
    temporal = None if cut or video.temporal_weight == 0 else TemporalTerm(warped, weights, video.temporal_weight)
    return start, temporal, {"reliable": round(reliable, 4), "scene_cut": cut}


def _configs(config: TransferConfig, video: VideoConfig, shape: tuple[int, int]) -> tuple[TransferConfig, TransferConfig]:
    """The first frame's configuration (the still's, at the frames' size) and the later frames' (one
    scale, ``frame_iterations``)."""
    base = replace(config, enlarge=False, max_size=max(shape))
    first = replace(base, max_iterations=video.first_frame_iterations or config.max_iterations,
                    init_img_type=video.first_frame_type)
    later_init = video.init_frame_type if video.init_frame_type in ("random", "style") else "content"
    return first, replace(base, max_iterations=video.frame_iterations, scales=1, init_img_type=later_init)


def stylise_video(source: Path | video_io.VideoInfo, specs: Sequence[StyleSpec], config: TransferConfig,
                  video: VideoConfig, output: Path, frames_dir: Path | None = None,
                  listener: VideoListener | None = None,
                  cancel: CancelToken | None = None, command: Sequence[str] = (),
                  engine: Engine | None = None, segmentation: Segmentation | None = None) -> VideoResult:
    """Stylise frames ``video.start_frame`` .. ``video.end_frame`` of ``source`` (a video file or a folder
    of frames, or what :func:`video_io.probe` found in one: a folder is not decoded twice) and write
    ``output`` (H.264 MP4, the input's frame rate and audio) and its record
    (``output`` with ``.json``). Frames go to ``frames_dir`` (kept) or to ``OUTPUT.frames`` (removed once
    the video is written); frames already there from the same run are kept and the run continues
    after them. Cancelled, it keeps the frames done, writes the video of them and returns
    ``interrupted``. ``engine``: networks kept from earlier runs (default: one for this clip, which
    keeps each style's targets across frames)."""
    from neural_style.runs import (  # TensorFlow: not for the CLI's option checks
        execute,
        for_frame,
        prepare,
    )
    from neural_style.scales import Engine

    listener = listener or VideoListener()
    started = time.perf_counter()
    info = source if isinstance(source, video_io.VideoInfo) else video_io.probe(source)
    first, count = frame_range(info, video)
    shape = video_io.frame_size(info.display_size, config.max_size, config.enlarge)
    folder = frames_dir or output.with_suffix(".frames")
    folder.mkdir(parents=True, exist_ok=True)
    identity = _identity(info, specs, segmentation, config, video)
    entries = _read_progress(folder, identity)[:count]
    listener.video_started(count, len(entries))
    frames = _Frames(info, first, count, shape)
    photo = frames.next()
    configs = _configs(config, video, shape)
    engine = engine or Engine(memo_bytes=1 << 30)  # one network; each style's targets computed once for the clip
    folders = mask_folders(specs, info)  # masks or segmentations that change with the frame: each frame is
    segs = segmentation_folder(segmentation, info)  # prepared on its own
    per_frame = bool(folders) or segs is not None
    prepared = [] if per_frame else [prepare(Request(photo, specs, c, segmentation))
                                     for c in configs[:1 if count == 1 else 2]]
    previous_photo, previous, interrupted = None, None, False
    for index in range(count):
        number, photo = first + index, photo if index == 0 else frames.next()
        path = folder / video_io.FRAME_NAME.format(number)
        if index < len(entries):  # written before a kill: read back as the next frame will see it
            previous_photo, previous = photo, images.load_image(path)
            continue
        frame_start, entry = time.perf_counter(), {"frame": number}
        start, temporal = None, None
        if previous is not None:
            start, temporal, said = _tie(video, photo, previous_photo, previous)
            entry |= said
        frame_specs, empty = _frame_specs(specs, folders, number, shape) if folders else (tuple(specs), [])
        entry |= {"empty_masks": empty} if empty else {}
        listener.frame_started(number, configs[index > 0].max_iterations if frame_specs else 0)
        if frame_specs:
            try:
                frame_seg = segmentation if segs is None else replace(segmentation, content=segs[number - 1])
                run = (prepare(Request(photo, frame_specs, configs[index > 0], frame_seg, start=start))
                       if per_frame else for_frame(prepared[index > 0], photo, start))
                result = execute(run, listener, cancel, engine, temporal=temporal)
            except Cancelled:  # before the frame's first iteration
                result = None
            if result is None or result.stop_reason == "interrupted":
                interrupted = True  # a frame cut short is not kept: the next run redoes it
                break
            if result.stop_reason == "nonfinite":
                raise NeuralStyleError(f"frame {number}: the loss became NaN or infinite; the frames before it are in "
                                       f"{str(folder)!r}")
            image = result.image
            entry |= {"iterations": result.iterations, "stop_reason": result.stop_reason,
                      "loss": {"total": result.total, **result.parts}}
        else:  # no style has a region in this frame: the photo, as outside a mask in a still
            image = images.to_uint8(photo)
            entry |= {"iterations": 0, "stop_reason": "no_region", "loss": {}}
        images.save_image(path, image)
        entries.append(entry | {"seconds": round(time.perf_counter() - frame_start, 3)})
        _write_progress(folder, identity, entries)
        listener.frame_finished(entries[-1])
        previous_photo, previous = photo, image.astype(np.float32)
        if cancel is not None and cancel.cancelled:
            interrupted = index + 1 < count
            break
    record = {"version": RECORD_VERSION, "output": str(output), "frames_dir": str(folder) if frames_dir else None,
              "fps": str(info.fps), "size": [shape[1], shape[0]], "flow": video.flow,
              "frames_asked": [first, first + count - 1], "frames_written": len(entries),
              "interrupted": interrupted, **identity, "seconds": round(time.perf_counter() - started, 3),
              "argv": list(command), "versions": versions(), "frames": entries}
    if entries:
        video_io.encode(folder, first, len(entries), output, info)
        write_record(output, record)
    if not interrupted and frames_dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return VideoResult(tuple(entries), interrupted, record)
