"""Working offline: an offline copy decrypted into a throw-away local replica."""

from __future__ import annotations

from ..auth import LoginFailed
from ..context import Context
from ..errors import ServiceError
from ..outbox import Control
from .store import OfflineCopy

__all__ = ["CopyExpired", "LoginFailed", "OfflineSession", "open_offline"]


class CopyExpired(ServiceError):
    default_message = (
        "This offline copy has expired. Connect to the office and sync it before working "
        "on it again."
    )


class OfflineSession:
    """`.ctx` is a real Context on the replica (ctx.offline is True); `.copy` the copy;
    `.close()` writes the journal back into the encrypted store and removes the replica."""

    ctx: Context
    copy: OfflineCopy

    def close(self) -> None:
        raise NotImplementedError


def open_offline(
    copy: OfflineCopy, email: str, password: str, control: Control | None = None
) -> OfflineSession:
    """Raises LoginFailed (wrong e-mail/password) or CopyExpired."""
    raise NotImplementedError
