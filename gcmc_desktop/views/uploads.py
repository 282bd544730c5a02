"""Uploads from the GUI: files in, checked, copied into the outbox and sent — each file one
background job through `run_job`, with progress per file and for the whole batch.

A few jobs run at once (a pool of their own, so uploads never hold up list queries or other
work) and the rest wait in a queue here: starting a thousand QRunnables at once would cost the
GUI thread a visible pause, and more than a few parallel transfers do not make one disk or one
link faster. Workers never emit a signal per chunk; they write byte counts into the upload's
record and a timer on the GUI thread turns those into signals a few times a second, so a fast
transfer cannot flood the event loop.

Cancelling an upload forgets it (the user said no); `shutdown` stops the jobs but keeps their
outbox entries, which `start` resumes next time. Uploads that must wait for the server or the
storage stay in the outbox and are retried periodically.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from ..services.changes import ChangeSet
from ..services.context import Context
from ..services.documents import save_text_layer
from ..services.errors import ServiceError
from ..services.file_checks import DEFAULT_MAX_BYTES, PDF, BadFile, check_file, extract_pdf_text
from ..services.outbox import (
    Outbox,
    OutboxEntry,
    Outcome,
    UploadDeferred,
    UploadRefused,
    UploadTarget,
)
from ..services.storage import StorageCancelled, StorageProvider
from .kit.bus import change_bus
from .workers import Job, JobCancelled, JobControl, run_job

log = logging.getLogger(__name__)

CONCURRENCY = 2
TICK_MS = 100
RETRY_MS = 60_000
CANCELLED = "Cancelled."


@dataclass(eq=False)
class Upload:
    """One file on its way; byte counters are written by the worker, read by the GUI timer."""

    name: str
    path: Path | None  # None: resumed from the outbox
    target: UploadTarget | None
    size: int
    entry: OutboxEntry | None = None
    copied: int = 0
    uploaded: int = 0
    job: Job | None = None
    finished: bool = False
    keep: bool = False  # on cancel, keep the outbox entry (shutdown) instead of forgetting it
    outcome: Outcome | None = None
    error: str | None = None
    reported: int = field(default=-1, repr=False)

    @property
    def done_bytes(self) -> int:
        if self.finished:
            return self.size
        if self.path is None:
            return min(self.uploaded, self.size)
        # A new file is read twice, into the outbox and to the storage: each is half the work.
        return min((self.copied + self.uploaded) // 2, self.size)


class _Tracker:
    """The `Control` the outbox sees: cancellation from the job, bytes into the Upload."""

    def __init__(self, control: JobControl, upload: Upload, phase: str) -> None:
        self._control = control
        self._upload = upload
        self._phase = phase

    @property
    def cancelled(self) -> bool:
        return self._control.cancelled

    def check(self) -> None:
        self._control.check()

    def progress(self, done: int, total: int, message: str = "") -> None:
        setattr(self._upload, self._phase, done)


class UploadManager(QObject):
    """Takes files, sends them through the outbox, and reports per file and per batch."""

    fileQueued = Signal(str)  # name: the upload is accepted and waits its turn
    fileProgress = Signal(str, "qint64", "qint64")  # name, bytes done, bytes total
    overallProgress = Signal("qint64", "qint64")  # bytes done, total of the current batch
    fileFinished = Signal(str, str)  # name, what happened ("Uploaded … as version 2 …")
    fileFailed = Signal(str, str)  # name, reason
    # name, how it ended ("done", "refused", "deferred", "failed" or "cancelled"), message:
    # the uploads panel colours refusals apart from a cancel or a retry later.
    fileEnded = Signal(str, str, str)
    textExtracted = Signal(int)  # version id whose text layer was saved
    idle = Signal()  # the batch is over: nothing queued or running

    def __init__(
        self,
        ctx: Context,
        storage: StorageProvider,
        *,
        outbox: Outbox | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        concurrency: int = CONCURRENCY,
        retry_ms: int = RETRY_MS,
        extract_text: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.storage = storage
        self.outbox = outbox or Outbox()
        self.max_bytes = max_bytes
        self.extract_text = extract_text
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, concurrency))
        self._text_pool = QThreadPool(self)
        self._text_pool.setMaxThreadCount(1)
        self._queue: deque[Upload] = deque()
        self._running: dict[str, Upload] = {}
        self._names: dict[str, Upload] = {}  # every upload of the batch not yet finished
        self._entry_ids: set[str] = set()  # outbox entries queued or running here
        self._concurrency = max(1, concurrency)
        self._queued_bytes = 0
        self._batch_finished = 0
        self._reported_overall: tuple[int, int] = (-1, -1)
        self._stopped = False
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._report)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(retry_ms)
        self._retry.timeout.connect(self.resume)

    # -- public -------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self._queue or self._running)

    def names(self) -> list[str]:
        """Uploads queued or running, in order."""
        return list(self._names)

    def start(self) -> None:
        """Resume what the outbox holds for this user (left by a crash, a shutdown or an
        unreachable server)."""
        self._stopped = False
        self.resume()

    def resume(self) -> None:
        """Queue this user's pending outbox entries that are not already on their way."""
        ctx, outbox = self.ctx, self.outbox

        def listing(_control: JobControl) -> list[OutboxEntry]:
            outbox.remove_strays()
            return outbox.pending(ctx)

        run_job(listing, on_done=self._resumed, pool=self._pool)

    def add_files(self, paths: Iterable[str | Path], target: UploadTarget) -> list[str]:
        """Upload `paths` to `target` (each file a new document, or each a new version of one
        document). Returns the names the signals will use for them."""
        names = []
        for path in paths:
            path = Path(path)
            size = 0
            with contextlib.suppress(OSError):
                size = path.stat().st_size
            upload = Upload(self._unique(path.name), path, target, size)
            names.append(upload.name)
            self._enqueue(upload)
        self._pump()
        return names

    def cancel(self, name: str) -> None:
        """Stop one upload and forget it; what was already stored without a row is left to the
        storage's orphan clean-up."""
        upload = self._names.get(name)
        if upload is None:
            return
        if upload.job is None:
            self._queue.remove(upload)
            self._queued_bytes -= upload.size
            self._end(upload, succeeded=False)
            self.fileFailed.emit(upload.name, CANCELLED)
            self.fileEnded.emit(upload.name, "cancelled", CANCELLED)
            self._after()
        else:
            upload.job.control.cancel()

    def cancel_all(self) -> None:
        for name in list(self._names):
            self.cancel(name)

    def shutdown(self) -> None:
        """Stop sending (the application is closing or the user signs out): running jobs are
        cancelled, and every entry stays in the outbox for the next start."""
        self._stopped = True
        self._retry.stop()
        while self._queue:
            upload = self._queue.popleft()
            self._queued_bytes -= upload.size
            self._end(upload, succeeded=False)
        for upload in self._running.values():
            upload.keep = True
            if upload.job is not None:
                upload.job.control.cancel()

    # -- queue --------------------------------------------------------------------------------

    def _unique(self, name: str) -> str:
        if name not in self._names:
            return name
        stem, suffix = Path(name).stem, Path(name).suffix
        n = 2
        while f"{stem} ({n}){suffix}" in self._names:
            n += 1
        return f"{stem} ({n}){suffix}"

    def _enqueue(self, upload: Upload) -> None:
        if not self._names:
            self._queued_bytes = self._batch_finished = 0
            self._reported_overall = (-1, -1)
        self._names[upload.name] = upload
        if upload.entry is not None:
            self._entry_ids.add(upload.entry.id)
        self._queued_bytes += upload.size
        self._queue.append(upload)
        if not self._tick.isActive():
            self._tick.start()
        self.fileQueued.emit(upload.name)

    def _resumed(self, entries: list[OutboxEntry]) -> None:
        if self._stopped:
            return
        for entry in entries:
            if entry.id in self._entry_ids:
                continue
            upload = Upload(self._unique(entry.original_name), None, entry.target, entry.size)
            upload.entry = entry
            self._enqueue(upload)
        self._pump()

    def _pump(self) -> None:
        while self._queue and len(self._running) < self._concurrency and not self._stopped:
            upload = self._queue.popleft()
            self._queued_bytes -= upload.size
            self._running[upload.name] = upload
            upload.job = self._start_job(upload)

    def _start_job(self, upload: Upload) -> Job:
        ctx, outbox, storage, max_bytes = self.ctx, self.outbox, self.storage, self.max_bytes

        def work(control: JobControl) -> tuple[str, Any]:
            copying = _Tracker(control, upload, "copied")
            uploading = _Tracker(control, upload, "uploaded")
            with ctx.worker() as wctx:
                try:
                    if upload.entry is None:
                        assert upload.path is not None and upload.target is not None
                        checked = check_file(upload.path, max_bytes=max_bytes)
                        upload.size = checked.size
                        upload.entry = outbox.enqueue(
                            wctx,
                            upload.path,
                            upload.target,
                            mime_type=checked.mime_type,
                            control=copying,
                        )
                        upload.size = upload.entry.size
                    return "done", outbox.process(upload.entry, wctx, storage, uploading)
                except StorageCancelled:
                    if control.cancelled:
                        raise JobCancelled() from None
                    raise
                except UploadDeferred as exc:
                    return "deferred", exc.message
                except (UploadRefused, BadFile) as exc:
                    # An expected outcome (a bad file, a rule the server enforces): the row
                    # shows the reason; no traceback in the log.
                    return "refused", exc.message

        job = run_job(
            work,
            on_done=lambda result: self._job_done(upload, result),
            on_error=lambda message: self._job_failed(upload, message),
            pool=self._pool,
            description=f"Uploading {upload.name}",
        )
        job.signals.cancelled.connect(lambda: self._job_cancelled(upload))
        return job

    # -- endings (GUI thread) -------------------------------------------------------------------

    def _end(self, upload: Upload, *, succeeded: bool) -> None:
        self._running.pop(upload.name, None)
        self._names.pop(upload.name, None)
        if upload.entry is not None:
            self._entry_ids.discard(upload.entry.id)
        upload.finished = True
        upload.job = None
        # A refused or cancelled file is no part of the work done: counting its bytes as done
        # would put the batch total far ahead of the rows still uploading.
        if succeeded:
            self._batch_finished += upload.size

    def _job_done(self, upload: Upload, result: tuple[str, Any]) -> None:
        kind, value = result
        self._end(upload, succeeded=kind == "done")
        if kind == "done":
            self.fileProgress.emit(upload.name, upload.size, upload.size)
            outcome: Outcome = value
            upload.outcome = outcome
            self.fileFinished.emit(upload.name, outcome.message)
            self.fileEnded.emit(upload.name, "done", outcome.message)
            if not outcome.duplicate and outcome.document_id is not None:
                # Every list and workspace showing documents refreshes itself.
                changes = ChangeSet()
                changes.add("document", "updated", [outcome.document_id])
                if outcome.version_id:
                    changes.add("document_version", "created", [outcome.version_id])
                change_bus().publish(changes)
                if self.extract_text and outcome.entry.mime_type == PDF and outcome.version_id:
                    self._extract_text(outcome)
        else:
            upload.error = value
            log.info("Upload of %s %s: %s", upload.name, kind, value)
            self.fileFailed.emit(upload.name, value)
            self.fileEnded.emit(upload.name, kind, value)
            if kind == "deferred" and not self._stopped:
                self._retry.start()
        self._after()

    def _job_failed(self, upload: Upload, message: str) -> None:
        # A bad file (refused by the check: nothing was copied) or an outbox that cannot be
        # written; either way the original file is untouched.
        self._end(upload, succeeded=False)
        upload.error = message
        self.fileFailed.emit(upload.name, message)
        self.fileEnded.emit(upload.name, "failed", message)
        self._after()

    def _job_cancelled(self, upload: Upload) -> None:
        self._end(upload, succeeded=False)
        if upload.entry is not None and not upload.keep:
            self.outbox.discard(upload.entry)
        upload.error = CANCELLED
        self.fileFailed.emit(upload.name, CANCELLED)
        self.fileEnded.emit(upload.name, "cancelled", CANCELLED)
        self._after()

    def _after(self) -> None:
        self._pump()
        if not self._names:
            self._tick.stop()
            self._report()
            self.idle.emit()

    def _report(self) -> None:
        running_done = 0
        running_size = 0
        for upload in list(self._running.values()):
            done = upload.done_bytes
            running_done += done
            running_size += upload.size
            if done != upload.reported:
                upload.reported = done
                self.fileProgress.emit(upload.name, done, upload.size)
        total = self._batch_finished + running_size + self._queued_bytes
        overall = (self._batch_finished + running_done, total)
        if overall != self._reported_overall:
            self._reported_overall = overall
            self.overallProgress.emit(*overall)

    # -- text layer ---------------------------------------------------------------------------

    def _extract_text(self, outcome: Outcome) -> None:
        ctx, storage = self.ctx, self.storage
        key, version_id = outcome.entry.storage_key, outcome.version_id
        if key is None or version_id is None:
            return

        def work(_control: JobControl) -> int | None:
            with tempfile.TemporaryDirectory(prefix="gcmc-text-") as folder:
                copy = Path(folder) / "document.pdf"
                storage.download_to(key, copy)
                try:
                    text = extract_pdf_text(copy)
                except ServiceError:
                    return None
            with ctx.worker() as wctx:
                return version_id if save_text_layer(wctx, version_id, text) else None

        def done(saved: int | None) -> None:
            if saved is not None:
                self.textExtracted.emit(saved)

        run_job(
            work,
            on_done=done,
            on_error=lambda m: log.info("Text layer not saved: %s", m),
            pool=self._text_pool,
        )
