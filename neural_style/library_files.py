"""A library entry as a file: ``styles export NAME FILE.npz`` and ``styles import FILE.npz``.

The ``.npz`` holds each stored Gram blob byte for byte (``blob0``, ``blob1``, ...) and ``meta``, one JSON
string: format name and version, the entry's name, kind, provenance and regions, and for each blob its
size, region, layer, channels, dtype, scale and sha256. No image: a style is shared without its painting.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.images import write_atomic
from neural_style.library import EntryInfo, Provenance, StyleLibrary
from neural_style.library_db import SCHEMA_VERSION

FORMAT = "neural-style style"


def export_entry(library: StyleLibrary, name: str, path: str | Path) -> None:
    """Write entry ``name`` to ``path`` (``.npz``), atomically."""
    info = library.info(name)
    arrays: dict[str, np.ndarray] = {}
    blobs = []
    for index, (size, region, layer, channels, dtype, scale, data, checksum) in enumerate(library.encoded(name)):
        arrays[f"blob{index}"] = np.frombuffer(data, np.uint8)
        blobs.append({"size": size, "region": region, "layer": layer, "channels": channels, "dtype": dtype,
                      "scale": scale, "sha256": checksum})
    meta = {"format": FORMAT, "version": SCHEMA_VERSION, "name": info.name, "kind": info.kind,
            "provenance": asdict(info.provenance), "regions": dict(info.regions), "blobs": blobs}
    arrays["meta"] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(path, buffer.getvalue())


def import_entry(library: StyleLibrary, path: str | Path, name: str | None = None) -> EntryInfo:
    """Add the entry in ``path`` under ``name`` (default: its own); every blob's checksum is verified."""
    if Path(path).is_file() and not zipfile.is_zipfile(path):  # np.load would take it for a pickle
        raise NeuralStyleError(f"{path}: not a neural-style style export (an .npz archive written by "
                               "'neural-style styles export')")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT or int(meta.get("version", 0)) > SCHEMA_VERSION:
                raise NeuralStyleError(f"{path}: not a neural-style style export (or one from a newer version)")
            blobs = {}
            for index, blob in enumerate(meta["blobs"]):
                raw = data[f"blob{index}"].tobytes()
                if hashlib.sha256(raw).hexdigest() != blob["sha256"]:
                    raise NeuralStyleError(f"{path}: {blob['layer']} at {blob['size']} px fails its checksum")
                blobs[(blob["size"], blob["region"], blob["layer"])] = (blob["channels"], blob["dtype"], blob["scale"], raw)
    except NeuralStyleError:
        raise
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise NeuralStyleError(f"{path}: cannot read a style export: {exc}") from None
    target = name or meta["name"]
    library.put_encoded(target, meta["kind"], Provenance.from_record(meta["provenance"]), blobs, meta.get("regions", {}))
    return library.info(target)
