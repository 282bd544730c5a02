"""Sync back: replay the offline journal through the normal services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..context import Context
from ..outbox import Control
from .store import OfflineCopy


@dataclass(frozen=True)
class Conflict:
    entity: str
    record_id: Any
    label: str
    fields: list[str]
    mine: dict
    theirs: dict
    base: dict


@dataclass(frozen=True)
class SyncReport:
    applied: int
    skipped: int
    conflicts_resolved: int
    kept_theirs: list[str]
    failed: list[str]


def pending(copy: OfflineCopy) -> list[str]:
    """Human-readable lines: "Task 'Call GRA': status → Done (2 Dec 14:05)"."""
    raise NotImplementedError


def sync(
    ctx: Context,
    copy: OfflineCopy,
    resolve: Callable[[Conflict], dict | None],
    control: Control | None = None,
) -> SyncReport:
    raise NotImplementedError


def check_in(ctx: Context, copy: OfflineCopy) -> None:
    """Releases the checkouts and deletes the local copy (after a complete sync)."""
    raise NotImplementedError


def enforce_revocations(ctx: Context) -> list[str]:
    """At sign-in online: wipes copies whose access is revoked or a wipe was requested."""
    raise NotImplementedError
