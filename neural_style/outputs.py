"""Where a run's results go: the output path (never an input, never clobbered) and the JSON record."""

from __future__ import annotations

import glob
import json
import os
import platform
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.checkpoints import checkpoint_path
from neural_style.errors import NeuralStyleError
from neural_style.library import PREFIX, StoredStyle

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def choose_output(output: str | None, out_dir: str, img_name: str, overwrite: bool, inputs: Sequence[Path],
                  suffixes: Sequence[str] = IMAGE_SUFFIXES) -> Path:
    """The output path: ``-o`` or ``img_output_dir/img_name.png``. Never an input file. Unless
    ``overwrite``, nothing of an earlier run is replaced: when the image, its record (``.json``) or
    snapshots of that name (``_iter00100``) exist, a numbered name (``result-1.png``) is chosen.
    ``suffixes``: the kinds of file the command writes (a video's: ``.mp4``)."""
    path = Path(output) if output else Path(out_dir) / (img_name if Path(img_name).suffix else f"{img_name}.png")
    if path.suffix.lower() not in suffixes:
        kinds = ".png, .jpg, .bmp, .tif or .webp" if suffixes == IMAGE_SUFFIXES else " or ".join(suffixes)
        raise NeuralStyleError(f"output must end in {kinds}. Received: {str(path)!r}")
    resolved = path.resolve()
    if any(resolved == p.resolve() for p in inputs):
        raise NeuralStyleError(f"output {str(path)!r} is one of the input images; refusing to overwrite it")
    if path.parent.exists() and not path.parent.is_dir():
        raise NeuralStyleError(f"output directory {str(path.parent)!r} is a file, not a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NeuralStyleError(f"output directory {str(path.parent)!r} cannot be created: {exc.strerror}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise NeuralStyleError(f"output directory {str(path.parent)!r} is not writable")
    try:  # access() says yes to root everywhere, and to /proc: make the temporary file the output will use
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        raise NeuralStyleError(f"output directory {str(path.parent)!r} cannot hold files: {exc.strerror}") from None
    number = 0
    candidate = path
    while not overwrite and _taken(candidate):
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _taken(output: Path) -> bool:
    """Whether a run writing ``output`` would replace a file: the image, its record, its checkpoint or a snapshot."""
    return (output.exists() or record_path(output).exists() or checkpoint_path(output).exists()
            or any(output.parent.glob(f"{glob.escape(output.stem)}_iter[0-9]*{glob.escape(output.suffix)}")))


def record_path(output: Path) -> Path:
    """The JSON record beside an output image: ``result.png`` -> ``result.json``."""
    return output.with_suffix(".json")


def snapshot_path(output: Path, iteration: int) -> Path:
    """A --save_iterations snapshot: ``result.png`` at iteration 100 -> ``result_iter00100.png``."""
    return output.with_name(f"{output.stem}_iter{iteration:05d}{output.suffix}")


def versions() -> dict[str, str]:
    import cv2
    import keras
    import PIL
    import scipy
    import tensorflow as tf

    from neural_style.version import __version__

    return {"neural_style": __version__, "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "opencv": cv2.__version__,
            "pillow": PIL.__version__, "python": platform.python_version()}


def write_record(output: Path, record: dict) -> Path:
    """Write the JSON record of a run beside the image (``result.png`` -> ``result.json``)."""
    path = record_path(output)
    images.write_atomic(path, (json.dumps(record, indent=2, default=str) + "\n").encode())
    return path


def spec_record(spec) -> dict:
    """A StyleSpec for the JSON record: paths as text, arrays (segmentation regions) by their shape."""
    def describe(value):
        if isinstance(value, StoredStyle):
            return PREFIX + value.name + (f" region {value.region}" if value.region else "")
        return f"array {list(value.shape)}" if isinstance(value, np.ndarray) else value
    return {field.name: describe(getattr(spec, field.name)) for field in fields(spec)}


def run_record(output: Path, request: dict, result, command: Sequence[str]) -> dict:
    """The JSON record of one run (``result``: TransferResult): ``request``, what was asked and
    planned (:func:`neural_style.runs.describe`: photo, styles, regions, every parameter, the memory
    plan), then each scale's iterations and how its optimiser stopped, the final loss parts, seconds
    and versions."""
    return {
        "output": str(output), **request, "precision": result.precision, "scale_sizes": list(result.scale_sizes),
        "scales": [asdict(r) for r in result.scales],
        "iterations": result.iterations, "stop_reason": result.stop_reason,
        "final_loss": {"total": result.total, **result.parts}, "loss_terms": result.terms,
        "seconds": round(result.seconds, 3),
        "versions": versions(), "command": list(command),
    }
