"""`make lab` copies the lessons into the student's folder and opens JupyterLab on lesson 00."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from tools.notebooks import ROOT

LESSON_00 = "00_start_here/00_start_here.ipynb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lessons_are_copied_once_and_never_overwritten(tmp_path):
    work = tmp_path / "my_work"
    env = {**os.environ, "COURSE_WORK_DIR": str(work)}
    command = [sys.executable, "-m", "tools.lab", "--dry-run"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    copied = work / LESSON_00
    assert copied.read_bytes() == (ROOT / "lessons" / LESSON_00).read_bytes()
    copied.write_text("my answers")
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert second.returncode == 0 and copied.read_text() == "my answers"
    assert "--LabApp.default_url=/lab/tree/my_work/" + LESSON_00 in second.stdout


def test_jupyterlab_starts_and_serves_lesson_00(tmp_path):
    work = tmp_path / "my_work"
    port, token = free_port(), "course-test-token"
    env = {**os.environ, "COURSE_WORK_DIR": str(work), "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "tools.lab", "--no-browser", "--ip=127.0.0.1"),
            *(f"--port={port}", f"--IdentityProvider.token={token}"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/my_work/{LESSON_00}?token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    model = json.load(response)
                break
            except OSError:
                assert server.poll() is None, "jupyter lab exited early"
                assert time.monotonic() < deadline, "jupyter lab did not answer in 60 s"
                time.sleep(0.5)
        assert model["type"] == "notebook"
        assert model["content"]["cells"][0]["source"].startswith("# Lesson 00")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}") as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode is not None
