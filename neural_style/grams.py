"""Stored Gram matrices as arrays: compact encoding, additive blends, and the Grams between stored
sizes. Pure numpy; :mod:`neural_style.library` keeps them in SQLite."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def encode_gram(gram: np.ndarray, dtype: str) -> tuple[bytes, float]:
    """The upper triangle of a symmetric Gram ``[N, N]`` as bytes in ``dtype``, and the scale it was
    divided by (float16: its largest magnitude, so values fit; float32: 1)."""
    upper = np.asarray(gram, np.float32)[np.triu_indices(gram.shape[0])]
    if dtype == "float32":
        return upper.astype("<f4").tobytes(), 1.0
    scale = float(np.abs(upper).max()) or 1.0
    return (upper / np.float32(scale)).astype("<f2").tobytes(), scale


def decode_gram(data: bytes, channels: int, dtype: str, scale: float) -> np.ndarray:
    """The symmetric float32 ``[N, N]`` Gram from :func:`encode_gram`'s bytes."""
    upper = np.frombuffer(data, "<f2" if dtype == "float16" else "<f4").astype(np.float32)
    if dtype == "float16":
        upper = upper * np.float32(scale)
    gram = np.zeros((channels, channels), np.float32)
    rows, cols = np.triu_indices(channels)
    gram[rows, cols] = upper
    gram[cols, rows] = upper
    return gram


def blend_grams(weights: Sequence[float], grams: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``sum_k w_k G_k / sum_k w_k`` per layer, in float32: the additive style. The one arithmetic for
    a run's blend of several styles and a stored blend, so the two give the same bytes."""
    total = np.float32(sum(weights))
    return {layer: sum(np.float32(w) * np.asarray(g[layer], np.float32) for w, g in zip(weights, grams, strict=True)) / total
            for layer in grams[0]}


def between_sizes(size: float, sizes: Sequence[int]) -> list[tuple[int, float]]:
    """Which stored sizes make the Grams at longest side ``size``, and their weights: the size itself
    when stored; between two, linear in log(size) (bench/results/library.md, "Between stored sizes": closer to the
    Grams computed at that size than the nearest stored one); beyond the ends, the end."""
    ladder = sorted(sizes)
    if size <= ladder[0]:
        return [(ladder[0], 1.0)]
    if size >= ladder[-1]:
        return [(ladder[-1], 1.0)]
    upper = next(s for s in ladder if s >= size)
    if upper == size:
        return [(upper, 1.0)]
    lower = max(s for s in ladder if s < size)
    t = math.log(size / lower) / math.log(upper / lower)
    return [(lower, 1.0 - t), (upper, t)]
