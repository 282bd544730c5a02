"""Who has which client checked out, and the firm's policy for checked-out clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..context import Context

READ_ONLY = "read_only"
FLAG = "flag"
POLICIES = (READ_ONLY, FLAG)
DEFAULT_POLICY = FLAG


@dataclass(frozen=True)
class CheckoutInfo:
    client_id: int
    user_id: str
    user_name: str
    checked_out_at: datetime
    expires_at: datetime
    mine: bool


def checkouts(ctx: Context, client_ids: list[int] | None = None) -> dict[int, CheckoutInfo]:
    raise NotImplementedError


def policy(ctx: Context) -> str:
    raise NotImplementedError


def set_policy(ctx: Context, value: str) -> None:
    raise NotImplementedError
