"""The change bus: one place where "something changed" is announced — by the operation runner
after a commit on this workstation, and by the change listener for other workstations' commits.
Views subscribe with the entity types they show and refresh themselves; nobody relays.

Publishing is thread-safe (the listener publishes from its own thread); subscribers are always
called on the GUI thread, after a short pause that folds a burst of changes into one refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ...services.changes import ChangeSet

COALESCE_MS = 30


@dataclass
class _Subscription:
    receiver: QObject
    entities: frozenset[str]
    callback: Callable[[ChangeSet], None]


class ChangeBus(QObject):
    _incoming = Signal(object)
    # Every delivered change set, for whoever wants them all (the status bar, tests).
    delivered = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._subscriptions: list[_Subscription] = []
        self._pending = ChangeSet()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._flush)
        self._incoming.connect(self._collect)  # queued when published from another thread

    def publish(self, changes: ChangeSet) -> None:
        """Announce `changes` (from any thread)."""
        if changes:
            self._incoming.emit(changes)

    def subscribe(
        self,
        receiver: QObject,
        entities: Iterable[str],
        callback: Callable[[ChangeSet], None],
    ) -> None:
        """Call `callback(changes)` when a change touches any of `entities`, for as long as
        `receiver` (the view) lives."""
        subscription = _Subscription(receiver, frozenset(entities), callback)
        self._subscriptions.append(subscription)
        receiver.destroyed.connect(lambda *_: self._drop(subscription))

    def _drop(self, subscription: _Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    @Slot(object)
    def _collect(self, changes: ChangeSet) -> None:
        remote = self._pending.remote or changes.remote
        self._pending.merge(changes)
        self._pending.remote = remote
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        changes, self._pending = self._pending, ChangeSet()
        for subscription in list(self._subscriptions):
            if not shiboken6.isValid(subscription.receiver):
                self._drop(subscription)
            elif changes.touches(subscription.entities):
                subscription.callback(changes)
        self.delivered.emit(changes)


_bus: ChangeBus | None = None


def change_bus() -> ChangeBus:
    """The application's one bus."""
    global _bus
    if _bus is None or not shiboken6.isValid(_bus):
        _bus = ChangeBus()
    return _bus
