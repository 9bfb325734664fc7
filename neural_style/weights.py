"""Where the VGG-19 convolution weights come from: the shipped file, Keras' download, or a path.

Every source yields the same thing: ``{"blockK_convI": (kernel [3, 3, C_in, C_out] float32, bias [C_out])}``
for the 16 convolutions, in Keras' layout and layer names.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.layers import VGG19_BLOCKS

SHIPPED_WEIGHTS = "vgg19_conv_q8.npz"
"""ImageNet VGG-19 conv weights, 8-bit palette form (k-means, 256 values per layer); see docs/running.md (Weights)."""
SHIPPED_SHA256 = "946d8b0338d23c52a756a4df5e6606f632ef70656ce804068eeb48810570abc9"

CONV_LAYERS = tuple(
    f"block{block}_conv{i}" for block, convs, _ in VGG19_BLOCKS for i in range(1, convs + 1)
)

WeightDict = dict[str, tuple[np.ndarray, np.ndarray]]


def shipped_weights_path() -> Path:
    """Path of the weights file inside the installed package."""
    return Path(str(resources.files("neural_style") / "data" / SHIPPED_WEIGHTS))


def weights_fingerprint(source: str = "default") -> str:
    """What identifies a weights source in a style library entry: the sha256 of its file (the shipped
    file's is known), or ``keras-imagenet`` for Keras' download, which this machine may never see."""
    if source == "default":
        return SHIPPED_SHA256
    if source == "imagenet":
        return "keras-imagenet"
    if not Path(source).is_file():
        raise NeuralStyleError(f"weights must be 'default', 'imagenet' or an existing file. Received: weights={source!r}")
    return file_sha256(source)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, read in 1 MB blocks; NeuralStyleError if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise NeuralStyleError(f"cannot read {path}: {exc.strerror}") from None
    return digest.hexdigest()


def load_vgg19_weights(source: str = "default") -> WeightDict:
    """Load weights from ``"default"`` (the shipped file, offline), ``"imagenet"`` (Keras' float32
    download) or a path to a Keras ``.h5``/``.weights.h5`` file or an ``.npz`` in the shipped format."""
    if source == "default":
        path = shipped_weights_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != SHIPPED_SHA256:
            raise NeuralStyleError(f"shipped weights file {path} is damaged (sha256 {digest[:12]}…); reinstall neural-style")
        return _load_npz(path)
    if source == "imagenet":
        return _load_keras(None)
    path = Path(source)
    if not path.is_file():
        raise NeuralStyleError(f"weights must be 'default', 'imagenet' or an existing file. Received: weights={source!r}")
    if path.suffix == ".npz":
        return _load_npz(path)
    if path.suffix == ".h5":
        return _load_keras(path)
    raise NeuralStyleError(f"weights file must end in .npz, .h5 or .weights.h5. Received: weights={source!r}")


def _load_npz(path: Path) -> WeightDict:
    """Read the palette format (``<layer>/kernel_index``, ``/kernel_table``, ``/bias``) or plain
    ``<layer>/kernel`` + ``<layer>/bias`` arrays."""
    try:
        with np.load(path) as data:
            out = {}
            for name in CONV_LAYERS:
                if f"{name}/kernel" in data:
                    kernel = data[f"{name}/kernel"].astype(np.float32)
                else:
                    kernel = data[f"{name}/kernel_table"].astype(np.float32)[data[f"{name}/kernel_index"]]
                out[name] = (kernel, data[f"{name}/bias"].astype(np.float32))
            return out
    except (OSError, ValueError, KeyError) as exc:
        raise NeuralStyleError(f"cannot read VGG-19 weights from {path}: {exc}") from None


def _load_keras(path: Path | None) -> WeightDict:
    """Let Keras build its VGG19 with ``weights=path`` (None: its ImageNet download) and copy the convs."""
    import keras

    try:
        model = keras.applications.VGG19(include_top=False, weights=str(path) if path else "imagenet")
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for download/format failures
        what = "download Keras' ImageNet VGG-19 weights (offline?)" if path is None else f"load Keras weights {path}"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NeuralStyleError(f"cannot {what}: {first_line}") from None
    return {name: tuple(np.asarray(w, np.float32) for w in model.get_layer(name).get_weights()) for name in CONV_LAYERS}
