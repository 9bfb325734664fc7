"""The studio's routes with aiohttp's test client, and its job queue over the real network: uploads
decoded and kept by content, bad uploads and traversal refused with one line, the token, jobs run,
cancelled and resumed after a restart. The page itself is tested in a browser (test_studio_browser.py)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from bad_uploads import bad_uploads
from conftest import DATA

from neural_style.images import encode_image, load_image
from neural_style.studio import jobs as studio_jobs
from neural_style.studio.jobs import Studio, upgrade_job
from neural_style.studio.server import build_app


def call(app, method: str, path: str, **kwargs) -> tuple[int, object]:
    """One request through aiohttp's test client to a fresh ``app()`` (an application serves one event
    loop): ``(status, JSON or bytes)``."""

    async def go():
        async with TestClient(TestServer(app())) as client:
            response = await client.request(method, path, **kwargs)
            body = await response.read()
            if response.content_type == "application/json":
                return response.status, json.loads(body)
            return response.status, body

    return asyncio.run(go())


@pytest.fixture(scope="module")
def studio(tmp_path_factory, engine):
    root = tmp_path_factory.mktemp("studio")
    studio = Studio(root / "data", root / "library.sqlite", engine)
    yield studio
    studio.close()


@pytest.fixture(scope="module")
def app(studio):
    return lambda: build_app(studio)


@pytest.fixture(scope="module")
def photo(app) -> dict:
    status, body = call(app, "POST", "/api/uploads?kind=photo", data=(DATA / "tubingen.jpg").read_bytes())
    assert status == 200, body
    return body


@pytest.fixture(scope="module")
def starry(app) -> dict:
    status, body = call(app, "POST", "/api/paintings?name=Starry Night!.jpg", data=(DATA / "starry_night.jpg").read_bytes())
    assert status == 200, body
    return body


def wait_for(studio: Studio, job_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = studio.job(job_id)
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {studio.job(job_id)['state']}")


def test_an_upload_is_decoded_kept_by_content_and_served_as_png(app, photo):
    assert (photo["kind"], photo["width"], photo["height"]) == ("photo", 1024, 768)  # tubingen.jpg's own size
    status, again = call(app, "POST", "/api/uploads?kind=photo", data=(DATA / "tubingen.jpg").read_bytes())
    assert status == 200 and again["id"] == photo["id"]
    status, png = call(app, "GET", f"/api/uploads/{photo['id']}.png")
    assert status == 200 and png.startswith(b"\x89PNG")
    original = load_image(DATA / "tubingen.jpg")
    kept = np.frombuffer(png, np.uint8)
    import cv2

    decoded = cv2.imdecode(kept, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32)
    assert decoded.shape == original.shape and np.abs(decoded - original).max() <= 0.5


@pytest.mark.parametrize("case", list(bad_uploads()))
def test_a_bad_upload_gets_one_line_and_the_studio_goes_on(app, photo, case):
    kind, raw, message = bad_uploads()[case]
    status, body = call(app, "POST", f"/api/uploads?kind={kind}", data=raw)
    assert status == 400 and message in body["error"] and "\n" not in body["error"], body
    assert "/tmp" not in body["error"]  # the temporary file's name is not the user's business
    assert call(app, "GET", f"/api/uploads/{photo['id']}.png")[0] == 200  # nothing broke


def test_a_body_over_the_limit_is_refused_with_413(app):
    status, body = call(app, "POST", "/api/uploads?kind=photo", data=b"\0" * (65 * 2**20))
    assert status == 413 and "MB" in body["error"]


@pytest.mark.parametrize("path", [
    "/api/uploads/..%2F..%2Fjobs.png", "/api/uploads/%2Fetc%2Fpasswd.png", "/static/..%2Fserver.py",
    "/static/../server.py", "/api/jobs/..%2F..%2Fuploads/result.png", "/api/jobs/aaaaaaaaaaaa/..%2Fjob.json",
    "/api/paintings/..%2F..%2Fetc/thumbnail.jpg", "/api/uploads/" + "0" * 24 + ".png", "/static/%2Fetc%2Fpasswd",
])
def test_traversal_and_unknown_ids_are_refused(app, path):
    status, body = call(app, "GET", path)
    assert status in (400, 404), (status, body)
    text = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert b"root:" not in text and b"import" not in text


def test_a_non_local_host_needs_the_token(studio):
    def tokened():
        return build_app(studio, "s3cret-token")

    assert call(tokened, "GET", "/api/jobs")[0] == 403
    assert call(tokened, "GET", "/api/jobs?token=wrong")[0] == 403
    assert call(tokened, "GET", "/api/jobs?token=s3cret-token")[0] == 200
    assert call(tokened, "GET", "/api/jobs", headers={"X-Studio-Token": "s3cret-token"})[0] == 200
    assert call(tokened, "GET", "/api/jobs", cookies={"studio_token": "s3cret-token"})[0] == 200
    # on 127.0.0.1 no token, but the Host must be local (no DNS rebinding)
    assert call(lambda: build_app(studio), "GET", "/api/jobs", headers={"Host": "attacker.example:8765"})[0] == 403


@pytest.mark.parametrize("change, message", [
    ({"colour": 1}, "unknown job field(s): colour"),
    ({"styles": []}, "choose at least one painting"),
    ({"styles": [{"name": "Starry-Night", "weight": -1}]}, "weight must be a number >= 0"),
    ({"styles": [{"name": "no-such-painting"}]}, "no-such-painting"),
    ({"content": "../../etc/passwd"}, "not an upload id"),
    ({"preset": "huge"}, "preset must be one of preview, default, high"),
    ({"max_size": 9000}, "max_size"),
    ({"styles": [{"name": "Starry-Night", "mask": "0" * 24}]}, "no upload"),
])
def test_a_bad_job_is_refused_in_one_line_before_it_is_queued(app, photo, starry, change, message):
    before = len(call(app, "GET", "/api/jobs")[1])
    job = {"content": photo["id"], "styles": [{"name": starry["name"]}], "preset": "preview"} | change
    status, body = call(app, "POST", "/api/jobs", json=job)
    assert status == 400 and message in body["error"] and "\n" not in body["error"], body
    assert len(call(app, "GET", "/api/jobs")[1]) == before


@pytest.mark.parametrize("mask, message", [
    (np.full((300, 300, 3), 255, np.uint8), "aspect ratio"),  # a square mask for a 4:3 photo
    (np.zeros((768, 1024, 3), np.uint8), "empty"),  # nothing painted
])
def test_a_mask_that_cannot_be_the_photos_is_refused_with_the_job(app, photo, starry, mask, message):
    status, upload = call(app, "POST", "/api/uploads?kind=mask", data=encode_image(mask))
    assert status == 200
    job = {"content": photo["id"], "styles": [{"name": starry["name"], "mask": upload["id"]}]}
    status, body = call(app, "POST", "/api/jobs", json=job)
    assert status == 400 and message in body["error"], body


def test_a_painting_goes_into_the_library_once_under_a_clean_name(app, studio, starry):
    assert starry["name"] == "Starry-Night"
    status, again = call(app, "POST", "/api/paintings?name=other.jpg", data=(DATA / "starry_night.jpg").read_bytes())
    assert status == 200 and again["name"] == "Starry-Night"  # the same image: its first name
    listed = {p["name"]: p for p in call(app, "GET", "/api/paintings")[1]}
    assert listed["Starry-Night"]["sizes"][:2] == [128, 256] and studio.library.names().count("Starry-Night") == 1
    status, thumb = call(app, "GET", listed["Starry-Night"]["thumbnail"])
    assert status == 200 and thumb.startswith(b"\xff\xd8")


def test_a_job_runs_with_a_mask_and_keeps_its_image_record_and_command(app, studio, photo, starry, tmp_path):
    status, scream = call(app, "POST", "/api/paintings?name=the_scream.jpg", data=(DATA / "the_scream.jpg").read_bytes())
    left = np.zeros((photo["height"], photo["width"], 3), np.uint8)
    left[:, : photo["width"] // 2] = 255
    status, mask = call(app, "POST", "/api/uploads?kind=mask", data=encode_image(left))
    events: list[dict] = []
    stop = studio.subscribe(events.append)
    job = {"content": photo["id"], "styles": [{"name": starry["name"], "mask": mask["id"]}, {"name": scream["name"]}],
           "preset": "preview", "max_size": 64, "max_iterations": 6}
    status, body = call(app, "POST", "/api/jobs", json=job)
    assert status == 200, body
    done = wait_for(studio, body["id"], ("done", "failed"))
    stop()
    assert done["state"] == "done", done["message"]
    white = done["spec"]["styles"][1]["mask"]  # the unmasked painting got an all-white mask
    assert white and white != mask["id"]
    assert done["command"][:5] == ["neural-style", "--content_img", f"photo-{photo['id']}.png", "--style_imgs",
                                   "Starry-Night.png"]
    assert done["command"][done["command"].index("--style_mask_imgs") + 1:][:2] == [f"mask-{mask['id']}.png",
                                                                                     f"mask-{white}.png"]
    progress = [e for e in events if e["type"] == "progress" and e["job"] == body["id"]]
    assert [e["iteration"] for e in progress] == list(range(1, 7)) and set(progress[0]["parts"]) >= {"content", "style"}
    assert [e["preview"] for e in progress if "preview" in e] == [1, 5]
    status, png = call(app, "GET", f"/api/jobs/{body['id']}/result.png")
    (tmp_path / "result.png").write_bytes(png)
    assert status == 200 and load_image(tmp_path / "result.png").shape == (48, 64, 3)
    status, record = call(app, "GET", f"/api/jobs/{body['id']}/result.json")
    assert status == 200 and record["studio_job"] == body["id"] and record["iterations"] == 6
    status, _ = call(app, "GET", f"/api/jobs/{body['id']}/result.png?download=1")
    assert status == 200


def test_cancel_stops_a_running_job_within_a_second_and_keeps_its_best_image_until_deleted(app, studio, photo, starry):
    started = threading.Event()
    stopped: list[float] = []

    def watch(event: dict) -> None:
        if event["type"] == "progress" and event["iteration"] >= 3:
            started.set()
        if event["type"] == "state" and event["state"] == "cancelled":
            stopped.append(time.monotonic())
            cancelled.set()

    cancelled = threading.Event()
    stop = studio.subscribe(watch)
    job = {"content": photo["id"], "styles": [{"name": starry["name"]}], "max_size": 64, "max_iterations": 500}
    job_id = call(app, "POST", "/api/jobs", json=job)[1]["id"]
    assert started.wait(120)
    status, body = call(app, "DELETE", f"/api/jobs/{job_id}")  # a running job is cancelled first
    assert status == 400 and body["error"] == f"job {job_id} is running: cancel it first"
    asked = time.monotonic()
    status, _ = call(app, "POST", f"/api/jobs/{job_id}/cancel")
    done = wait_for(studio, job_id, ("cancelled", "done", "failed"), timeout=10)
    cancelled.wait(10)  # the state is set just before its event is sent: let the event arrive
    stop()
    assert status == 200 and done["state"] == "cancelled" and "best image is kept" in done["message"]
    assert stopped and stopped[0] - asked < 1.0
    assert call(app, "GET", f"/api/jobs/{job_id}/result.png")[0] == 200

    seen: list[dict] = []
    stop = studio.subscribe(seen.append)
    status, body = call(app, "DELETE", f"/api/jobs/{job_id}")
    stop()
    assert status == 200 and body == {"deleted": job_id}
    assert not (studio.store.root / job_id).exists() and job_id not in [j["id"] for j in call(app, "GET", "/api/jobs")[1]]
    assert {"type": "deleted", "job": job_id} in seen  # every open page drops it from its history
    assert call(app, "GET", f"/api/jobs/{job_id}/result.png")[0] == 400  # no job
    for bad in ("..%2F..%2Fuploads", "../jobs", job_id.upper()):
        status, body = call(app, "DELETE", f"/api/jobs/{bad}")
        assert status in (400, 404, 405) and (status != 400 or "not a job id" in body["error"])


def test_after_a_restart_a_running_job_resumes_from_its_checkpoint_and_one_without_shows_interrupted(
        tmp_path, monkeypatch, engine):
    monkeypatch.setattr(studio_jobs, "CHECKPOINT_EVERY", 4)
    library = tmp_path / "library.sqlite"
    first = Studio(tmp_path / "data", library, engine)
    def app():
        return build_app(first)
    photo = call(app, "POST", "/api/uploads?kind=photo", data=(DATA / "tubingen.jpg").read_bytes())[1]
    painting = call(app, "POST", "/api/paintings?name=starry.jpg", data=(DATA / "starry_night.jpg").read_bytes())[1]
    reached = threading.Event()
    first.subscribe(lambda e: e["type"] == "progress" and e["iteration"] >= 9 and reached.set())
    job = {"content": photo["id"], "styles": [{"name": painting["name"]}], "max_size": 64, "max_iterations": 30}
    job_id = call(app, "POST", "/api/jobs", json=job)[1]["id"]
    assert reached.wait(120)
    first.close()  # as the server stopping: the job stays 'running' beside its checkpoint
    assert first.job(job_id)["state"] == "running"
    orphan = json.loads((tmp_path / "data" / "jobs" / job_id / "job.json").read_text()) | {"id": "0123456789ab"}
    (tmp_path / "data" / "jobs" / "0123456789ab").mkdir()
    (tmp_path / "data" / "jobs" / "0123456789ab" / "job.json").write_text(json.dumps(orphan))  # no checkpoint
    second = Studio(tmp_path / "data", library, engine)
    try:
        assert second.job("0123456789ab")["state"] == "interrupted"
        done = wait_for(second, job_id, ("done", "failed"))
        assert done["state"] == "done", done["message"]
        record = json.loads((tmp_path / "data" / "jobs" / job_id / "result.json").read_text())
        assert record["iterations"] == 30
        assert not (tmp_path / "data" / "jobs" / job_id / "result.checkpoint.npz").exists()
    finally:
        second.close()


def test_a_job_file_of_the_first_format_still_reads():
    old = {"format": 1, "id": "0123456789ab", "state": "done", "created": 1.0, "spec": {}, "command": []}
    job = upgrade_job(old)
    assert job["state"] == "done" and job["iteration"] == 0 and job["message"] == "" and job["format"] == 1
    with pytest.raises(ValueError, match="newer"):
        upgrade_job(old | {"format": 99})


def test_grabcut_turns_strokes_on_the_subject_into_its_mask(app, tmp_path):
    """Two strokes across the person in face.jpg (a cross inside its hand-made mask, 3 % of the photo)."""
    import cv2

    photo = call(app, "POST", "/api/uploads?kind=photo", data=(DATA / "face.jpg").read_bytes())[1]
    truth = load_image(DATA / "face_mask.png")[:, :, 0] > 127
    inner = cv2.erode(truth.astype(np.uint8), np.ones((81, 81), np.uint8)) > 0
    ys, xs = np.nonzero(inner)
    cross = np.zeros_like(inner)
    cross[:, int(xs.mean()) - 8:int(xs.mean()) + 8] = cross[int(ys.mean()) - 8:int(ys.mean()) + 8, :] = True
    strokes = np.repeat((cross & inner)[:, :, None], 3, axis=2).astype(np.uint8) * 255
    subject = call(app, "POST", "/api/uploads?kind=mask", data=encode_image(strokes))[1]
    status, mask = call(app, "POST", "/api/grabcut", json={"photo": photo["id"], "subject": subject["id"]})
    assert status == 200, mask
    (tmp_path / "mask.png").write_bytes(call(app, "GET", f"/api/uploads/{mask['id']}.png")[1])
    found = load_image(tmp_path / "mask.png")[:, :, 0] > 127
    overlap = (found & truth).sum() / (found | truth).sum()
    print(f"grabcut IoU with face_mask.png: {overlap:.3f}")
    assert overlap > 0.85
    status, body = call(app, "POST", "/api/grabcut", json={"photo": photo["id"], "subject": photo["id"][:-1] + "x"})
    assert status == 400 and "not an upload id" in body["error"]


def test_the_page_its_static_files_the_command_and_the_region_note(app, photo, starry):
    status, page = call(app, "GET", "/")
    assert status == 200 and page.lower().startswith(b"<!doctype html")
    for name in re.findall(rb'(?:src|href)="/static/([\w.-]+)"', page):
        assert call(app, "GET", f"/static/{name.decode()}")[0] == 200
    job = {"content": photo["id"], "styles": [{"name": starry["name"], "weight": 0.5}], "max_size": 300}
    status, body = call(app, "POST", "/api/command", json=job)
    assert status == 200 and body["command"] == [
        "neural-style", "--content_img", f"photo-{photo['id']}.png", "--style_imgs", "Starry-Night.png",
        "--style_imgs_weights", "0.5", "--max_size", "300", "-o", "result.png"]
    content_seg = call(app, "POST", "/api/uploads?kind=segmentation", data=(DATA / "dpst_in1_mask.png").read_bytes())[1]
    lake = call(app, "POST", "/api/uploads?kind=photo", data=(DATA / "dpst_in1.png").read_bytes())[1]
    painting = call(app, "POST", "/api/paintings?name=lake_style.png", data=(DATA / "dpst_in1_style.png").read_bytes())[1]
    style_seg = call(app, "POST", "/api/uploads?kind=segmentation",
                     data=(DATA / "dpst_in1_style_mask.png").read_bytes())[1]
    segmented = {"content": lake["id"], "content_segmentation": content_seg["id"],
                 "styles": [{"name": painting["name"], "segmentation": style_seg["id"]}]}
    status, body = call(app, "POST", "/api/regions", json=segmented)
    # the command line's note for the same files (tests/test_cli.py checks it there)
    assert status == 200 and body["note"].startswith("segmentation regions: 3: #000000 black 51% of the content"), body
    status, body = call(app, "POST", "/api/regions", json={"content": lake["id"], "styles": [{"name": painting["name"]}]})
    assert status == 400 and "segmentation of the photo first" in body["error"]
    unpaired = segmented | {"styles": [{"name": painting["name"]}]}  # the painting has no segmentation yet
    status, body = call(app, "POST", "/api/regions", json=unpaired)
    assert status == 400 and "give lake_style a segmentation too" in body["error"], body
    status, body = call(app, "POST", "/api/regions", json=segmented | {"content": photo["id"]})  # tubingen: 4:3
    assert status == 400 and "the photo's segmentation is 700x437" in body["error"] and "aspect ratio" in body["error"]


def test_events_stream_the_hello_then_a_jobs_states_and_progress(studio, photo, starry):
    async def go() -> list[dict]:
        async with TestClient(TestServer(build_app(studio))) as client:
            stream = await client.get("/api/events")
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            events = [json.loads((await stream.content.readline())[6:])]
            await stream.content.readline()
            job = {"content": photo["id"], "styles": [{"name": starry["name"]}], "max_size": 64, "max_iterations": 3}
            await client.post("/api/jobs", json=job)
            while not (events[-1]["type"] == "state" and events[-1]["state"] in ("done", "failed")):
                line = await asyncio.wait_for(stream.content.readline(), 120)
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
            stream.close()
            return events

    events = asyncio.run(go())
    assert events[0]["type"] == "hello" and isinstance(events[0]["jobs"], list)
    kinds = [(e["type"], e.get("state"), e.get("iteration")) for e in events[1:]]
    assert kinds[0] == ("state", "queued", None) and kinds[1] == ("state", "running", None)
    assert [k[2] for k in kinds if k[0] == "progress"] == [1, 2, 3] and kinds[-1] == ("state", "done", None)
