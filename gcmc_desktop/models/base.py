"""Declarative base and the column conventions the web platform (Prisma) uses.

The platform writes `timestamp(3) without time zone` in UTC, `createdAt` defaults to
CURRENT_TIMESTAMP, and `updatedAt` has no database default: the ORM stamps it on insert and
update. Auth tables use text ids that Better-Auth generates as 32 random alphanumerics.
"""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime

from sqlalchemy import MetaData, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.orm import DeclarativeBase

Timestamp = TIMESTAMP(precision=3)
NOW = text("CURRENT_TIMESTAMP")

_ID_ALPHABET = string.ascii_letters + string.digits


def utcnow() -> datetime:
    """Naive UTC with millisecond precision, as the platform stores it."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_id() -> str:
    """A Better-Auth style id: 32 random [A-Za-z0-9] characters."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(32))


class Base(DeclarativeBase):
    metadata = MetaData()

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} id={ident!r}>"
