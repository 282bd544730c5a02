"""The one operation runner (Anki's CollectionOp/QueryOp idea).

`run_operation` runs a service call (usually a write) off the GUI thread in its own session.
Its result — or the ServiceError *object*, since a conflict needs its `.current` and a
validation error its `.field_errors` — comes back on the GUI thread, and on success what it
committed is announced on the change bus, so every open view that shows a changed entity
refreshes itself. Callbacks are skipped once `owner` is deleted (a dialog closed while its job
ran); the change is announced all the same.

`run_query` runs background work that changes nothing (a read, a file check, a download) for a
widget that may be gone when it ends; `alive(owner, slot)` guards a slot the same way for
signals of long-lived objects (the upload manager outlives every documents tab).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool

from ...services.changes import ChangeSet, take_committed, track_changes
from ...services.context import Context
from ...services.errors import ServiceError
from ..workers import Job, JobControl, run_job
from .bus import change_bus

log = logging.getLogger(__name__)


def run_operation(
    ctx: Context,
    fn: Callable[..., Any],
    *,
    owner: QObject,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[ServiceError], None] | None = None,
    description: str | None = None,
    with_progress: bool = False,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
) -> Job:
    """Run `fn(worker context)` — or `fn(worker context, control)` with `with_progress` — in the
    background. A `description` shows the job in the main window's progress area.
    `on_progress(done, total, message)` gets what `fn` reports through its control;
    `on_cancelled()` runs when `fn` stops on `control.check()` after the job's
    `control.cancel()`. A long job (an export) may run on a `pool` of its own, so that it never
    holds up the short operations of the global pool."""

    def work(control: JobControl) -> tuple[bool, Any, ChangeSet]:
        with ctx.worker() as wctx:
            track_changes(wctx.session)
            try:
                result = fn(wctx, control) if with_progress else fn(wctx)
            except ServiceError as exc:
                wctx.session.rollback()
                return False, exc, take_committed(wctx.session)
            return True, result, take_committed(wctx.session)

    def done(outcome: tuple[bool, Any, ChangeSet]) -> None:
        ok, value, changes = outcome
        change_bus().publish(changes)
        if not shiboken6.isValid(owner):
            return
        callback = on_done if ok else on_error
        if callback is not None:
            callback(value)

    def failed(message: str) -> None:
        if shiboken6.isValid(owner) and on_error is not None:
            on_error(ServiceError(message))

    def progressed(done_: int, total: int, message: str) -> None:
        if on_progress is not None and shiboken6.isValid(owner):
            on_progress(done_, total, message)

    job = run_job(
        work,
        on_done=done,
        on_error=failed,
        on_progress=progressed if on_progress is not None else None,
        pool=pool,
        description=description,
    )
    if on_cancelled is not None:
        job.signals.cancelled.connect(alive(owner, lambda *_: on_cancelled()))
    return job


@dataclass(frozen=True)
class _Refused:
    message: str


def alive(owner: QObject, slot: Callable[..., Any]) -> Callable[..., None]:
    """`slot`, called only while `owner` still exists."""

    def call(*args: Any) -> None:
        if shiboken6.isValid(owner):
            slot(*args)

    return call


def run_query(
    owner: QObject,
    fn: Callable[[JobControl], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    pool: QThreadPool | None = None,
    description: str | None = None,
) -> Job:
    """Run `fn(control)` — a read, a file check, a download — in the background for `owner`.

    Callbacks are skipped once `owner` is deleted. A ServiceError raised by `fn` is an expected
    outcome (a refused file, a missing object in the storage): logged at INFO without a
    traceback, and its message handed to `on_error`; anything else is logged with one."""

    def work(control: JobControl) -> Any:
        try:
            return fn(control)
        except ServiceError as exc:
            log.info("%s", exc.message)
            return _Refused(exc.message)

    def done(result: Any) -> None:
        if not shiboken6.isValid(owner):
            return
        if isinstance(result, _Refused):
            if on_error is not None:
                on_error(result.message)
        elif on_done is not None:
            on_done(result)

    def failed(message: str) -> None:
        if on_error is not None and shiboken6.isValid(owner):
            on_error(message)

    return run_job(work, on_done=done, on_error=failed, pool=pool, description=description)
