"""The one background-job runner: run a callable on the global QThreadPool, report progress,
deliver its result or a user-facing error back on the GUI thread.

Jobs receive a `JobControl` to report progress and to notice cancellation; they open their own
database sessions (a Session is not shared across threads).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal

log = logging.getLogger(__name__)

# Set once the application is quitting (QCoreApplication.aboutToQuit): a job still running then
# fails when the embedded server stops under it (AdminShutdown), which is the end of it, not an
# error — nobody waits for its result any more. Such a job ends as cancelled, quietly.
QUITTING = threading.Event()
_watching_quit = False


def end_jobs_quietly() -> None:
    """What aboutToQuit calls: from now on a failing job is logged without a traceback."""
    QUITTING.set()


def _watch_quit() -> None:
    global _watching_quit
    app = QCoreApplication.instance()
    if not _watching_quit and app is not None:
        app.aboutToQuit.connect(end_jobs_quietly)
        _watching_quit = True


class JobCancelled(Exception):
    """Raised inside a job when its user cancelled it."""


class JobControl:
    """Handed to the job function: progress reporting and cooperative cancellation."""

    def __init__(self, signals: JobSignals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._signals.progress.emit(done, total, message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled()


class JobSignals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Job:
    """One background job: `run` on a pool thread, its outcome through `signals`."""

    def __init__(self, fn: Callable[[JobControl], Any], describe_error: Callable[[Exception], str]):
        self.signals = JobSignals()
        self.control = JobControl(self.signals)
        self._fn = fn
        self._describe_error = describe_error

    def run(self) -> None:
        try:
            result = self._fn(self.control)
        except JobCancelled:
            self.signals.cancelled.emit()
        except Exception as exc:
            if QUITTING.is_set():
                log.debug("background job ended by quitting: %s", type(exc).__name__)
                self.signals.cancelled.emit()
                return
            log.exception("background job failed")
            self.signals.failed.emit(self._describe_error(exc))
        else:
            self.signals.finished.emit(result)


UNREACHABLE = "The database cannot be reached. Check the connection and try again."
UNEXPECTED = (
    "Something went wrong. Try again; if it keeps happening, the "
    "application log has the details for your administrator."
)


def user_message(exc: Exception) -> str:
    """A message for people, never a traceback."""
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        from ..services.errors import DatabaseUnavailable
        from ..services.integrity import translate_database_error

        # A statement timeout is a busy server, not a lost one: say so.
        error = translate_database_error(exc)
        if isinstance(error, DatabaseUnavailable) and error.timed_out:
            return error.message
        return UNREACHABLE
    # An unexpected error's text may hold SQL, paths or values: it goes to the log (the job
    # runner logs it with its traceback), never onto the screen.
    return UNEXPECTED


_running: dict[int, Job] = {}


# The last finished jobs, dropped as later ones finish: a job (and its signals' QObject) is
# then freed on the GUI thread, well after the pool's thread has let go of it.
_finished: deque[Job] = deque(maxlen=32)


def _release(key: int, *_signal_args: Any) -> None:
    """After a job's last callback. Only the job's id is in the connection: PySide keeps the
    connected callables from C++, out of the garbage collector's sight, so a callable holding
    the job would keep it, its signals and their connections in memory for good."""
    job = _running.pop(key, None)
    if job is not None:
        _finished.append(job)


class JobMonitor(QObject):
    """What the main window's progress area shows: how many visible jobs run, and the latest
    progress message of any of them."""

    activeChanged = Signal(int)
    message = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.active = 0

    def _started(self, description: str) -> None:
        self.active += 1
        self.activeChanged.emit(self.active)
        self.message.emit(description)

    def _ended(self) -> None:
        self.active = max(0, self.active - 1)
        self.activeChanged.emit(self.active)


_monitor: JobMonitor | None = None


def monitor() -> JobMonitor:
    global _monitor
    if _monitor is None:
        _monitor = JobMonitor()
    return _monitor


def run_job(
    fn: Callable[[JobControl], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    pool: QThreadPool | None = None,
    description: str | None = None,
) -> Job:
    """Start `fn(control)` in the background; callbacks run on the GUI thread. Jobs with a
    `description` show in the main window's progress area while they run."""
    _watch_quit()
    job = Job(fn, user_message)
    _running[id(job)] = job
    if description:
        tracker = monitor()
        tracker._started(description)
        job.signals.progress.connect(lambda _d, _t, text: text and tracker.message.emit(text))
        for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
            signal.connect(lambda *_: tracker._ended())
    if on_progress:
        job.signals.progress.connect(on_progress)
    if on_done:
        job.signals.finished.connect(on_done)
    if on_error:
        job.signals.failed.connect(on_error)
    for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
        signal.connect(partial(_release, id(job)))  # connected last: after the callbacks
    # A plain callable, not a QRunnable subclass: a Python QRunnable handed to the pool is
    # owned by C++ and was never freed (every job stayed in memory, 6.7 kB each).
    (pool or QThreadPool.globalInstance()).start(job.run)
    return job
