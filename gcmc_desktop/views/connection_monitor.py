"""Watches the database connection: a cheap background ping, every few seconds while offline
and every half minute while online. The window shows the state; dialogs keep what the user
typed, and saves fail with a clear message until the server is back.

Three states: connected; offline (the server refuses or is gone: "Offline — reconnecting…");
not answering (it accepts connections but does not reply in time: a hung or overloaded
server). A ping that hangs is given up on after `PING_TIMEOUT_MS`: the status bar says "Not
answering" at once, and the ping's own result still counts when it finally arrives. The
embedded demo server is started again when it stopped; a central server is just retried.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from ..services import connection
from ..services.context import Context
from .workers import run_job

ONLINE_INTERVAL_MS = 30_000
OFFLINE_INTERVAL_MS = 3_000
PING_TIMEOUT_MS = 8_000

CONNECTED = "Connected"
OFFLINE = "Offline — reconnecting… (your unsaved edits are kept)"
NOT_ANSWERING = "Server not answering — retrying… (your unsaved edits are kept)"

MESSAGES = {
    connection.CONNECTED: CONNECTED,
    connection.OFFLINE: OFFLINE,
    connection.NOT_ANSWERING: NOT_ANSWERING,
}


class ConnectionMonitor(QObject):
    stateChanged = Signal(bool, str)  # online, message for the status bar

    def __init__(self, ctx: Context, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.online = True
        self.message = CONNECTED
        self._busy = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check_now)
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(self._ping_hangs)
        # Its own thread: a ping stuck on a hung server must not hold one of the shared pool's
        # few threads that the pages load their data with.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def start(self) -> None:
        self._timer.start(ONLINE_INTERVAL_MS)

    def stop(self) -> None:
        self._timer.stop()
        self._watchdog.stop()

    def check_now(self) -> None:
        if self._busy:
            return
        self._busy = True
        ctx = self.ctx

        def ping(_control) -> str:
            return MESSAGES[connection.check_connection(ctx)]

        self._watchdog.start(PING_TIMEOUT_MS)
        run_job(
            ping,
            on_done=self._report,
            on_error=lambda _m: self._report(OFFLINE),
            pool=self._pool,
        )

    def _ping_hangs(self) -> None:
        if self._busy:
            self._show(NOT_ANSWERING)

    def _report(self, state: str) -> None:
        self._busy = False
        self._watchdog.stop()
        self._show(state)

    def _show(self, state: str) -> None:
        online = state == CONNECTED
        if online == self.online and state == self.message:
            return
        was_online = self.online
        self.online, self.message = online, state
        if online != was_online:
            self._timer.start(ONLINE_INTERVAL_MS if online else OFFLINE_INTERVAL_MS)
        self.stateChanged.emit(online, state)
