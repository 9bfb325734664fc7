"""The writer processes of the library's concurrency test (tests/test_library.py): they import the
library only (no TensorFlow), so that four start together in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

ENTRIES = 1
"""Entries each writer puts in each round's library."""


def write_rounds(source: str, folder: str, writer: int, rounds: int, barrier) -> None:
    """Copy ``source``'s entry "starry" (real Grams) into ``folder/round<r>.sqlite`` as ``style<writer>_<j>``,
    ``ENTRIES`` times a round, every writer starting each round's new file at once (``barrier``)."""
    from neural_style.library import StyleLibrary

    library = StyleLibrary(source)
    info = library.info("starry")
    blobs = {row[:3]: row[3:7] for row in library.encoded("starry")}
    try:
        for r in range(rounds):
            barrier.wait(timeout=120)
            target = StyleLibrary(Path(folder) / f"round{r}.sqlite")
            for j in range(ENTRIES):
                target.put_encoded(f"style{writer}_{j}", "image", info.provenance, blobs, {})
    except BaseException:
        barrier.abort()  # the others stop at their next round instead of waiting for this one
        raise
