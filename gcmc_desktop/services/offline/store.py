"""The offline copy at rest: one encrypted store per user profile under the app data dir."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class OfflineCopy:
    path: Path
    tenant_code: str
    tenant_name: str
    email: str
    user_name: str
    clients: int
    expires_at: datetime
    expired: bool
    pending_changes: int


def copies() -> list[OfflineCopy]:
    """The offline copies this workstation holds."""
    raise NotImplementedError
