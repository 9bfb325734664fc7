"""Checkpoint files of a long run (``--checkpoint_iterations``), read back by ``--resume``.

``result.png``'s checkpoint is ``result.checkpoint.npz``: the current scale's image (float32), the
optimiser's state arrays (Adam's ``m``, ``v``, ``t``; L-BFGS has none it can give) and a JSON header
(format version, scale index, iterations, carried iterations, tile visits done in a tiled
scale, finished scales' reports). Written
atomically, so a kill at any moment leaves the previous checkpoint or the new one, never half of one.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.errors import NeuralStyleError

CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class ScaleReport:
    """How one coarse-to-fine scale went: its longest side, its budget (``planned`` plus ``carried``,
    the iterations the scale before left to it: :func:`carried_iterations`), iterations run, how the
    optimiser stopped (``optimizers.STOP_REASONS``), fresh L-BFGS starts, scipy's messages, how
    many iterations ran in float32 after bfloat16 stopped early (:func:`scales.optimise`) and the
    objective evaluations made."""

    size: int
    planned: int
    iterations: int
    stop_reason: str
    restarts: int = 0
    messages: tuple[str, ...] = ()
    float32_iterations: int = 0
    carried: int = 0
    evaluations: int = 0

    @property
    def early(self) -> bool:
        """Whether the scale stopped before its budget."""
        return self.iterations < self.planned + self.carried


@dataclass(frozen=True)
class Checkpoint:
    """Where a run stands, to resume it from: scale ``scale`` (index into ``config.schedule``) has run
    ``iterations`` of its budget (``planned + carried``; ``carried``: iterations earlier scales left
    over); ``image`` ``[h, w, 3]`` float32 0..255 is that scale's current iterate; ``state`` the
    optimiser's (Adam; None for L-BFGS, which restarts its memory); ``reports`` the finished scales;
    ``visits``: in a tiled scale, the tile visits done (``image`` is the whole scale's image then)."""

    scale: int
    iterations: int
    image: np.ndarray
    reports: tuple[ScaleReport, ...]
    carried: int
    state: Mapping[str, np.ndarray] | None = None
    visits: int = 0


@dataclass(frozen=True)
class Checkpointing:
    """Checkpoints every ``every`` iterations of the run (0: none; never at a scale's last iteration:
    the next scale's first checkpoint follows), each handed to the listener; ``resume``: continue
    from this one."""

    every: int = 0
    resume: Checkpoint | None = None


def checkpoint_path(output: Path) -> Path:
    """``result.png`` -> ``result.checkpoint.npz``."""
    return output.with_name(f"{output.stem}.checkpoint.npz")


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write a :class:`Checkpoint` atomically."""
    header = {"version": CHECKPOINT_VERSION, "scale": checkpoint.scale, "iterations": checkpoint.iterations,
              "carried": checkpoint.carried, "visits": checkpoint.visits, "reports": [asdict(r) for r in checkpoint.reports]}
    arrays = {"image": np.asarray(checkpoint.image, np.float32), "header": np.array(json.dumps(header))}
    arrays |= {f"state_{k}": np.asarray(v) for k, v in (checkpoint.state or {}).items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    images.write_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path) -> Checkpoint:
    """The :class:`Checkpoint` in ``path``; one-line NeuralStyleError if it is
    missing, damaged or of another format version."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            image = data["image"].astype(np.float32)
            state = {k[len("state_"):]: data[k] for k in data.files if k.startswith("state_")} or None
    except FileNotFoundError:
        raise NeuralStyleError(f"resume: no checkpoint {str(path)!r} (was the run started with --checkpoint_iterations?)") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise NeuralStyleError(f"resume: checkpoint {str(path)!r} cannot be read: {exc}") from None
    if header.get("version") != CHECKPOINT_VERSION:
        raise NeuralStyleError(f"resume: checkpoint {str(path)!r} has format version {header.get('version')!r}; "
                               f"this version reads {CHECKPOINT_VERSION}")
    reports = tuple(ScaleReport(**(r | {"messages": tuple(r["messages"])})) for r in header["reports"])
    return Checkpoint(header["scale"], header["iterations"], image, reports, header["carried"], state,
                      header.get("visits", 0))
