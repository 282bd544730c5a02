"""The embedded default's own server, and its daily backup.

With nothing configured the workstation runs the database itself, so nobody else will back it
up: while the application runs it takes a backup when the newest is a day old (checked soon
after start and then hourly), keeps the newest N (Preferences: `backup/keep`, default 7) and
can be turned off (`backup/daily`). A central server's backups are its administrator's job
(`gcmc backup create` on a schedule): nothing runs for it here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.engine import URL

from .workers import JobControl, run_job

FIRST_CHECK_MS = 2 * 60_000
CHECK_EVERY_MS = 60 * 60_000
DEFAULT_KEEP = 7

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalServer:
    """The embedded server's administrator URL, where its backups go, and the folder store
    (None when documents are kept in S3)."""

    admin_url: URL
    backup_dir: Path
    storage_folder: Path | None

    @classmethod
    def embedded(cls, admin_url: URL) -> LocalServer:
        from .. import settings as app_settings
        from ..services.backup import default_backup_dir
        from ..services.storage.base import default_folder

        values, _secret = app_settings.load_storage()
        folder = (values.folder or default_folder()) if values.kind == "local" else None
        return cls(admin_url, default_backup_dir(), folder)


def backup_preferences() -> tuple[bool, int]:
    from .. import settings as app_settings

    store = app_settings.settings()
    daily = str(store.value("backup/daily", "true")).lower() not in ("false", "0", "no")
    try:
        keep = max(1, int(store.value("backup/keep", DEFAULT_KEEP)))
    except (TypeError, ValueError):
        keep = DEFAULT_KEEP
    return daily, keep


class ScheduledBackups(QObject):
    """Runs `backup_if_due` on the thread pool; one run at a time."""

    # The BackupInfo of a backup taken, or None when none was due.
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self, server: LocalServer, parent: QObject | None = None, *, first_ms: int = FIRST_CHECK_MS
    ) -> None:
        super().__init__(parent)
        self.server = server
        self._running = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.run_if_due)
        self.timer.start()
        QTimer.singleShot(first_ms, self, self.run_if_due)

    def run_if_due(self) -> bool:
        daily, keep = backup_preferences()
        if not daily or self._running:
            return False
        server = self.server
        self._running = True

        def work(_control: JobControl):
            from ..services.backup import backup_if_due

            server.backup_dir.mkdir(parents=True, exist_ok=True)
            return backup_if_due(
                server.admin_url, server.backup_dir, storage_folder=server.storage_folder, keep=keep
            )

        def done(info) -> None:
            self._running = False
            if info is not None:
                _log.info("Daily backup written to %s", info.path)
            self.finished.emit(info)

        def failed(message: str) -> None:
            self._running = False
            _log.warning("Daily backup failed: %s", message)
            self.failed.emit(message)

        run_job(work, on_done=done, on_error=failed)
        return True
