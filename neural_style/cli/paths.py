"""Input names as the commands take them: a path, or a bare name looked up in a folder (neural-style-tf's
behaviour). Light: ``styles list`` imports it and nothing heavier."""

from __future__ import annotations

from pathlib import Path

from neural_style.errors import NeuralStyleError


def resolve_input(name: str, directory: str, what: str) -> Path:
    """``name`` as given, else looked up in ``directory`` (neural-style-tf's behaviour)."""
    path = Path(name)
    if path.exists():
        return path
    candidate = Path(directory) / name
    if not path.is_absolute() and candidate.exists():
        return candidate
    raise NeuralStyleError(f"{what}: file not found: {name!r} (also looked in {directory!r})")
