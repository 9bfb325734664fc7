"""VGG-19 as a Keras functional model whose outputs are a dict of intermediate activations.

Layer names follow the one internal scheme of :mod:`neural_style.layers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import keras
import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.layers import (
    CAFFE_MEAN_BGR,
    LAYER_NAMES,
    canonical_layer_name,
    layer_channels,
)

PRECISIONS = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
"""Network precision -> Keras dtype policy. bfloat16: weights stay float32, convolutions run in bf16."""
EMULATED_BFLOAT16_SLOWDOWN = 10
"""Time of a bfloat16 L-BFGS iteration over a float32 one on a CPU without native bf16: 2.30 s against
0.226 s at 128 px, 8.68 s against 0.822 s at 256 px (tubingen and Starry Night, one scale; 2-core AVX2
AMD EPYC, 2026-12-07)."""
FLOAT32_LAYERS = frozenset({"block1_conv1"})
"""Layers that run in float32 whatever the precision. bfloat16 keeps 8 significant bits, so the
mean-subtracted pixels (-124..152) fed to conv1_1 in bfloat16 are rounded to steps of 0.25-1 grey
level: a line search's small steps then leave the loss unchanged and L-BFGS stops early (bench/results/gallery.md,
"Early stops"). conv1_1 has 3 input channels, about 1 % of the network's work, so it runs in float32
and its output is rounded instead, where small pixel changes still move every channel."""


def resolve_precision(precision: str, device: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """``auto`` -> ``bfloat16`` on a CPU with native bf16 instructions (AVX512-BF16 or AMX, read from
    ``cpuinfo``'s flags; elsewhere bf16 is emulated and slower), else ``float32``; GPUs get float32."""
    if precision != "auto":
        return precision
    if not device.startswith("/cpu"):
        return "float32"
    try:
        flags = Path(cpuinfo).read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return "float32"
    return "bfloat16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "float32"


def emulated_precision_note(precision: str, device: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str | None:
    """A note for the user when bfloat16 was asked for on a CPU without native bf16 instructions, where
    TensorFlow emulates it (EMULATED_BFLOAT16_SLOWDOWN), else None."""
    if precision != "bfloat16" or not device.startswith("/cpu") or resolve_precision("auto", device, cpuinfo) == "bfloat16":
        return None
    return (f"precision bfloat16: this CPU has no native bfloat16 (AVX512-BF16 or AMX), so TensorFlow emulates it, "
            f"about {EMULATED_BFLOAT16_SLOWDOWN}x slower than float32; --precision auto picks float32 here")


def build_feature_extractor(
    layers: Iterable[str],
    weights: Mapping[str, tuple[np.ndarray, np.ndarray]],
    pooling_type: str = "avg",
    precision: str = "float32",
) -> keras.Model:
    """Build VGG-19 up to the deepest of ``layers`` and return a model with dict outputs.

    Input: float32 RGB batch ``[B, H, W, 3]`` in 0..255 (preprocessing happens inside the model).
    Output: ``{layer: [B, H_l, W_l, C_l]}`` for each requested internal layer name.
    ``weights`` maps ``blockK_convI`` to ``(kernel HWIO, bias)``, as from ``weights.load_vgg19_weights``.
    Pooling is 2x2 stride 2 ("avg" as in the papers and neural-style-tf, or "max" as in VGG-19 itself).
    ``precision="bfloat16"`` runs the network in bfloat16 (mixed precision) and its outputs are
    bfloat16: the losses sum in float32 (``losses``), and a float32 copy of every tapped activation
    kept for the backward pass would cost 0.4 GB at 1024 px. The first convolution stays float32
    (:data:`FLOAT32_LAYERS`).
    """
    wanted = [canonical_layer_name(name) for name in layers]
    if not wanted:
        raise NeuralStyleError("no layers requested from the feature extractor")
    if pooling_type not in ("avg", "max"):
        raise NeuralStyleError(f"pooling_type must be 'avg' or 'max'. Received: pooling_type={pooling_type!r}")
    if precision not in PRECISIONS:
        raise NeuralStyleError(f"precision must be float32 or bfloat16. Received: precision={precision!r}")
    policy = PRECISIONS[precision]
    deepest = max(LAYER_NAMES.index(name) for name in wanted)

    inputs = keras.Input(shape=(None, None, 3), name="image_rgb_0_255")
    x = keras.ops.flip(inputs, axis=-1) - keras.ops.convert_to_tensor(np.array(CAFFE_MEAN_BGR, np.float32))
    taps = {}
    convs = []
    for name in LAYER_NAMES[: deepest + 1]:
        if "_conv" in name:
            channels = layer_channels(name)
            dtype = "float32" if name in FLOAT32_LAYERS else policy
            layer = keras.layers.Conv2D(channels, 3, padding="same", name=name, dtype=dtype)
            convs.append(layer)
        elif "_relu" in name:
            layer = keras.layers.ReLU(name=name, dtype=policy)
        else:
            pool = keras.layers.AveragePooling2D if pooling_type == "avg" else keras.layers.MaxPooling2D
            layer = pool(pool_size=2, strides=2, name=name, dtype=policy)
        x = layer(x)
        taps[name] = x
    model = keras.Model(inputs, {name: taps[name] for name in dict.fromkeys(wanted)}, name="vgg19_features")
    for layer in convs:
        kernel, bias = weights[layer.name]
        layer.set_weights([kernel, bias])
    model.trainable = False
    return model
