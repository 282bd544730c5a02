"""Watches the database connection: a cheap background ping, every few seconds while offline
and every half minute while online. The window shows the state; dialogs keep what the user
typed, and saves fail with a clear message until the server is back."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import text

from ..services.context import Context
from .workers import run_job

ONLINE_INTERVAL_MS = 30_000
OFFLINE_INTERVAL_MS = 3_000


class ConnectionMonitor(QObject):
    stateChanged = Signal(bool, str)  # online, message for the status bar

    def __init__(self, ctx: Context, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.online = True
        self._busy = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check_now)

    def start(self) -> None:
        self._timer.start(ONLINE_INTERVAL_MS)

    def stop(self) -> None:
        self._timer.stop()

    def check_now(self) -> None:
        if self._busy:
            return
        self._busy = True
        ctx = self.ctx

        def ping(_control) -> bool:
            with ctx.reading() as session:
                session.execute(text("SELECT 1"))
            return True

        run_job(
            ping, on_done=lambda _ok: self._report(True), on_error=lambda _m: self._report(False)
        )

    def _report(self, online: bool) -> None:
        self._busy = False
        if online == self.online:
            return
        self.online = online
        if online:
            self._timer.start(ONLINE_INTERVAL_MS)
            self.stateChanged.emit(True, "Connected")
        else:
            self._timer.start(OFFLINE_INTERVAL_MS)
            self.stateChanged.emit(False, "Offline — reconnecting… (your unsaved edits are kept)")
