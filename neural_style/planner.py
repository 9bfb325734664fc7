"""Memory: a run's peak resident memory predicted from its size, and the plan that fits a budget.

The model (coefficients measured by ``bench/bench_memory.py --fit``, real CLI runs under
``/usr/bin/time``, 2-core x86_64, TensorFlow 2.21; bench/results/memory.md):

    peak = BASE[precision] + P * PER_PIXEL[optimizer, precision] + P * MASK_BYTES * masked terms

``P`` is the output's pixel count (the finest scale is the largest, and each scale's memory is freed
before the next). ``BASE`` is TensorFlow, the decoded weights and the traced graphs; ``PER_PIXEL`` the
network's activations and gradients at that precision plus the optimiser's arrays (L-BFGS-B keeps
``2m + 5`` float64 vectors of the image, m = 10: 600 bytes a pixel; Adam two float32 moments).
A masked style term keeps its weight map at every style layer's resolution in float32.

A tiled run (``--tile T``: scales over T px optimised in tiles of at most T px, :mod:`tiling`) keeps
its whole-size arrays and one tile's network:

    peak = BASE + P * FULL_BYTES + max(tile pixels, largest whole scale's pixels) * (PER_PIXEL + masks)

The plan, for a budget (``--max_memory``; by default DEFAULT_SHARE of the memory available to this
process: the cgroup limit or MemAvailable, the smaller): the run as asked if it fits; else, for
L-BFGS, Adam if that fits; else (unless ``--tile`` was given) the largest tiles that fit, with the
optimiser asked for; else a refusal before any network is built, naming what would fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from neural_style.config import MIN_TILE, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.images import scaled_shape
from neural_style.tiling import tile_grid

MIB = 2**20
BASE = {"bfloat16": 930 * MIB, "float32": 930 * MIB}
PER_PIXEL = {("lbfgs", "bfloat16"): 2153, ("lbfgs", "float32"): 5050, ("adam", "bfloat16"): 1267,
             ("adam", "float32"): 4340}
"""Bytes per output pixel (see the module docstring). float32 depends on the CPU: 2916 (L-BFGS) and 2151
(Adam) were measured on a CPU with AVX-512 and bfloat16, 5050 and 4340 on one with AVX2 only (AMD EPYC,
where ``auto`` runs float32; tubingen at 512 px: 1877 and 1744 MiB peak). The larger are kept, so the
planner errs on the safe side where the kernels need less."""
MASK_BYTES = 4 * (1 + 1 / 4 + 1 / 16 + 1 / 64 + 1 / 256)
"""A masked term's float32 weight map at relu1..relu5 resolutions, per output pixel."""
FULL_BYTES = 175
"""A tiled run's arrays at the output's size, per output pixel: the photo, the styles sized to it,
the image being optimised, its resized copies between scales, checkpoint copies and the final colour
pass (float32 RGB: 12 bytes each). Measured (bench/results/tiles.md): 175 in the 4096 px run with
checkpoints, 90-115 at 2048 px without; the larger is kept, so the planner errs on the safe side."""
TILE_STEP = 64
"""The planner's tile sizes are multiples of this."""
DEFAULT_SHARE = 0.8
"""The default budget: this share of the memory available when the run starts."""


def predict_peak(config: TransferConfig, shape: tuple[int, int], masked_terms: int = 0, precision: str | None = None) -> int:
    """Predicted peak resident memory in bytes of a run of ``config`` whose output is ``shape``
    ``(height, width)``, tiled if ``config.tile`` asks for it; ``precision`` as resolved (``auto``
    counts as bfloat16)."""
    precision = precision or ("float32" if config.precision == "float32" else "bfloat16")
    per_pixel = PER_PIXEL[config.optimizer, precision] + MASK_BYTES * masked_terms
    pixels = shape[0] * shape[1]
    if not config.tile or max(shape) <= config.tile:
        return int(BASE[precision] + pixels * per_pixel)
    box = tile_grid(*shape, config.tile, config.tile_overlap)[0]
    scale_shapes = [scaled_shape(*shape, size) for size, _ in config.schedule(*shape)]
    largest_whole = max((h * w for h, w in scale_shapes if max(h, w) <= config.tile), default=0)
    return int(BASE[precision] + pixels * FULL_BYTES + max(box.height * box.width, largest_whole) * per_pixel)



def parse_memory(text: str | int) -> int:
    """``4G``, ``512M``, ``1.5GB``, ``3000000000`` -> bytes (powers of 1024); ``0`` means no limit."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text).lower())
    if not match:
        raise NeuralStyleError(f"max_memory takes a size like 4G, 512M or 0 (no limit). Received: {text!r}")
    return int(float(match.group(1)) * 1024 ** " kmgt".index(match.group(2) or " "))


def available_memory(root: Path = Path("/")) -> int | None:
    """Bytes this process may still use: the smaller of its cgroup's limit (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``) and /proc/meminfo's MemAvailable; None if neither can be read."""
    limits = []
    for name in ("sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = (root / name).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            limits.append(int(text))
    try:
        for line in (root / "proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None


def budget_of(config: TransferConfig) -> int | None:
    """The run's memory budget in bytes; None when unlimited (``max_memory 0``) or unknown."""
    if config.max_memory is None:
        available = available_memory()
        return None if available is None else int(DEFAULT_SHARE * available)
    return config.max_memory or None


@dataclass(frozen=True)
class Plan:
    """What will run: ``config`` (its optimiser may differ from the one asked for), the predicted peak
    in bytes, the budget (None: unlimited) and a note for the user when the plan changed something."""

    config: TransferConfig
    predicted: int
    budget: int | None
    note: str | None = None


def gigabytes(value: int) -> str:
    """Bytes as ``--max_memory`` takes them: ``3.1G`` (powers of 1024)."""
    return f"{value / 2**30:.1f}G"


def largest_fitting(config: TransferConfig, shape: tuple[int, int], budget: int, masked_terms: int,
                    precision: str | None) -> int:
    """The largest longest side (px) whose run with Adam fits ``budget``, keeping ``shape``'s aspect."""
    aspect = min(shape) / max(shape)
    adam = replace(config, optimizer="adam", tile=0)
    side = 0
    for candidate in range(32, max(shape) + 1, 16):
        if predict_peak(adam, (round(candidate * aspect), candidate), masked_terms, precision) <= budget:
            side = candidate
    return side


def smallest_tile(config: TransferConfig) -> int:
    """The smallest tile the planner offers: MIN_TILE, and twice the overlap."""
    return max(MIN_TILE, 2 * config.tile_overlap)


def largest_tile(config: TransferConfig, shape: tuple[int, int], budget: int, masked_terms: int,
                 precision: str | None) -> int:
    """The largest tile size (a multiple of TILE_STEP, under the image's longest side) whose tiled run
    fits ``budget``; 0 if none does."""
    for tile in range((max(shape) - 1) // TILE_STEP * TILE_STEP, smallest_tile(config) - 1, -TILE_STEP):
        if predict_peak(replace(config, tile=tile), shape, masked_terms, precision) <= budget:
            return tile
    return 0


def plan_run(config: TransferConfig, shape: tuple[int, int], masked_terms: int = 0,
             precision: str | None = None) -> Plan:
    """The plan that fits the budget (module docstring), or a one-line NeuralStyleError that says what
    would. ``shape``: the output's ``(height, width)``."""
    budget = budget_of(config)
    predicted = predict_peak(config, shape, masked_terms, precision)
    if budget is None or predicted <= budget:
        return Plan(config, predicted, budget)
    size = f"{max(shape)} px"
    asked = "L-BFGS" if config.optimizer == "lbfgs" else "Adam"
    tiled = f" in {config.tile} px tiles" if config.tile and max(shape) > config.tile else ""
    over = f"{size} needs ~{gigabytes(predicted)} with {asked}{tiled}"
    adam = replace(config, optimizer="adam")
    with_adam = predict_peak(adam, shape, masked_terms, precision)
    if config.optimizer == "lbfgs" and with_adam <= budget:
        note = (f"{over}, over the memory budget of {gigabytes(budget)}; running Adam (~{gigabytes(with_adam)}) "
                "instead (--max_memory to change the budget)")
        return Plan(adam, with_adam, budget, note)
    tile = largest_tile(config, shape, budget, masked_terms, precision)
    if config.tile is None and tile:
        tiled_config = replace(config, tile=tile)
        with_tiles = predict_peak(tiled_config, shape, masked_terms, precision)
        note = (f"{over}, over the memory budget of {gigabytes(budget)}; optimising the scales over {tile} px in "
                f"{tile} px tiles (~{gigabytes(with_tiles)}; --tile, --max_memory to change)")
        return Plan(tiled_config, with_tiles, budget, note)
    other = f" (~{gigabytes(with_adam)} with Adam)" if config.optimizer == "lbfgs" and not tiled else ""
    limit = f"--max_memory {gigabytes(budget)}" if config.max_memory else f"the memory available ({gigabytes(budget)})"
    offers = []
    fits = largest_fitting(config, shape, budget, masked_terms, precision)
    if fits >= 32:
        offers.append(f"--optimizer adam --max_size {fits}")
    if tile and config.tile != 0:
        offers.append(f"--tile {tile}")
    if offers:
        raise NeuralStyleError(f"{over}{other}; {limit} allows {' or '.join(offers)}")
    least = predict_peak(replace(config, tile=smallest_tile(config)), shape, masked_terms, precision)
    raise NeuralStyleError(f"{over}{other}; {limit} is too small for any run (even {smallest_tile(config)} px tiles "
                           f"need ~{gigabytes(least)})")
