"""Issue 19: quitting while a page loads must not print an AdminShutdown traceback. The list
model's own queries were quiet already (tests/test_table_model.py); these cover every other
background read and operation (dashboard figures, compliance reads, counts…), which run through
the one job runner: once the application quits, a job whose server goes away under it ends as
cancelled — no traceback in the log, no message, no late result. While the app runs, the same
failure still reaches the user."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QThreadPool
from sqlalchemy import Engine, text

from gcmc_desktop.views import workers
from gcmc_desktop.views.kit.operations import run_query
from gcmc_desktop.views.workers import UNREACHABLE

pytestmark = pytest.mark.gui
SLEEP = "SELECT pg_sleep(60) -- quit quietly"


@pytest.fixture
def pool() -> Iterator[QThreadPool]:
    pool = QThreadPool()
    yield pool
    pool.waitForDone(10_000)
    workers.QUITTING.clear()


def _load_then_lose_the_server(qtbot, engine: Engine, pool: QThreadPool, quit_first: bool):
    """A background read runs; (the app quits;) the server ends its backend as a shutdown
    does. Returns what reached the page: (results, errors, cancelled)."""
    started = threading.Event()

    def slow_read(_control) -> int:
        with engine.connect() as conn:
            started.set()
            return conn.scalar(text(SLEEP))

    results: list[object] = []
    errors: list[str] = []
    cancelled: list[bool] = []
    owner = QObject()  # the page
    job = run_query(owner, slow_read, on_done=results.append, on_error=errors.append, pool=pool)
    job.signals.cancelled.connect(lambda: cancelled.append(True))
    assert started.wait(10)
    if quit_first:
        workers.end_jobs_quietly()  # what QCoreApplication.aboutToQuit calls
    with engine.connect() as conn:  # pg_ctl stop -m fast does this to every backend
        qtbot.waitUntil(
            lambda: bool(
                conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE query = :q"
                    ),
                    {"q": SLEEP},
                )
            ),
            timeout=20_000,  # a loaded machine: the read may take a while to reach the server
        )
    assert pool.waitForDone(10_000)
    qtbot.wait(50)  # the job's signals reach the GUI thread
    return results, errors, cancelled


def test_a_read_running_when_the_app_quits_ends_quietly(
    qtbot, engine: Engine, pool: QThreadPool, caplog: pytest.LogCaptureFixture
) -> None:
    results, errors, cancelled = _load_then_lose_the_server(qtbot, engine, pool, quit_first=True)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not [r for r in caplog.records if r.exc_info]
    assert (results, errors, cancelled) == ([], [], [True])


def test_the_same_failure_while_the_app_runs_still_reaches_the_user(
    qtbot, engine: Engine, pool: QThreadPool, caplog: pytest.LogCaptureFixture
) -> None:
    results, errors, cancelled = _load_then_lose_the_server(qtbot, engine, pool, quit_first=False)
    assert results == [] and cancelled == []
    assert errors == [UNREACHABLE]  # a sentence for people; the details are in the log
    assert [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
