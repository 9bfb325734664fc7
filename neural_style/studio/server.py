"""The studio's HTTP routes (aiohttp): the page and its static files, uploads, paintings, jobs, and
their events as server-sent events. Routes only: the work is :class:`~neural_style.studio.jobs.Studio`'s.

Why aiohttp: one package gives the server, streaming responses for live events and a test client,
with no ASGI server beside it; the TensorFlow work runs on the studio's own thread, so the event loop
only moves bytes (the way crowsonkb/style-transfer-pytorch serves its progress viewer).

Safety: no client-sent name is used as a path (ids are checked against their pattern and looked up
under the studio's folder; static files are a fixed list); bodies are capped at
``uploads.MAX_UPLOAD_BYTES``; on 127.0.0.1 a request must name a local host (no DNS rebinding), on
any other host it must carry the token (query ``token``, header ``X-Studio-Token`` or the cookie the
page gets).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from importlib import resources
from pathlib import Path

from aiohttp import web

from neural_style.errors import NeuralStyleError
from neural_style.studio.jobs import Studio
from neural_style.studio.uploads import MAX_UPLOAD_BYTES, store_upload, upload_path

STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
KEEPALIVE_S = 15.0
STUDIO_KEY = web.AppKey("studio", Studio)
TOKEN_KEY = web.AppKey("token", str)


def static_files() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once: ``{name: (bytes, content type)}``; nothing else is served as static."""
    folder = resources.files("neural_style.studio") / "static"
    return {entry.name: (entry.read_bytes(), STATIC_TYPES[Path(entry.name).suffix])
            for entry in folder.iterdir() if Path(entry.name).suffix in STATIC_TYPES}


def error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json")


@web.middleware
async def guard(request: web.Request, handler):
    """The token or a local Host header; a one-line JSON error for bad input, 413 for a large body."""
    token = request.app[TOKEN_KEY]
    if token:
        given = request.query.get("token") or request.headers.get("X-Studio-Token") or request.cookies.get("studio_token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise error(web.HTTPForbidden, "this studio needs its token: open the address it printed")
    elif request.host.rsplit(":", 1)[0] not in LOCAL_HOSTS:
        raise error(web.HTTPForbidden, f"not a local address: {request.host[:60]}")
    try:
        response = await handler(request)
    except NeuralStyleError as exc:
        raise error(web.HTTPBadRequest, str(exc)) from None
    except web.HTTPRequestEntityTooLarge:
        message = json.dumps({"error": f"the file is over {MAX_UPLOAD_BYTES // 2**20} MB, the most the studio takes"})
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD_BYTES, text=message,
                                            content_type="application/json") from None
    if token and request.query.get("token"):
        response.set_cookie("studio_token", token, httponly=True, samesite="Strict")
    return response


async def in_thread(function, *args):
    """Run blocking work (decoding, GrabCut, the library) off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def build_app(studio: Studio, token: str = "") -> web.Application:
    """The studio's application; ``token``: required on every request when not empty."""
    app = web.Application(middlewares=[guard], client_max_size=MAX_UPLOAD_BYTES + 2**16)
    app[STUDIO_KEY], app[TOKEN_KEY] = studio, token
    files = static_files()

    async def page(request: web.Request) -> web.Response:
        body, kind = files["index.html"]
        return web.Response(body=body, content_type=kind)

    async def static(request: web.Request) -> web.Response:
        found = files.get(request.match_info["name"])
        if found is None:
            raise error(web.HTTPNotFound, "no such file")
        return web.Response(body=found[0], content_type=found[1])

    async def upload(request: web.Request) -> web.Response:
        kind = request.query.get("kind", "photo")
        raw = await request.read()
        return web.json_response((await in_thread(store_upload, studio.uploads, raw, kind)).as_json())

    async def uploaded(request: web.Request) -> web.FileResponse:
        return web.FileResponse(upload_path(studio.uploads, request.match_info["id"]))

    async def paintings(request: web.Request) -> web.Response:
        return web.json_response(await in_thread(studio.paintings.list))

    async def add_painting(request: web.Request) -> web.Response:
        raw = await request.read()
        return web.json_response(await in_thread(studio.paintings.add, raw, request.query.get("name", "painting")))

    async def thumbnail(request: web.Request) -> web.FileResponse:
        return web.FileResponse(studio.paintings.thumbnail(request.match_info["id"]))

    async def grabcut(request: web.Request) -> web.Response:
        data = await json_body(request)
        return web.json_response((await in_thread(studio.grabcut, data)).as_json())

    async def regions(request: web.Request) -> web.Response:
        return web.json_response(await in_thread(studio.describe_regions, await json_body(request)))

    async def command(request: web.Request) -> web.Response:
        return web.json_response({"command": await in_thread(studio.command_line, await json_body(request))})

    async def jobs(request: web.Request) -> web.Response:
        return web.json_response(studio.jobs())

    async def submit(request: web.Request) -> web.Response:
        data = await json_body(request)
        return web.json_response(await in_thread(studio.submit, data))

    async def job(request: web.Request) -> web.Response:
        return web.json_response(studio.job(request.match_info["id"]))

    async def cancel(request: web.Request) -> web.Response:
        return web.json_response(studio.cancel(request.match_info["id"]))

    async def delete(request: web.Request) -> web.Response:
        return web.json_response(await in_thread(studio.delete, request.match_info["id"]))

    async def job_file(request: web.Request) -> web.FileResponse:
        name = request.match_info["file"]
        if name not in ("result.png", "result.json", "preview.jpg"):
            raise error(web.HTTPNotFound, "no such file")
        path = studio.store.folder(request.match_info["id"]) / name
        if not path.is_file():
            raise error(web.HTTPNotFound, f"{name} is not there (yet)")
        download = request.query.get("download") is not None
        headers = {"Content-Disposition": f'attachment; filename="neural-style-{request.match_info["id"]}-{name}"'} \
            if download else {"Cache-Control": "no-store"}
        return web.FileResponse(path, headers=headers)

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        queue: asyncio.Queue[dict] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def deliver(event: dict) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the loop has closed: the server is stopping
                pass

        stop = studio.subscribe(deliver)
        try:
            hello = {"type": "hello", "jobs": studio.jobs(), "max_upload": MAX_UPLOAD_BYTES}
            await response.write(f"data: {json.dumps(hello)}\n\n".encode())
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            stop()
        return response

    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_post("/api/uploads", upload)
    app.router.add_get("/api/uploads/{id}.png", uploaded)
    app.router.add_get("/api/paintings", paintings)
    app.router.add_post("/api/paintings", add_painting)
    app.router.add_get("/api/paintings/{id}/thumbnail.jpg", thumbnail)
    app.router.add_post("/api/grabcut", grabcut)
    app.router.add_post("/api/regions", regions)
    app.router.add_post("/api/command", command)
    app.router.add_get("/api/jobs", jobs)
    app.router.add_post("/api/jobs", submit)
    app.router.add_get("/api/jobs/{id}", job)
    app.router.add_post("/api/jobs/{id}/cancel", cancel)
    app.router.add_delete("/api/jobs/{id}", delete)
    app.router.add_get("/api/jobs/{id}/{file}", job_file)
    app.router.add_get("/api/events", events)
    return app


async def json_body(request: web.Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        raise NeuralStyleError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise NeuralStyleError("the request body must be a JSON object")
    return data
