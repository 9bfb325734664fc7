"""VGG-19's layers and the one internal layer-naming scheme (no TensorFlow import here).

One internal layer-naming scheme, in the Keras family: ``block4_conv2`` is the convolution output
*before* its ReLU, ``block4_relu2`` the same tensor after the ReLU, ``block4_pool`` the pooling.
Keras' own VGG19 fuses each convolution with its ReLU, so its ``block4_conv2`` is our ``block4_relu2``;
we keep the two apart because the papers tap both (Gatys: ``relu4_2``; neural-style-tf's content
default: ``conv4_2``). The papers' names are accepted at the edge and mapped once by
:func:`canonical_layer_name`.
"""

from __future__ import annotations

import difflib

from neural_style.errors import NeuralStyleError

# (block, convolutions in the block, channels) for VGG-19.
VGG19_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))

MIN_SIDE = 32
"""Shortest side (px) an image may have after sizing: VGG-19 pools five times (2^5 = 32)."""

# Keras' "caffe" preprocessing: RGB -> BGR, minus this mean pixel (B, G, R), values in 0..255.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def _network_layers() -> tuple[str, ...]:
    names = []
    for block, convs, _ in VGG19_BLOCKS:
        for i in range(1, convs + 1):
            names += [f"block{block}_conv{i}", f"block{block}_relu{i}"]
        names.append(f"block{block}_pool")
    return tuple(names)


LAYER_NAMES: tuple[str, ...] = _network_layers()
"""Every tappable layer in network order, internal names."""

def _aliases() -> dict[str, str]:
    """All accepted spellings -> internal name (the papers' ``relu4_2``/``conv4_2``/``pool4`` too)."""
    table = {name: name for name in LAYER_NAMES}
    for name in LAYER_NAMES:
        block, kind = name.split("_")
        b = block[len("block"):]
        if kind == "pool":
            table[f"pool{b}"] = name
        else:
            table[f"{kind[:4]}{b}_{kind[4:]}"] = name
    return table


def canonical_layer_name(name: str) -> str:
    """Map ``relu4_2``, ``conv4_2``, ``pool4`` or an internal name to the internal name.

    Raises NeuralStyleError with a "did you mean" hint for an unknown name.
    """
    table = _aliases()
    key = name.strip().lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else f"; valid names look like relu4_2, conv4_2 or {LAYER_NAMES[-3]}"
    raise NeuralStyleError(f"unknown VGG-19 layer {name!r}{hint}")


def paper_name(name: str) -> str:
    """The papers' name of an internal layer name: ``block3_relu1`` -> ``relu3_1``, ``block4_pool`` ->
    ``pool4`` (records and loss names use these)."""
    block, kind = name.split("_")
    number = block[len("block"):]
    return f"pool{number}" if kind == "pool" else f"{kind[:4]}{number}_{kind[4:]}"


def layer_channels(name: str) -> int:
    """Number of channels of an internal layer name."""
    block = int(name[len("block")])
    return VGG19_BLOCKS[block - 1][2]


def feature_size(name: str, height: int, width: int) -> tuple[int, int]:
    """Spatial size ``(H_l, W_l)`` of an internal layer for an ``height x width`` input: every 2x2
    pooling before it (and its own, for a pooling layer) halves the size, rounding down."""
    pools = int(name[len("block")]) - 1 + name.endswith("_pool")
    return height >> pools, width >> pools
