"""A style library entry as data, without the database: names and storage choices, where its Grams came
from (:class:`Provenance`) and what it holds (:class:`EntryInfo`). :mod:`neural_style.library` keeps
entries in SQLite; :mod:`neural_style.library_build` computes them."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError

LADDER = (128, 256, 512, 1024, 2048)
"""Default stored sizes (longest side, px): the sizes people run (128 px tests and previews, 256 px the
studio's preview, 512 px the default, 1024 px and its 512 px coarse scale); 2048 px the largest output
a 24 GB machine runs comfortably. Other sizes blend the two stored sizes around them (grams.between_sizes)."""
STORED_LAYERS = ("block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1", "block4_relu2")
"""relu1_1..relu5_1 (the default style layers) and relu4_2 (the seed paper's)."""
STORAGE_DTYPES = ("float16", "float32")
DEFAULT_DTYPE = "float32"
"""float32: exact, so a stored style gives a file's bytes. float16 (with a scale per matrix: Grams reach
5e6, beyond float16's 65504) halves the storage but moved the yardstick by up to 0.87 % on three
pairs, more than the 0.5 % allowed (bench/results/library.md)."""
WHOLE = ""
"""Region key of the whole style image; a segmentation region's key is its colour, ``#rrggbb``."""
PREFIX = "lib:"
"""``--style_imgs lib:NAME`` names a stored style."""
NAME_PATTERN = re.compile(r"[^\W_][\w.+-]{0,63}")
"""Letters of any alphabet (étoilée, 星月夜), digits, ``. _ + -``; checked after NFC normalisation, so a
name typed with combining accents is the same name."""


def check_dtype(dtype: str) -> str:
    if dtype not in STORAGE_DTYPES:
        raise NeuralStyleError(f"dtype must be one of {', '.join(STORAGE_DTYPES)}. Received: dtype={dtype!r}")
    return dtype


def canonical_name(name: str) -> str:
    """``name`` NFC-normalised: "é" typed as one character or as e and a combining accent is one name."""
    return unicodedata.normalize("NFC", name) if isinstance(name, str) else name


def check_name(name: str) -> str:
    """A style name, NFC-normalised: 1-64 letters (any alphabet), digits, ``. _ + -``, starting with a
    letter or digit."""
    name = canonical_name(name)
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise NeuralStyleError(f"a style name is 1-64 letters, digits, '.', '_', '+' or '-', starting with a letter "
                               f"or digit. Received: {name!r}")
    return name


def unique_name(wanted: str, taken: set[str], fallback: str = "style") -> str:
    """A style name made from a file's name: letters (any alphabet), digits and ``. _ + -`` kept, other characters
    turned into ``-``, trimmed of leading and trailing punctuation, at most 56 characters, and
    ``-2``, ``-3``... added until it is not in ``taken``."""
    stem = re.sub(r"[^\w.+-]", "-", canonical_name(Path(str(wanted)).stem)).strip("._+-")[:56] or fallback
    return next(c for c in [stem] + [f"{stem}-{i}" for i in range(2, 10_000)] if c not in taken)


@dataclass(frozen=True)
class Provenance:
    """Where an entry's Grams came from. ``weights_sha256`` and ``pooling`` must match a run that uses
    it (they change every Gram); the rest is for people. ``blend_of``: ``((name, weight), ...)``."""

    source: str
    source_sha256: str
    width: int
    height: int
    weights_sha256: str
    pooling: str
    precision: str
    tool_version: str
    created: str
    segmentation: str | None = None
    segmentation_sha256: str | None = None
    blend_of: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_record(cls, record: Mapping) -> Provenance:
        """From its JSON form (``asdict``; JSON turns the ``blend_of`` pairs into lists)."""
        return cls(**{**record, "blend_of": tuple(tuple(pair) for pair in record.get("blend_of", ()))})


@dataclass(frozen=True)
class EntryInfo:
    """What ``styles list``/``show`` print: sizes ascending, layers in storage order, regions
    ``{key: share of the style image}``, storage bytes and dtype."""

    name: str
    kind: str
    provenance: Provenance
    sizes: tuple[int, ...]
    layers: tuple[str, ...]
    regions: Mapping[str, float]
    nbytes: int
    dtype: str


def describe_source(source: str | Path | np.ndarray) -> str:
    return f"array {list(source.shape)}" if isinstance(source, np.ndarray) else Path(source).name


def source_sha256(source: str | Path | np.ndarray) -> str:
    from neural_style.weights import file_sha256

    if isinstance(source, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(source).tobytes()).hexdigest()
    return file_sha256(source)


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
