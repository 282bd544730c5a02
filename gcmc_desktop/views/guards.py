"""Background work for widgets that may be gone when it ends.

`run_for(owner, fn, ...)` is `run_job` with two differences that every view needs:

- its callbacks are skipped once `owner` (a widget) has been deleted — a tab closed while its
  job ran must not have results delivered to dead labels ("Internal C++ object already
  deleted");
- a `ServiceError` raised by the job is an expected outcome (a refused file, a missing object in
  the storage), not a crash: it is logged at INFO without a traceback and its message handed to
  `on_error`. Anything else still reaches `run_job`'s own error path (logged with a traceback).

`alive(owner, slot)` wraps a slot the same way for signals of long-lived objects (the upload
manager outlives every documents tab).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool

from ..services.errors import ServiceError
from .workers import Job, JobControl, run_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Refused:
    message: str


def alive(owner: QObject, slot: Callable[..., Any]) -> Callable[..., None]:
    """`slot`, called only while `owner` still exists."""

    def call(*args: Any) -> None:
        if shiboken6.isValid(owner):
            slot(*args)

    return call


def run_for(
    owner: QObject,
    fn: Callable[[JobControl], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    pool: QThreadPool | None = None,
    description: str | None = None,
) -> Job:
    """Run `fn` in the background for `owner`; see the module docstring."""

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
