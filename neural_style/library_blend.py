"""Blends of stored styles: ``styles blend NAME A:w B:w ...`` stores the weighted mean of the parts'
Grams, ``G = sum_k w_k G_k / sum_k w_k``, a style of its own (Deep Imitator's additive blends). A run
with a blend has the targets of the same weighted styles given one by one (tests/test_library.py). No
TensorFlow here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from neural_style.config import normalize_weights
from neural_style.errors import NeuralStyleError
from neural_style.grams import blend_grams
from neural_style.library import WHOLE, EntryInfo, StyleLibrary, utc_now
from neural_style.version import __version__


def blend_entries(library: StyleLibrary, name: str, parts: Sequence[tuple[str, float]],
                  dtype: str | None = None) -> EntryInfo:
    """Store ``sum_k w_k G_k / sum_k w_k`` of entries ``parts = [(name, w), ...]`` (weights >= 0, not
    all 0) at every size and layer they all have, for the whole image and the regions they all
    share. ``dtype``: default float32 if any part is float32, else float16."""
    infos = [library.info(part) for part, _ in parts]
    weights = normalize_weights("blend weights", tuple(w for _, w in parts), len(parts))
    _check_same_network(infos)
    sizes = sorted(set.intersection(*(set(i.sizes) for i in infos)))
    layers = [layer for layer in infos[0].layers if all(layer in i.layers for i in infos)]
    regions = [WHOLE] + [k for k in infos[0].regions if all(k in i.regions for i in infos[1:])]
    if not sizes or not layers:
        raise NeuralStyleError(f"styles {', '.join(p for p, _ in parts)} share no stored size and layer to blend")
    grams = {}
    for size in sizes:
        for region in regions:
            blended = blend_grams(weights, [library.grams(i.name, size, region, layers) for i in infos])
            grams.update({(size, region, layer): blended[layer] for layer in layers})
    first = infos[0].provenance
    provenance = replace(first, source="blend", source_sha256="", width=0, height=0, segmentation=None,
                         segmentation_sha256=None, created=utc_now(), tool_version=__version__,
                         blend_of=tuple((i.name, w) for i, w in zip(infos, weights, strict=True)))
    chosen = dtype or ("float32" if any("float32" in i.dtype for i in infos) else "float16")
    shares = {k: float(sum(w * i.regions[k] for i, w in zip(infos, weights, strict=True))) for k in regions[1:]}
    return library.put(name, "blend", provenance, grams, chosen, shares)


def _check_same_network(infos: Sequence[EntryInfo]) -> None:
    first = infos[0]
    for other in infos[1:]:
        for field in ("weights_sha256", "pooling"):
            if getattr(other.provenance, field) != getattr(first.provenance, field):
                raise NeuralStyleError(f"styles {first.name!r} and {other.name!r} were computed with different "
                                       f"{field.split('_')[0]} and cannot be blended")
