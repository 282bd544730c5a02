"""Check clients out for offline work: the server's rows and files → an encrypted local copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..context import Context
from ..outbox import Control

DEFAULT_DAYS = 14


@dataclass(frozen=True)
class CheckoutEstimate:
    clients: int
    documents: int
    files: int
    bytes: int


@dataclass(frozen=True)
class CheckoutResult:
    clients: int
    documents: int
    files: int
    bytes: int
    expires_at: datetime
    path: Path


def estimate(
    ctx: Context, client_ids: list[int], *, all_versions: bool = False
) -> CheckoutEstimate:
    raise NotImplementedError


def check_out(
    ctx: Context,
    client_ids: list[int],
    *,
    all_versions: bool = False,
    days: int = DEFAULT_DAYS,
    control: Control | None = None,
) -> CheckoutResult:
    raise NotImplementedError
