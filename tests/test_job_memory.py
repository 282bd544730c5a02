"""The job runner gives back every finished job (found with the scanning station's all-day
memory run): a Python QRunnable handed to the pool was owned by C++ and never freed, and a
connected callable holding the job kept it alive from C++ where the garbage collector cannot
see. Every list page, count and operation is a job, thousands a day."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest
from PySide6.QtCore import QThreadPool

from gcmc_desktop.views import workers

pytestmark = pytest.mark.gui


def test_finished_failed_and_cancelled_jobs_are_freed(qtbot, monkeypatch) -> None:
    # pytest's log capture keeps each failure's record, and with it the traceback's frames
    # and the job; the application's log handlers write the record and let it go.
    monkeypatch.setattr(workers.log, "propagate", False)
    monkeypatch.setattr(workers.log, "handlers", [logging.NullHandler()])
    pool = QThreadPool()
    outcomes: list[str] = []
    alive: list[weakref.ref] = []

    def fails(_control) -> None:
        raise ValueError("no")

    def cancels(control) -> None:
        control.cancel()
        control.check()

    for fn in (lambda _control: 1, fails, cancels) * 20:
        job = workers.run_job(
            fn,
            on_done=lambda _r: outcomes.append("done"),
            on_error=lambda _m: outcomes.append("failed"),
            pool=pool,
            description="a job the progress area shows",
        )
        alive.append(weakref.ref(job))
    del job
    qtbot.waitUntil(lambda: len(outcomes) == 40 and not workers._running, timeout=10_000)
    pool.waitForDone(10_000)
    qtbot.wait(50)  # the last signals' handlers
    workers._finished.clear()  # the last few are kept a moment, to be freed on this thread
    gc.collect()
    assert sorted(outcomes) == ["done"] * 20 + ["failed"] * 20
    assert [ref for ref in alive if ref() is not None] == []
    assert workers._running == {}
    assert workers.monitor().active == 0
