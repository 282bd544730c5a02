"""Compliance scores recalculated in the background (issue 14), on the QThread pool through the
one operation runner, so the GUI never waits for them:

* after a change that affects a client — its documents, their versions, its filings, the client
  itself — announced on the change bus (this workstation's commits and others'): the changes of
  a short pause are folded together, mapped to their clients and those clients recalculated;
  a change to the rules, bundles or types, a deleted row (its client is gone with it) or an
  "anything may have changed" recalculates the whole firm;
* for the whole firm on demand (`recalculate_all`: progress and Cancel through the job's
  control; a cancelled run writes nothing);
* at start when some score is missing or older than a day (`recalculate_if_stale`).

One run at a time: changes that arrive while one runs wait for it. Nothing happens for a user
without compliance:edit (score recalculation = edit, DOMAIN.md §1).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..services.changes import EVERYTHING, ChangeSet
from ..services.compliance_scoring import (
    AFFECTING_ENTITIES,
    FIRM_ENTITIES,
    RecalculationReport,
    affected_clients,
    recalculate,
    stale_client_count,
)
from ..services.context import Context
from ..services.errors import ServiceError
from .kit.bus import change_bus
from .kit.operations import run_operation
from .workers import Job, JobControl

DEBOUNCE_MS = 1_000
STALE_AFTER = timedelta(days=1)


class _Cancel:
    """The job control's Cancel, as the engine's `cancel.is_set()`."""

    def __init__(self, control: JobControl) -> None:
        self._control = control

    def is_set(self) -> bool:
        return self._control.cancelled


class ComplianceJobs(QObject):
    # A run ended: its RecalculationReport, or the ServiceError (a cancel included).
    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self, ctx: Context, parent: QObject | None = None, *, delay_ms: int = DEBOUNCE_MS
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._clients: dict[str, set[int]] = {}
        self._firm = False
        self._running: Job | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._run_pending)
        if ctx.can("compliance", "edit"):
            change_bus().subscribe(self, (*AFFECTING_ENTITIES,), self._changed)

    @property
    def busy(self) -> bool:
        return self._running is not None

    def _changed(self, changes: ChangeSet) -> None:
        for entity in AFFECTING_ENTITIES:
            mine = changes.entities.get(entity)
            if EVERYTHING in changes.entities:
                self._firm = True
            elif mine is None:
                continue
            elif entity in FIRM_ENTITIES or mine.all or mine.deleted:
                self._firm = True
            else:
                self._clients.setdefault(entity, set()).update(mine.ids())
        if self._firm or self._clients:
            self._timer.start()

    def _run_pending(self) -> None:
        if self._running is not None:
            return  # started again when the running one ends
        firm, clients = self._firm, self._clients
        self._firm, self._clients = False, {}
        if not firm and not clients:
            return

        def work(wctx: Context) -> RecalculationReport:
            ids = None if firm else affected_clients(wctx, clients)
            return recalculate(wctx, client_ids=ids)

        self._start(work, description=None)

    def recalculate_all(
        self, *, on_progress: Callable[[int, int, str], None] | None = None
    ) -> Job | None:
        """The whole firm, with progress; the returned job's `control.cancel()` cancels it.
        None when a run is already under way."""
        if self._running is not None or not self.ctx.can("compliance", "edit"):
            return None

        def work(wctx: Context, control: JobControl) -> RecalculationReport:
            def progress(done: int, total: int) -> None:
                control.progress(done, total, f"Compliance scores: {done:,} of {total:,} clients")

            return recalculate(wctx, progress=progress, cancel=_Cancel(control))

        job = self._start(work, description="Recalculating compliance scores", progress=True)
        if on_progress is not None:
            job.signals.progress.connect(on_progress)
        return job

    def recalculate_if_stale(self) -> None:
        """At start: the whole firm when a client has no score or one older than a day."""
        if not self.ctx.can("compliance", "edit"):
            return

        def work(wctx: Context) -> RecalculationReport | None:
            if not stale_client_count(wctx, wctx.tenant_id, older_than=STALE_AFTER):
                return None
            return recalculate(wctx)

        self._start(work, description=None)

    def _start(self, work: Callable[..., Any], *, description: str | None, progress=False) -> Job:
        def done(result: Any) -> None:
            self._running = None
            self.finished.emit(result)
            self._run_pending()

        def error(exc: ServiceError) -> None:
            self._running = None
            self.failed.emit(exc)
            self._run_pending()

        self._running = run_operation(
            self.ctx,
            work,
            owner=self,
            on_done=done,
            on_error=error,
            description=description,
            with_progress=progress,
        )
        return self._running
