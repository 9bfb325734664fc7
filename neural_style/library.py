"""The style library: a style's Gram matrices stored once in an SQLite file and reused, blended,
exported and imported without the painting ("Deep Imitator"'s external style database).

An entry holds, for one style image (or a blend of entries), the Gram matrix ``[N, N]`` of every
layer in ``layers`` at every longest side in ``sizes`` (the ladder), for the whole image and, when it
was added with a segmentation, for each colour region. Storage per entry and size (the default six
layers, upper triangles only since a Gram is symmetric): 437,216 values, 1.75 MB in float32 (the
default), 0.87 MB in float16; the default ladder of five sizes is 8.7 MB (float32) per region.

Nothing here needs TensorFlow: listing, showing, blending and sharing a library start in well under a
second. Computing the Grams is :mod:`neural_style.library_build`'s work, blending entries
:mod:`neural_style.library_blend`'s, sharing them :mod:`neural_style.library_files`'; an entry as data
(names, provenance, what it holds) is :mod:`neural_style.library_entries`'.

Concurrency: the file is in WAL mode and every change is one ``BEGIN IMMEDIATE`` transaction, so
several processes may add to one library at once; a reader never sees half an entry. The file itself
(schema, migrations, locks, connections) is :mod:`neural_style.library_db`'s.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.grams import between_sizes, blend_grams, decode_gram, encode_gram
from neural_style.library_db import connect, transaction
from neural_style.library_entries import (  # noqa: F401 - re-exported: the library's names
    DEFAULT_DTYPE,
    LADDER,
    PREFIX,
    STORAGE_DTYPES,
    STORED_LAYERS,
    WHOLE,
    EntryInfo,
    Provenance,
    canonical_name,
    check_dtype,
    check_name,
    describe_source,
    source_sha256,
    unique_name,
    utc_now,
)

ENV_VAR = "NEURAL_STYLE_LIBRARY"


def default_library_path() -> Path:
    """``$NEURAL_STYLE_LIBRARY``, else ``$XDG_DATA_HOME/neural-style/styles.sqlite`` (``~/.local/share``)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "neural-style" / "styles.sqlite"


@dataclass(frozen=True)
class StoredStyle:
    """A stored style where a style image would go (``StyleSpec(image=StoredStyle)``): reads its Grams
    on demand. ``region``: the region whose Grams are used (WHOLE, or a key from ``info.regions``)."""

    library: Path
    info: EntryInfo
    region: str = WHOLE

    @property
    def name(self) -> str:
        return self.info.name

    def in_region(self, key: str) -> StoredStyle:
        """The same entry restricted to one of its segmentation regions."""
        return replace(self, region=key)

    def grams_at(self, size: float, layers: Sequence[str]) -> dict[str, np.ndarray]:
        """``{layer: [N, N]}`` float32 at longest side ``size`` (:func:`between_sizes`)."""
        missing = [layer for layer in layers if layer not in self.info.layers]
        if missing:
            raise NeuralStyleError(f"stored style {self.name!r} has no Grams for layer(s) {', '.join(missing)}; "
                                   f"it has {', '.join(self.info.layers)} (re-add it with --layers)")
        parts = between_sizes(size, self.info.sizes)
        with StyleLibrary(self.library)._read() as db:
            stored = [_read_grams(db, self.library, self.info.name, s, self.region, layers) for s, _ in parts]
        if len(parts) == 1:
            return stored[0]
        return blend_grams([w for _, w in parts], stored)


def _read_grams(db: sqlite3.Connection, path: Path, name: str, size: int, region: str,
                layers: Sequence[str]) -> dict[str, np.ndarray]:
    out = {}
    for layer in layers:
        row = db.execute("SELECT g.channels, g.dtype, g.scale, g.data, g.sha256 FROM grams g JOIN styles s "
                         "ON g.style_id = s.id WHERE s.name = ? AND g.size = ? AND g.region = ? AND g.layer = ?",
                         (name, size, region, layer)).fetchone()
        if row is None:
            raise NeuralStyleError(f"style library {path}: entry {name!r} lacks {layer} at {size} px; remove and re-add it")
        channels, dtype, scale, data, checksum = row
        if hashlib.sha256(data).hexdigest() != checksum:
            raise NeuralStyleError(f"style library {path}: entry {name!r}, {layer} at {size} px fails its checksum "
                                   "(the file is damaged); remove and re-add the entry")
        out[layer] = decode_gram(data, channels, dtype, scale)
    return out


class StyleLibrary:
    """One library file. Entries are written whole in one transaction; every method raises
    NeuralStyleError (one line) for a damaged file, an unknown name or a name taken."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_library_path()

    def _read(self):
        return connect(self.path, write=False)

    def _transaction(self):
        return transaction(self.path)

    # -- reading -----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        with self._read() as db:
            return [row[0] for row in db.execute("SELECT name FROM styles ORDER BY name")]

    def entries(self) -> list[EntryInfo]:
        """Every entry's description, by name (one query each for styles, regions and Gram sizes)."""
        with self._read() as db:
            return self._infos(db)

    def _infos(self, db: sqlite3.Connection, name: str | None = None) -> list[EntryInfo]:
        where, args = ("WHERE s.name = ?", (name,)) if name is not None else ("", ())
        styles = db.execute(f"SELECT s.id, s.name, s.kind, s.provenance FROM styles s {where} ORDER BY s.name", args).fetchall()
        grams: dict[int, list] = {}
        for row in db.execute("SELECT style_id, size, layer, dtype, length(data) FROM grams"):
            grams.setdefault(row[0], []).append(row[1:])
        regions: dict[int, dict[str, float]] = {}
        for style_id, key, share in db.execute("SELECT style_id, key, share FROM regions ORDER BY share DESC"):
            regions.setdefault(style_id, {})[key] = share
        infos = []
        for style_id, entry_name, kind, provenance in styles:
            rows = grams.get(style_id, [])
            infos.append(EntryInfo(
                entry_name, kind, Provenance.from_record(json.loads(provenance)), tuple(sorted({r[0] for r in rows})),
                tuple(dict.fromkeys(r[1] for r in rows)), regions.get(style_id, {}), sum(r[3] for r in rows),
                "/".join(sorted({r[2] for r in rows})),
            ))
        return infos

    def info(self, name: str) -> EntryInfo:
        name = canonical_name(name)
        with self._read() as db:
            found = self._infos(db, name)
            if not found:
                raise self._unknown(db, name)
            return found[0]

    def get(self, name: str) -> StoredStyle:
        """The stored style ``name``, for ``StyleSpec(image=...)``."""
        return StoredStyle(self.path, self.info(name))

    def _unknown(self, db: sqlite3.Connection, name: str) -> NeuralStyleError:
        names = [row[0] for row in db.execute("SELECT name FROM styles")]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else f" ({len(names)} stored; see 'neural-style styles list')"
        return NeuralStyleError(f"style library {self.path}: no style named {name!r}{hint}")

    def grams(self, name: str, size: int, region: str = WHOLE,
              layers: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """The stored Grams ``{layer: [N, N]}`` of one size and region (every stored layer, or
        ``layers``), exactly as stored (decoded to float32)."""
        name = canonical_name(name)
        info = self.info(name)
        with self._read() as db:
            return _read_grams(db, self.path, name, size, region, info.layers if layers is None else layers)

    # -- writing -----------------------------------------------------------------------------------

    def put(self, name: str, kind: str, provenance: Provenance, grams: Mapping[tuple[int, str, str], np.ndarray],
            dtype: str = DEFAULT_DTYPE, regions: Mapping[str, float] | None = None, replace_existing: bool = False) -> EntryInfo:
        """Store an entry: ``grams[(size, region, layer)] = [N, N]`` float32, encoded in ``dtype``."""
        check_dtype(dtype)
        blobs = {}
        for key, gram in grams.items():
            data, scale = encode_gram(gram, dtype)
            blobs[key] = (gram.shape[0], dtype, scale, data)
        self.put_encoded(name, kind, provenance, blobs, regions or {}, replace_existing)
        return self.info(name)

    def put_encoded(self, name: str, kind: str, provenance: Provenance,
                    blobs: Mapping[tuple[int, str, str], tuple[int, str, float, bytes]], regions: Mapping[str, float],
                    replace_existing: bool = False) -> None:
        """Store already-encoded blobs ``(channels, dtype, scale, data)`` in one transaction."""
        name = check_name(name)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM styles WHERE name = ?", (name,)).fetchone():
                if not replace_existing:
                    raise NeuralStyleError(f"style library {self.path}: a style named {name!r} exists; remove it "
                                           "first or choose another name")
                db.execute("DELETE FROM styles WHERE name = ?", (name,))
            style_id = db.execute("INSERT INTO styles (name, kind, provenance) VALUES (?, ?, ?)",
                                  (name, kind, json.dumps(asdict(provenance)))).lastrowid
            db.executemany("INSERT INTO regions VALUES (?, ?, ?)", [(style_id, k, float(v)) for k, v in regions.items()])
            db.executemany("INSERT INTO grams VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                (style_id, size, region, layer, channels, dtype, scale, data, hashlib.sha256(data).hexdigest())
                for (size, region, layer), (channels, dtype, scale, data) in blobs.items()])

    def add_sizes(self, name: str, grams: Mapping[tuple[int, str, str], np.ndarray]) -> EntryInfo:
        """Add Grams ``grams[(size, region, layer)]`` of more sizes to the entry ``name``, in its dtype;
        rows it already has (another process added them first) are kept as they are."""
        dtype = self.info(name).dtype
        rows = []
        for (size, region, layer), gram in grams.items():
            data, scale = encode_gram(gram, dtype)
            rows.append((size, region, layer, gram.shape[0], dtype, scale, data, hashlib.sha256(data).hexdigest()))
        with self._transaction() as db:
            found = db.execute("SELECT id FROM styles WHERE name = ?", (name,)).fetchone()
            if found is None:
                raise self._unknown(db, name)
            db.executemany("INSERT OR IGNORE INTO grams VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(found[0], *row) for row in rows])
        return self.info(name)

    def remove(self, name: str) -> None:
        name = canonical_name(name)
        with self._transaction() as db:
            if db.execute("DELETE FROM styles WHERE name = ?", (name,)).rowcount == 0:
                raise self._unknown(db, name)

    def rename(self, old: str, new: str) -> None:
        old, new = canonical_name(old), check_name(new)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM styles WHERE name = ?", (new,)).fetchone():
                raise NeuralStyleError(f"style library {self.path}: a style named {new!r} exists already")
            if db.execute("UPDATE styles SET name = ? WHERE name = ?", (new, old)).rowcount == 0:
                raise self._unknown(db, old)

    # -- sharing (neural_style.library_files) ------------------------------------------------------

    def encoded(self, name: str) -> list[tuple[int, str, str, int, str, float, bytes, str]]:
        """Every stored blob of ``name`` as ``(size, region, layer, channels, dtype, scale, data, sha256)``."""
        self.info(name)
        with self._read() as db:
            return db.execute("SELECT g.size, g.region, g.layer, g.channels, g.dtype, g.scale, g.data, g.sha256 "
                              "FROM grams g JOIN styles s ON g.style_id = s.id WHERE s.name = ?", (name,)).fetchall()
