"""Stopping a run from outside it: a token the front end sets (Ctrl-C and SIGTERM at the CLI's edge, a
button in the studio, another thread) and the core checks between objective evaluations, iterations
and tile visits. Nothing in the core catches KeyboardInterrupt."""

from __future__ import annotations

import threading


class CancelToken:
    """Set once, from any thread; :attr:`cancelled` says whether it has been."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Cancelled(Exception):
    """A run was cancelled before it had an image worth saving (its first scale unfinished)."""

    def __init__(self) -> None:
        super().__init__("cancelled before the first scale finished; nothing to save")
