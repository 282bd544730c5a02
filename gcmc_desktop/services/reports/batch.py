"""Many clients' reports in one ZIP (one PDF per client): the compliance report for every
client a list shows (e.g. the Compliance page filtered to "Poor"), with progress and cancel.

The archive is written beside its destination under a temporary name and moved into place
only when complete: a cancelled or failed run leaves no file that looks finished."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..context import Context, require
from ..errors import NotFoundError, ServiceError
from ..paging import PagedQuery
from .data import gather
from .render import render_pdf

PAGE = 1000


class BatchCancelled(ServiceError):
    def __init__(self) -> None:
        super().__init__("Cancelled: no archive was written.")


@dataclass
class BatchResult:
    path: Path
    written: list[str] = field(default_factory=list)  # file names inside the archive
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (client id, reason)


def ids_of(ctx: Context, query: PagedQuery) -> list[int]:
    """Every row id of `query` (filters and search applied), in list order."""
    ids: list[int] = []
    page = query.first_page(ctx.session, PAGE)
    while True:
        ids.extend(int(i) for i in page.ids)
        if page.done or page.cursor is None:
            return ids
        page = query.next_page(ctx.session, page.cursor, PAGE)


def batch_zip(
    ctx: Context,
    client_ids: Iterable[int],
    destination: Path | str,
    *,
    kind: str = "compliance",
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """The `kind` report of each client, one PDF each, in the ZIP at `destination`. A client
    deleted meanwhile (or not visible) is skipped and named in the result."""
    require(ctx, "reports", "view")
    ids = list(dict.fromkeys(int(i) for i in client_ids))
    destination = Path(destination)
    result = BatchResult(destination)
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
    )
    os.close(fd)
    temp = Path(temp_name)
    names: set[str] = set()
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, client_id in enumerate(ids):
                if cancelled is not None and cancelled():
                    raise BatchCancelled()
                try:
                    report = gather(ctx, kind, client_id, now=now)
                except NotFoundError as exc:
                    result.skipped.append((client_id, exc.message))
                    continue
                if progress is not None:
                    progress(
                        done, len(ids), f"Report {done + 1:,} of {len(ids):,}: {report.client}"
                    )
                pdf = render_pdf(report)
                name = _unique(report.file_name, names)
                archive.writestr(name, pdf)
                result.written.append(name)
                ctx.session.rollback()  # each report reads its own snapshot; keeps memory flat
        if cancelled is not None and cancelled():
            raise BatchCancelled()
        os.replace(temp, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if progress is not None:
        progress(len(ids), len(ids), f"{len(result.written):,} report(s) written")
    return result


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{stem} ({n}){dot}{ext}"
        n += 1
    used.add(candidate)
    return candidate
