"""Video in and out: frames read from a video file or a folder of images, and an H.264 MP4 written from
a folder of PNG frames with the input's audio copied, both through the ffmpeg binary that the
``imageio-ffmpeg`` wheel carries (OpenCV's own writer offers only MPEG-4 part 2 and VP9 here: neither
keeps sound, and MPEG-4 part 2 does not play in browsers)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.errors import NeuralStyleError

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""The image files a folder of frames may hold (in name order; other files are ignored)."""

STILL_CODECS = ("mjpeg", "png", "bmp", "tiff", "webp", "gif")
"""Codecs of single images, which ffmpeg also opens as one-frame videos."""

FOLDER_FPS = Fraction(25)
"""The frame rate given to a folder of frames (it has none of its own)."""


@dataclass(frozen=True)
class VideoInfo:
    """A clip: ``frames`` in all, ``fps`` (exact: 30000/1001, not 29.97), ``size`` ``(width, height)``
    in stored pixels, ``audio``: whether it has an audio track to copy (a file, not a folder);
    ``sar``: the shape of a stored pixel (``128:117`` for CIF's)."""

    path: Path
    frames: int
    fps: Fraction
    size: tuple[int, int]
    audio: bool
    sar: str = "1:1"

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()

    @property
    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` in square pixels, as the clip is shown: frames are stylised, and written,
        at this shape (the network's filters are square), so the output shows as wide as the input."""
        across, down = (int(v) for v in self.sar.split(":"))
        return max(1, round(self.size[0] * across / down)), self.size[1]


def ffmpeg() -> str:
    """The ffmpeg executable of the ``imageio-ffmpeg`` wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def exact_fps(fps: float) -> Fraction:
    """A container's rounded rate made exact: NTSC's 29.97, 59.94, 23.976 are ``n * 1000 / 1001``."""
    ntsc = fps * 1001 / 1000
    if abs(ntsc - round(ntsc)) < 0.01 and abs(fps - round(fps)) > 0.01:
        return Fraction(round(ntsc) * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


def folder_frames(folder: Path) -> list[Path]:
    """The frame files of a folder, in name order."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.is_file())


def probe(source: Path) -> VideoInfo:
    """What ``source`` holds (a video file or a folder of frames); one line if it is none of these."""
    source = Path(source)
    if not source.exists():
        raise NeuralStyleError(f"content_video: not found: {str(source)!r}")
    if source.is_dir():
        files = folder_frames(source)
        if not files:
            raise NeuralStyleError(f"content_video: the folder {str(source)!r} holds no frames "
                                   f"({', '.join(FRAME_SUFFIXES)})")
        sizes = {}
        for path in files:  # one size for all, checked before anything is stylised
            frame = images.load_image(path, f"content_video frame {path.name!r}")
            sizes.setdefault((frame.shape[1], frame.shape[0]), path.name)
            if len(sizes) > 1:
                (width, height), first = next(iter(sizes.items()))
                raise NeuralStyleError(f"content_video: frame {path.name!r} is {frame.shape[1]}x{frame.shape[0]}, "
                                       f"frame {first!r} {width}x{height}; a folder's frames need one size")
        return VideoInfo(source, len(files), FOLDER_FPS, next(iter(sizes)), False)
    import imageio_ffmpeg

    streams = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(source)], check=False, capture_output=True, text=True,
                             errors="replace").stderr
    video = [line for line in streams.splitlines() if "Stream #" in line and "Video:" in line]
    if not video:
        known = "Stream #" in streams
        raise NeuralStyleError(f"content_video: {str(source)!r} " + ("has no video stream" if known else
                               "is not a video ffmpeg can read"))
    if any(f"Video: {codec}" in video[0] for codec in STILL_CODECS) and "Duration: N/A" in streams:
        raise NeuralStyleError(f"content_video: {str(source)!r} is a still image; stylise it with neural-style "
                               "--content_img, or give a video or a folder of frames")
    try:
        reader = imageio_ffmpeg.read_frames(str(source))
        meta = next(reader)
        reader.close()
        count, _ = imageio_ffmpeg.count_frames_and_secs(str(source))
    except (OSError, RuntimeError, StopIteration):
        raise NeuralStyleError(f"content_video: {str(source)!r} is not a video ffmpeg can read") from None
    if count < 1:
        raise NeuralStyleError(f"content_video: {str(source)!r} has no frames")
    sar = re.search(r"\[SAR (\d+):(\d+)", video[0])
    return VideoInfo(source, count, exact_fps(float(meta["fps"])), tuple(meta["size"]), bool(meta.get("audio_codec")),
                     f"{sar[1]}:{sar[2]}" if sar and int(sar[1]) > 0 and int(sar[2]) > 0 else "1:1")


def read_frames(info: VideoInfo, first: int, count: int) -> Iterator[np.ndarray]:
    """Frames ``first`` .. ``first + count - 1`` (0-based) as RGB ``[H, W, 3]`` float32 0..255, in order."""
    if info.is_folder:
        for path in folder_frames(info.path)[first:first + count]:  # one size: probe checked it
            yield images.load_image(path, "content_video frame")
        return
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(info.path))
    meta = next(reader)
    width, height = meta["size"]
    try:
        for index, raw in enumerate(reader):
            if index >= first + count:
                break
            if index >= first:
                yield np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.float32)
    finally:
        reader.close()


def frame_size(size: tuple[int, int], max_size: int, enlarge: bool = False) -> tuple[int, int]:
    """``(height, width)`` a frame of ``size`` ``(width, height)`` is stylised at: longest side
    ``max_size`` (or its own, if smaller and not ``enlarge``), both sides even (H.264 in 4:2:0 needs
    them even)."""
    width, height = size
    if enlarge or max(width, height) > max_size:
        height, width = images.scaled_shape(height, width, max_size)
    return max(2, height - height % 2), max(2, width - width % 2)


FRAME_NAME = "frame_{:05d}.png"
"""A stylised frame's file name in the frames folder, by its number in the input (from 1)."""


def encode(folder: Path, first: int, count: int, output: Path, source: VideoInfo) -> None:
    """Write frames ``first`` .. ``first + count - 1`` of ``folder`` (:data:`FRAME_NAME`, PNG of one
    size, even sides) as an H.264 MP4 (yuv420p, CRF 18, faststart) to ``output``, atomically, with
    the ``source`` clip's frame rate and, if it has one, its audio track from the
    first frame's time for as long as the frames last (copied, not re-encoded)."""
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")
    fps = source.fps
    command = [ffmpeg(), "-y", "-v", "error", "-framerate", str(fps), "-start_number", str(first),
               "-i", str(folder / FRAME_NAME.replace("{:05d}", "%05d"))]
    if source.audio:
        command += ["-ss", f"{float((first - 1) / fps):.6f}", "-t", f"{float(count / fps):.6f}",
                    "-i", str(source.path), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "copy"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-movflags", "+faststart",
                "-frames:v", str(count), "-f", "mp4", str(partial)]
    try:
        proc = subprocess.run(command, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise NeuralStyleError(f"ffmpeg could not write {str(output)!r}: {last}")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
