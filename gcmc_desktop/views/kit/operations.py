"""The one operation runner (Anki's CollectionOp/QueryOp idea): a service call runs off the GUI
thread in its own session; its result — or the ServiceError *object*, since a conflict needs its
`.current` and a validation error its `.field_errors` — comes back on the GUI thread; and on
success what it committed is announced on the change bus, so every open view that shows a
changed entity refreshes itself.

Callbacks are skipped once `owner` is deleted (a dialog closed while its job ran); the change is
announced all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from ...services.changes import ChangeSet, take_committed, track_changes
from ...services.context import Context
from ...services.errors import ServiceError
from ..workers import Job, JobControl, run_job
from .bus import change_bus


def run_operation(
    ctx: Context,
    fn: Callable[..., Any],
    *,
    owner: QObject,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[ServiceError], None] | None = None,
    description: str | None = None,
    with_progress: bool = False,
) -> Job:
    """Run `fn(worker context)` — or `fn(worker context, control)` with `with_progress` — in the
    background. A `description` shows the job in the main window's progress area."""

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

    return run_job(work, on_done=done, on_error=failed, description=description)
