"""Tiles: an image too large to optimise whole is split into overlapping tiles, each optimised on its
own and blended back with feathered seams. Pure array functions; :mod:`neural_style.scales` runs them.

Geometry: along an axis of ``L`` px, ``n = ceil((L - o) / (T - o))`` tiles of one length
``t = ceil((L + (n - 1) o) / n) <= T`` (``T``: the tile size, ``o``: the overlap), spaced evenly, so
neighbours overlap by at least ``o`` and every tile of an image has one shape (one traced graph).

Feathering: tile ``k``'s weight ``w_k(p)`` ramps linearly from 0 at an edge it shares with a neighbour
to 1 across that overlap (image borders keep 1), the product of its row and column ramps. Within an
overlap the two ramps sum to 1, so the ``w_k`` are a partition of unity (:func:`partition`), used to
add tiles' Gram matrices into the whole image's; written back in turn, ``x <- w_k y_k + (1 - w_k) x``,
a tile's border pixels, where VGG-19 sees zero padding instead of the neighbour, count for nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """A box of an image: rows ``top .. top + height``, columns ``left .. left + width``."""

    top: int
    left: int
    height: int
    width: int

    @property
    def box(self) -> tuple[slice, slice]:
        """Index an ``[H, W, ...]`` array with this."""
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)


def _axis(length: int, tile: int, overlap: int) -> list[int]:
    """Starts of the tiles along one axis (module docstring); one tile when ``length <= tile``."""
    if length <= tile:
        return [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count)
    return [round(k * (length - size) / (count - 1)) for k in range(count)]


def tile_grid(height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Tiles covering ``height x width``, row by row; ``tile`` > ``overlap`` >= 0 (pixels)."""
    if not 0 <= overlap < tile:
        raise ValueError(f"tile overlap must be in 0..tile-1. Received: tile={tile}, overlap={overlap}")
    rows, columns = _axis(height, tile, overlap), _axis(width, tile, overlap)
    tile_h = height if len(rows) == 1 else math.ceil((height + (len(rows) - 1) * overlap) / len(rows))
    tile_w = width if len(columns) == 1 else math.ceil((width + (len(columns) - 1) * overlap) / len(columns))
    return [Tile(top, left, tile_h, tile_w) for top in rows for left in columns]


def _ramp(start: int, size: int, starts: list[int]) -> np.ndarray:
    """One axis of a tile's weight: 1, ramping from 0 over the overlap with the previous and next tile."""
    weight = np.ones(size, np.float32)
    k = starts.index(start)
    if k > 0:
        shared = starts[k - 1] + size - start
        weight[:shared] = np.minimum(weight[:shared], (np.arange(shared) + 0.5) / shared)
    if k < len(starts) - 1:
        shared = start + size - starts[k + 1]
        weight[size - shared:] = np.minimum(weight[size - shared:], (shared - np.arange(shared) - 0.5) / shared)
    return weight


def feather(tile: Tile, tiles: list[Tile]) -> np.ndarray:
    """Tile ``tile``'s blending weight ``[height, width]`` in 0..1 (module docstring) among ``tiles``."""
    rows = sorted({t.top for t in tiles})
    columns = sorted({t.left for t in tiles})
    return np.outer(_ramp(tile.top, tile.height, rows), _ramp(tile.left, tile.width, columns))


def partition(tiles: list[Tile], height: int, width: int) -> list[np.ndarray]:
    """Each tile's weight ``[tile.height, tile.width]``, normalised so they sum to 1 at every pixel."""
    weights = [feather(t, tiles) for t in tiles]
    total = np.zeros((height, width), np.float32)
    for tile, weight in zip(tiles, weights, strict=True):
        total[tile.box] += weight
    return [weight / total[tile.box] for tile, weight in zip(tiles, weights, strict=True)]


def blend(canvas: np.ndarray, tile: Tile, result: np.ndarray, weight: np.ndarray) -> None:
    """Write a tile's result ``[h, w, 3]`` into ``canvas`` in place: ``w y + (1 - w) x``."""
    region = canvas[tile.box]
    region += weight[:, :, None] * (result - region)


def seam_lines(tiles: list[Tile], height: int, width: int) -> tuple[list[int], list[int]]:
    """Rows and columns where a tile ends inside the image, and the middle of each overlap: where a
    seam would show."""
    rows, columns = set(), set()
    for axis, lines, length in ((0, rows, height), (1, columns, width)):
        starts = sorted({t.top if axis == 0 else t.left for t in tiles})
        size = tiles[0].height if axis == 0 else tiles[0].width
        for a, b in zip(starts, starts[1:]):
            lines.update({b, a + size - 1, (b + a + size) // 2})
        lines.discard(0)
        lines.discard(length - 1)
    return sorted(rows), sorted(columns)


def seam_ratio(image: np.ndarray, tiles: list[Tile], band: int = 1) -> float:
    """The seam measure: the mean absolute step between neighbouring pixels across the lines of
    :func:`seam_lines` (within ``band`` px of them; vertical steps across rows, horizontal across
    columns) over the mean of the same steps everywhere else. 1.0: the tile borders are as busy as
    the rest of the image; a seam is an edge along them and lifts it. ``image``: ``[H, W, 3]`` or
    ``[H, W]``, any range. 1.0 when there are no seams."""
    grey = image.astype(np.float32).mean(axis=2) if image.ndim == 3 else image.astype(np.float32)
    rows, columns = seam_lines(tiles, *grey.shape)
    near_sum = near_count = far_sum = far_count = 0.0
    for lines, steps in ((rows, np.abs(np.diff(grey, axis=0))), (columns, np.abs(np.diff(grey, axis=1)).T)):
        near = np.zeros(steps.shape[0], bool)  # steps[k]: between pixel k and k + 1
        for line in lines:
            near[max(0, line - band):line + band] = True
        near_sum += steps[near].sum()
        near_count += steps[near].size
        far_sum += steps[~near].sum()
        far_count += steps[~near].size
    if not near_count or not far_count:
        return 1.0
    return float((near_sum / near_count) / max(far_sum / far_count, 1e-12))


def seam_measure(output: np.ndarray, photo: np.ndarray, tiles: list[Tile]) -> float:
    """:func:`seam_ratio` of a tiled run's ``output`` over that of its ``photo`` at the same size: the
    photo's own edges that happen to lie on tile borders come through into the output, so the
    output's ratio alone reads them as seams (tubingen.jpg alone scores 1.07..1.38 at 192..1024 px).
    1.0: the borders are no busier, relative to the rest, than in the photo; we allow 1.15."""
    return seam_ratio(output, tiles) / seam_ratio(photo, tiles)
