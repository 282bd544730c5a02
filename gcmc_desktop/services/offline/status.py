"""Who has which client checked out, and the firm's policy for checked-out clients.

The policy lives in `tenants.settings->>'offlineCheckoutPolicy'`: "read_only" (the database
refuses other users' changes to a checked-out client, migration 0022_offline) or "flag" (the
screens only show who holds it; the default)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from ..context import Context, require
from ..errors import ValidationError

READ_ONLY = "read_only"
FLAG = "flag"
POLICIES = (READ_ONLY, FLAG)
DEFAULT_POLICY = FLAG
POLICY_KEY = "offlineCheckoutPolicy"
POLICY_LABELS = {
    READ_ONLY: "Checked-out clients are read-only for others",
    FLAG: "Checked-out clients are only flagged",
}


@dataclass(frozen=True)
class CheckoutInfo:
    client_id: int
    user_id: str
    user_name: str
    checked_out_at: datetime
    expires_at: datetime
    mine: bool


_OPEN = """
SELECT k."clientId", k."userId", coalesce(u.name, u.email), k."checkedOutAt", k."expiresAt"
FROM desktop_checkouts k JOIN "user" u ON u._id = k."userId"
WHERE k."tenantId" = :tenant AND k."releasedAt" IS NULL AND k."expiresAt" > now() AT TIME ZONE 'UTC'
"""


def checkouts(ctx: Context, client_ids: list[int] | None = None) -> dict[int, CheckoutInfo]:
    """The open (not released, not expired) checkouts of the firm, by client id; only those of
    `client_ids` when given."""
    require(ctx, "clients", "view")
    sql = _OPEN
    params: dict = {"tenant": ctx.tenant_id}
    if client_ids is not None:
        try:
            ids = [int(i) for i in client_ids]
        except (TypeError, ValueError) as exc:
            raise ValidationError("Not a client.") from exc
        if not ids:
            return {}
        sql += ' AND k."clientId" = ANY(:ids)'
        params["ids"] = ids
    rows = ctx.session.execute(text(sql), params).all()
    return {
        r[0]: CheckoutInfo(r[0], r[1], r[2] or "", r[3], r[4], r[1] == ctx.user_id) for r in rows
    }


def policy(ctx: Context) -> str:
    value = ctx.session.execute(
        text("SELECT settings ->> :key FROM tenants WHERE id = :t"),
        {"key": POLICY_KEY, "t": ctx.tenant_id},
    ).scalar()
    return value if value in POLICIES else DEFAULT_POLICY


def set_policy(ctx: Context, value: str) -> None:
    require(ctx, "settings", "edit")
    if value not in POLICIES:
        raise ValidationError(
            "Choose whether checked-out clients are read-only for others or only flagged.",
            {POLICY_KEY: "Not a known policy."},
        )
    statement = text(
        "UPDATE tenants SET settings = coalesce(settings, '{}'::jsonb) || :patch, "
        '"updatedAt" = now() WHERE id = :t'
    ).bindparams(bindparam("patch", type_=JSONB))
    ctx.session.execute(statement, {"patch": {POLICY_KEY: value}, "t": ctx.tenant_id})
    ctx.session.commit()
