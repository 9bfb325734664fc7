"""neural-style studio: a local web app to paint masks on a photo, pick paintings, watch runs and keep
their results. ``neural-style studio`` starts it (:func:`serve`); :mod:`.server` holds the routes,
:mod:`.jobs` the queue over :mod:`neural_style.runs`, :mod:`.uploads` and :mod:`.paintings` what the
page sends, ``static/`` the page (plain HTML, CSS and ES modules, served by the package).

Needs the ``studio`` extra (aiohttp): ``pip install 'neural-style[studio]'``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path

from neural_style.errors import NeuralStyleError

DEFAULT_PORT = 8765


def default_data_folder() -> Path:
    """``$XDG_DATA_HOME/neural-style/studio`` (``~/.local/share/...`` by default)."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "neural-style" / "studio"


def serve(data: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, library: str | Path | None = None,
          ready: Callable[[str, bool], None] | None = None) -> None:
    """Run the studio until interrupted (KeyboardInterrupt). ``ready(url, tokened)`` is called once it
    listens (``port`` 0: any free port); on a host other than 127.0.0.1 the URL carries a random
    token that every request must show."""
    try:
        from aiohttp import web
    except ImportError:
        raise NeuralStyleError("the studio needs aiohttp: pip install 'neural-style[studio]'") from None
    from neural_style.studio.jobs import Studio
    from neural_style.studio.server import build_app

    token = "" if host in ("127.0.0.1", "localhost") else secrets.token_urlsafe(24)
    studio = Studio(Path(data), library)

    async def run() -> None:
        runner = web.AppRunner(build_app(studio, token), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = runner.addresses[0][1]
            shown = "127.0.0.1" if host in ("127.0.0.1", "localhost") else host
            url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
            if ready is not None:
                ready(url, bool(token))
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(run())
    except OSError as exc:
        raise NeuralStyleError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        studio.close()
