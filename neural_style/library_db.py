"""The style library's SQLite file: its schema and migrations, WAL mode, waiting for other processes'
locks, and the connections :class:`~neural_style.library.StyleLibrary` reads and writes through.

Every failure comes out as NeuralStyleError (one line): a file that cannot be opened, one of another
program, one of a newer schema, a damaged one, or one another process holds past BUSY_TIMEOUT_S.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from neural_style.errors import NeuralStyleError

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of a current library. Older files are migrated on open (``MIGRATIONS``)."""
APPLICATION_ID = 0x4E53544C
"""``PRAGMA application_id`` ("NSTL"): an SQLite file of another program is refused, not altered."""
BUSY_TIMEOUT_S = 60.0
"""How long a connection waits for another process's lock before giving up (SQLite's busy timeout,
and :func:`enter_wal`'s retries, which it does not cover)."""

MIGRATIONS = (
    """
    CREATE TABLE styles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        provenance TEXT NOT NULL
    );
    CREATE TABLE regions (
        style_id INTEGER NOT NULL REFERENCES styles(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        share REAL NOT NULL,
        PRIMARY KEY (style_id, key)
    );
    CREATE TABLE grams (
        style_id INTEGER NOT NULL REFERENCES styles(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        region TEXT NOT NULL,
        layer TEXT NOT NULL,
        channels INTEGER NOT NULL,
        dtype TEXT NOT NULL,
        scale REAL NOT NULL,
        data BLOB NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (style_id, size, region, layer)
    );
    """,
)
"""``MIGRATIONS[v]`` takes a file from schema version ``v`` to ``v + 1`` (0 is a new, empty file)."""


def locked(exc: sqlite3.Error) -> bool:
    """SQLite's SQLITE_BUSY ("database is locked") or SQLITE_LOCKED ("database table is locked")."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def enter_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode. Leaving the rollback journal takes an exclusive lock, and SQLite answers
    "database is locked" at once, without its busy timeout, while another connection reads or writes:
    four processes opening a new library at the same moment failed 15 times in 100 (as
    tests/test_library.py's writers do), so the change is retried for up to BUSY_TIMEOUT_S."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not locked(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextmanager
def connect(path: Path, write: bool) -> Iterator[sqlite3.Connection]:
    """A connection to the library at ``path``, checked and migrated (created when ``write``); an
    absent library read without ``write`` is an empty one in memory. Closed on exit."""
    if not write and not path.exists():
        db = sqlite3.connect(":memory:")
        try:
            migrate(db, None)
            yield db
        finally:
            db.close()
        return
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
        mode = "rwc" if write else "rw" if os.access(path, os.W_OK) else "ro"
        uri = f"{path.resolve().as_uri()}?mode={mode}"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise NeuralStyleError(f"style library {path}: cannot open it: {exc}") from None
    try:
        db.execute("PRAGMA foreign_keys = ON")
        check(db, path)
        if mode != "ro":
            migrate(db, path)
        yield db
    except sqlite3.DatabaseError as exc:
        if locked(exc):
            raise NeuralStyleError(f"style library {path}: another process has held it for over "
                                   f"{BUSY_TIMEOUT_S:g} s ({exc}); try again when it is done") from None
        raise NeuralStyleError(f"style library {path}: damaged or not a style library ({exc})") from None
    finally:
        db.close()


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """A writing connection inside one ``BEGIN IMMEDIATE`` transaction: committed on exit, rolled
    back on any exception."""
    with connect(path, write=True) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def check(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a file of another program or of a newer schema."""
    application_id, version, tables = db.execute(  # one statement: one snapshot, whatever others write
        "SELECT a.application_id, v.user_version, (SELECT count(*) FROM sqlite_master) "
        "FROM pragma_application_id AS a, pragma_user_version AS v").fetchone()
    if application_id not in (0, APPLICATION_ID) or (application_id == 0 and version != 0) or (version == 0 and tables):
        raise NeuralStyleError(f"style library {path}: an SQLite file of another program, not a style library")
    if version > SCHEMA_VERSION:
        raise NeuralStyleError(f"style library {path}: schema version {version} is newer than this "
                               f"neural-style's ({SCHEMA_VERSION}); upgrade neural-style to use it")


def migrate(db: sqlite3.Connection, path: Path | None) -> None:
    """Bring the file at ``path`` (None: in memory) to SCHEMA_VERSION, in WAL mode, one step at a time,
    each step in one transaction."""
    if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    if path is not None:
        enter_wal(db)
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
        for step in range(version, SCHEMA_VERSION):
            for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                db.execute(statement)  # not executescript(), which would commit the open transaction
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
