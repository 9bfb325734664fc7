"""Paintings in the studio: those added on the page (kept as files, with a thumbnail, and added to the
style library under a name) and those already in the library (their Grams only). The page lists
both; a job names a painting by its library name."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from neural_style import images
from neural_style.errors import NeuralStyleError
from neural_style.library import StyleLibrary, unique_name
from neural_style.studio.uploads import UPLOAD_ID, decode_upload, keep_png

THUMBNAIL_SIDE = 256
LIBRARY_UP_TO = 256
"""A painting added in the studio gets the library's Grams up to this size at once (128 and 256 px,
what a preview needs: about a second); a larger run adds the sizes it needs (``cache_styles``)."""


class Paintings:
    """The studio's paintings: ``folder/<id>.png`` and ``<id>.thumb.jpg``, named in ``paintings.json``
    (``{name: id}``); ``library`` holds their Grams."""

    def __init__(self, folder: Path, library: StyleLibrary) -> None:
        self.folder, self.library = folder, library
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)

    def _index(self) -> dict[str, str]:
        try:
            index = json.loads((self.folder / "paintings.json").read_text())
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in index.items() if isinstance(v, str) and UPLOAD_ID.fullmatch(v)}

    def add(self, raw: bytes, wanted_name: str) -> dict:
        """Decode a painting, keep it with its thumbnail, and add it to the library (the same image
        added twice keeps its first name). Returns the painting as :meth:`list` shows it."""
        from neural_style.library_build import add_style, ladder_up_to

        decoded = decode_upload(raw, "painting")
        painting_id = keep_png(self.folder, decoded)
        path = self.folder / f"{painting_id}.png"
        with self._lock:
            index = self._index()
            known = next((name for name, pid in index.items() if pid == painting_id), None)
            if known is not None and known in self.library.names():
                return self.describe(known, painting_id)
            thumb = images.fit_longest_side(decoded, THUMBNAIL_SIDE)
            images.write_atomic(self.folder / f"{painting_id}.thumb.jpg", images.encode_image(images.to_uint8(thumb), ".jpg"))
            name = unique_name(wanted_name, set(self.library.names()), "painting")
            add_style(self.library, name, path, sizes=ladder_up_to(LIBRARY_UP_TO))
            index[name] = painting_id
            images.write_atomic(self.folder / "paintings.json", json.dumps(index, indent=1).encode())
        return self.describe(name, painting_id)

    def describe(self, name: str, painting_id: str | None) -> dict:
        return {"name": name, "id": painting_id,
                "thumbnail": f"/api/paintings/{painting_id}/thumbnail.jpg" if painting_id else None}

    def list(self) -> list[dict]:
        """Every painting a job may name: the library's entries, with the studio's image where it
        has one."""
        index = self._index()
        return [self.describe(info.name, index.get(info.name)) | {"sizes": list(info.sizes),
                                                                   "regions": sorted(info.regions)}
                for info in self.library.entries()]

    def file(self, name: str) -> Path | None:
        """The image file of a painting added in the studio, or None."""
        painting_id = self._index().get(name)
        path = self.folder / f"{painting_id}.png" if painting_id else None
        return path if path is not None and path.is_file() else None

    def thumbnail(self, painting_id: str) -> Path:
        if not isinstance(painting_id, str) or not UPLOAD_ID.fullmatch(painting_id):
            raise NeuralStyleError(f"not a painting id: {str(painting_id)[:40]!r}")
        path = self.folder / f"{painting_id}.thumb.jpg"
        if not path.is_file():
            raise NeuralStyleError(f"no painting {painting_id}")
        return path
