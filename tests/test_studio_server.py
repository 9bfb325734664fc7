"""``neural-style studio`` as a user starts it: a queue of ten jobs, ``kill -9`` during an eleventh,
a restart that resumes it and loses nothing; a port in use and a non-local host, in one line."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import DATA

from bench.studio_page import start_studio

ROOT = Path(__file__).resolve().parent.parent


def request(url: str, body: bytes | dict | None = None) -> dict:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": "application/json"} if isinstance(body, dict) else {}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=60) as response:
        return json.loads(response.read())


def wait_until(check, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_ten_queued_jobs_finish_and_a_job_killed_with_the_server_resumes_after_a_restart(tmp_path):
    data, library = tmp_path / "data", tmp_path / "library.sqlite"
    proc, url = start_studio(data, library)
    try:
        photo = request(url + "api/uploads?kind=photo", (DATA / "tubingen.jpg").read_bytes())
        painting = request(url + "api/paintings?name=starry.jpg", (DATA / "starry_night.jpg").read_bytes())
        job = {"content": photo["id"], "styles": [{"name": painting["name"]}], "max_size": 64}
        quick = [request(url + "api/jobs", job | {"max_iterations": k})["id"] for k in range(1, 11)]
        long = request(url + "api/jobs", job | {"max_iterations": 30})["id"]
        wait_until(lambda: request(url + f"api/jobs/{long}")["iteration"] >= 12)  # checkpoints every 10
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads((data / "jobs" / long / "job.json").read_text())["state"] == "running"
    proc, url = start_studio(data, library)
    try:
        jobs = {j["id"]: j for j in request(url + "api/jobs")}
        assert [jobs[q]["state"] for q in quick] == ["done"] * 10
        done = wait_until(lambda: (j := request(url + f"api/jobs/{long}"))["state"] in ("done", "failed") and j)
        assert done["state"] == "done", done["message"]
        records = [json.loads((data / "jobs" / j / "result.json").read_text()) for j in [*quick, long]]
        assert [r["iterations"] for r in records] == [*range(1, 11), 30]
        assert len({(data / "jobs" / q / "result.png").read_bytes() for q in quick}) == 10
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) in (0, 130, 143)


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "cli.py", "studio", "--no-browser", "--port", str(port), "--data",
                               str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_a_non_local_host_warns_and_refuses_requests_without_the_token(tmp_path):
    proc, url = start_studio(tmp_path / "data", tmp_path / "library.sqlite", "--host", "0.0.0.0")
    try:
        assert "?token=" in url
        bare = url.split("?")[0] + "api/jobs"
        try:
            urllib.request.urlopen(bare, timeout=30)
            raise AssertionError("a request without the token was served")
        except urllib.error.HTTPError as refused:
            assert refused.code == 403
        assert request(url.replace("/?token=", "/api/jobs?token=")) == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
