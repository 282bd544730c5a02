"""Housekeeping an administrator (or a scheduled task) runs over every firm, on an
administrator connection: the CLI's `gcmc maintenance …` verbs call these."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from ..db import session_factory
from .auth import delete_expired_sessions
from .documents import refresh_document_statuses

log = logging.getLogger(__name__)

__all__ = ["delete_expired_sessions", "refresh_statuses"]


def refresh_statuses(engine: Engine) -> int:
    """Mark `valid` documents whose latest version has expired as `expired`, in every firm, in
    one transaction; returns how many changed. Not audited: no staff member acts here, and the
    administrator role is not a user the audit trail could name."""
    with session_factory(engine)() as session:
        changed = refresh_document_statuses(session)
        session.commit()
    log.info("Document status refresh: %d document(s) marked expired", changed)
    return changed
