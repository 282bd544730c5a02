"""Notifications (issue 15): the Notifications section (the signed-in user's notifications,
newest first, unread ones in bold; filters unread/read and kind; Mark read, Mark all read,
Open the subject), and the `NotificationCenter` the main window keeps for the whole session:

* the reminder run in the background through the operation runner — soon after start and
  every hour (`generate`), one at a time; the database makes sure two workstations never make
  a reminder twice;
* the unread count (`unreadChanged(n)`, the navigation's "Notifications (3)"), recounted when
  the change bus reports notifications — made here, read here, or made on another workstation;
* a system-tray message for notifications that arrive for the user while the app runs,
  unless turned off in Preferences; nothing (and no error) where the platform has no tray,
  as offscreen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon, QWidget

from .. import settings as app_settings
from ..services.changes import ChangeSet
from ..services.context import Context
from ..services.notifications import (
    UNREAD,
    Arrived,
    ReminderReport,
    Subject,
    generate_reminders,
    inbox_query,
    kind_choices,
    kind_label,
    mark_all_read,
    mark_read,
    notification_subject,
    unread_among,
    unread_count,
)
from .filings import FILING_TINTS
from .kit.bus import change_bus
from .kit.list_page import ActionSpec, FilterSpec, LabelledTableModel, ListPage, ListSpec
from .kit.operations import run_operation

ENTITY = "notification"
LATE_KINDS = frozenset({"filing_overdue", "document_expired", "task_overdue"})
LATE_TINT = "late"
TRAY_TITLE = "GCMC Desktop"
TRAY_MESSAGE_MS = 8_000


def notifications_title(unread: int) -> str:
    """The section's name with the unread count, for the navigation and the tab."""
    return f"Notifications ({unread:,})" if unread else "Notifications"


def _unread(values: Any) -> bool:
    return values.get("read_at") is None


def _tint(values: Any) -> str | None:
    return LATE_TINT if values.get("kind") in LATE_KINDS else None


def _query(ctx: Context, _scope: Any) -> Any:
    return inbox_query(ctx)


def _mark_selected(page: ListPage) -> None:
    record_id = page.selected_id()
    if record_id is not None:
        run_operation(
            page.ctx,
            lambda wctx: mark_read(wctx, [record_id]),
            owner=page,
            on_error=lambda error: page.show_message(error.message),
        )


def _mark_all(page: ListPage) -> None:
    run_operation(
        page.ctx,
        mark_all_read,
        owner=page,
        on_error=lambda error: page.show_message(error.message),
    )


class NotificationTableModel(LabelledTableModel):
    """The list's model: the whole message as the tooltip of its (often elided) cell."""

    def __init__(self, query: Any, ctx: Context) -> None:
        super().__init__(query, ctx.reading, labels=NOTIFICATIONS.labels, spec=NOTIFICATIONS)
        self._message = query.column_index("message")

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole.value) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole.value
            and index.isValid()
            and index.column() == self._message
        ):
            return super().data(index, Qt.ItemDataRole.DisplayRole.value)
        return super().data(index, role)


NOTIFICATIONS = ListSpec(
    noun="notification",
    plural="notifications",
    module="notifications",
    query=_query,
    listens_to=frozenset({ENTITY, "client"}),
    search_hint="Search notifications  (Ctrl+F)",
    filters=(
        FilterSpec(
            "read",
            "All notifications",
            "Read filter",
            (("Unread", {UNREAD: True}), ("Read", {UNREAD: False})),
        ),
        FilterSpec("kind", "Any kind", "Kind filter", tuple(kind_choices())),
    ),
    labels={"kind": kind_label},
    widths={"created_at": 130, "kind": 140, "client": 180, "read_at": 130},
    sort="created_at",
    descending=True,
    open_label="Open",
    opens=lambda _ctx, record_id: record_id,  # the page asks for the subject itself
    opens_directly=False,
    bold=_unread,
    tint=_tint,
    tints={LATE_TINT: FILING_TINTS["overdue"]},
    tint_labels={LATE_TINT: "Overdue or expired"},
    name_key="message",
    model=NotificationTableModel,
    state_key="notifications/header",
    actions=(
        ActionSpec(
            "Mark read",
            _mark_selected,
            needs_selection=True,
            tooltip="Mark the selected notification read",
            shortcut="Ctrl+R",
        ),
        ActionSpec("Mark all read", _mark_all, tooltip="Mark every notification read"),
    ),
)


class NotificationsPage(ListPage):
    """The Notifications section. Opening a row (Enter, double click, Open) marks it read and
    reports its subject (`subjectRequested(Subject)`): the main window shows the client's
    document, filing, request or task."""

    subjectRequested = Signal(object)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(ctx, NOTIFICATIONS, parent)

    def _open(self, record_id: int) -> None:
        def work(wctx: Context) -> Subject:
            subject = notification_subject(wctx, record_id)
            mark_read(wctx, [record_id])
            return subject

        run_operation(
            self.ctx, work, owner=self, on_done=self.subjectRequested.emit, on_error=self._failed
        )


def _tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


class NotificationCenter(QObject):
    """The session's reminders, unread count and tray messages (see the module's docstring)."""

    unreadChanged = Signal(int)
    generated = Signal(object)  # a ReminderReport
    arrived = Signal(list)  # [Arrived]: new unread notifications of mine
    trayClicked = Signal()

    def __init__(
        self,
        ctx: Context,
        parent: QObject | None = None,
        *,
        tray_available: Callable[[], bool] = _tray_available,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.unread = 0
        self._tray_available = tray_available
        self.tray: QSystemTrayIcon | None = None
        self._running = False
        # Ids told about already: a reminder made here is announced twice (this
        # workstation's commit, then the firm's channel).
        self._announced: set[int] = set()
        self.notices: list[tuple[str, str]] = []  # what the tray was asked to show
        change_bus().subscribe(self, {ENTITY}, self._changed)

    # -- reminders ----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._running

    def generate(self) -> None:
        """One reminder run in the background (none while one runs)."""
        if self._running:
            return
        self._running = True

        def done(report: ReminderReport) -> None:
            self._running = False
            self.generated.emit(report)

        def failed(_error: Any) -> None:
            self._running = False

        run_operation(self.ctx, generate_reminders, owner=self, on_done=done, on_error=failed)

    # -- unread count -------------------------------------------------------------------------

    def count_unread(self) -> None:
        run_operation(self.ctx, unread_count, owner=self, on_done=self._counted)

    def _counted(self, total: int) -> None:
        if total != self.unread:
            self.unread = total
            self.unreadChanged.emit(total)

    def _changed(self, changes: ChangeSet) -> None:
        self.count_unread()
        made = changes.entities.get(ENTITY)
        if made is None or not made.created:
            return
        fresh = made.created - self._announced
        if not fresh:
            return
        self._announced |= fresh
        run_operation(
            self.ctx,
            lambda wctx: unread_among(wctx, fresh),
            owner=self,
            on_done=self._arrived,
        )

    # -- the tray -----------------------------------------------------------------------------

    def _arrived(self, items: list[Arrived]) -> None:
        if not items:
            return
        self.arrived.emit(items)
        if not app_settings.tray_notifications_enabled():
            return
        if len(items) == 1:
            title, body = kind_label(items[0].kind), items[0].message
        else:
            title = f"{len(items):,} new notifications"
            body = "\n".join(item.message for item in items[:3])
            if len(items) > 3:
                body += f"\n… and {len(items) - 3:,} more"
        self.notices.append((title, body))
        tray = self._ensure_tray()
        if tray is not None:
            tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, TRAY_MESSAGE_MS)

    def _ensure_tray(self) -> QSystemTrayIcon | None:
        if self.tray is not None:
            return self.tray
        if not self._tray_available():
            return None
        app = QApplication.instance()
        icon = app.windowIcon() if isinstance(app, QApplication) else None
        if icon is None or icon.isNull():
            style = app.style() if isinstance(app, QApplication) else None
            if style is None:
                return None
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        self.tray = QSystemTrayIcon(icon, self)
        self.tray.setToolTip(TRAY_TITLE)
        self.tray.messageClicked.connect(self.trayClicked.emit)
        self.tray.activated.connect(lambda _reason: self.trayClicked.emit())
        self.tray.show()
        return self.tray

    def apply_settings(self) -> None:
        """Preferences changed: a tray turned off goes away."""
        if not app_settings.tray_notifications_enabled() and self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None

    def shutdown(self) -> None:
        if self.tray is not None:
            self.tray.hide()
