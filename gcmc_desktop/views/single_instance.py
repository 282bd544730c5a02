"""One running GCMC Desktop per user and computer: a second launch hands over to the first
(which comes to the front) and exits, instead of starting a second embedded database client,
upload outbox and set of background jobs on the same files.

The first instance listens on a local socket named after the user (QLocalServer: a named pipe
on Windows, a Unix socket elsewhere); a second one that can connect sends "activate" and
stops. A socket left by a crashed first instance is removed and taken over.
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500


def socket_name(key: str = "gcmc-desktop") -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment: still one per machine
        user = "user"
    return f"{key}-{hashlib.sha256(user.encode()).hexdigest()[:16]}"


class SingleInstance(QObject):
    activated = Signal()  # a second launch asked this instance to come to the front

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or socket_name()
        self.server: QLocalServer | None = None

    def hand_over(self) -> bool:
        """True when another instance is running and was asked to come to the front."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write(b"activate\n")
        socket.flush()
        socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # left by a crash
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._connected)
        self.server = server
        return True

    def _connected(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            # The message is one short line sent right after connecting: read it here rather
            # than keep Python callbacks on a socket Qt deletes on its own.
            arrived = socket.bytesAvailable() or socket.waitForReadyRead(CONNECT_MS)
            if arrived and b"activate" in bytes(socket.readAll()):
                self.activated.emit()
            socket.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
