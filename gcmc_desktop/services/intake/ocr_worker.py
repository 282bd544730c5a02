"""OCR in a process of its own, so the station's window never waits for it.

Run in a thread of the station, OCR held the interpreter's lock often enough to freeze the
window: loading RapidOCR (onnxruntime and its models) froze it for 150 ms, and the engine's
Python-side pre- and post-processing ran between the window's events. In a child process it
shares nothing with the window but a pipe, runs at a lower priority, and its memory is given
back to the system each time the child is recycled (every `TASKS_PER_CHILD` parts), so a
station that runs all day does not grow.

OCR never stops filing: a child that crashes, hangs past the timeout or cannot start is
ended and replaced on the next request, and the part is filed without text.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger(__name__)
TASKS_PER_CHILD = 100
TIMEOUT_S = 900.0  # one part: a long image-only scan at tens of seconds a page
NICENESS = 5


def _serve(conn: Connection) -> None:
    """The child: read parts until the pipe closes (the station quit or was killed)."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    from . import ocr

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        kind, pdf, preference = request
        try:
            if kind == "warm":
                ocr.warm(preference)
                reply = ("ok", "")
            else:
                reply = ("ok", ocr.ocr_pdf(Path(pdf), preference))
        except Exception as exc:  # reported to the station, which files without text
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class OcrWorker:
    """One OCR child, started on first use; requests from any thread are served one at a
    time (a second child would only compete for the same two cores)."""

    def __init__(self, tasks_per_child: int = TASKS_PER_CHILD, timeout_s: float = TIMEOUT_S):
        self.tasks_per_child = tasks_per_child
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._tasks = 0

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs (the benchmark adds up its memory)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def read_pdf(self, pdf: Path, preference: str) -> str:
        """The text OCR reads in `pdf`; "" when there is none or the child failed."""
        return self._ask(("read", str(pdf), preference), pdf.name)

    def warm(self, preference: str) -> None:
        """Start the child and load the engine now, so the first scan does not wait for it."""
        self._ask(("warm", "", preference), "the OCR engine")

    def _ask(self, request: tuple[str, str, str], what: str) -> str:
        with self._lock:
            try:
                conn = self._ready()
                conn.send(request)
                if not conn.poll(self.timeout_s):
                    log.warning("OCR of %s took over %.0f s; stopped", what, self.timeout_s)
                    self._end(kill=True)
                    return ""
                status, text = conn.recv()
            except (EOFError, OSError) as exc:
                log.warning("The OCR process ended while reading %s (%s)", what, exc)
                self._end(kill=True)
                return ""
            self._tasks += 1
            if self._tasks >= self.tasks_per_child:
                self._end()
            if status != "ok":
                log.warning("OCR of %s failed: %s", what, text)
                return ""
            return text

    def _ready(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._end(kill=True)
        context = multiprocessing.get_context("spawn")  # no fork of a process running Qt
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), name="gcmc-ocr", daemon=True)
        process.start()
        theirs.close()
        self._process, self._conn, self._tasks = process, ours, 0
        return ours

    def _end(self, kill: bool = False) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            if not kill:
                try:
                    conn.send(None)
                except OSError:
                    kill = True
            conn.close()
        if process is not None:
            process.join(0 if kill else 10)
            if process.is_alive():
                process.kill()
                process.join(5)

    def stop(self, wait_s: float = 5.0) -> None:
        """End the child: once the part being read is done, if that is within `wait_s`; else
        at once (quitting never waits for a long scan; that part is filed without text)."""
        if self._lock.acquire(timeout=wait_s):
            try:
                self._end()
            finally:
                self._lock.release()
            return
        process = self._process
        if process is not None and process.is_alive():
            process.kill()  # the reading thread sees the pipe close and cleans up


_shared: OcrWorker | None = None
_shared_lock = threading.Lock()


def shared() -> OcrWorker:
    """The application's one OCR worker (ended when the program exits)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = OcrWorker()
            atexit.register(stop_shared)
        return _shared


def stop_shared() -> None:
    with _shared_lock:
        worker = _shared
    if worker is not None:
        worker.stop()
