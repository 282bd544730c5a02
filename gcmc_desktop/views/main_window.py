"""The main window: navigation by permission, pages and client workspaces in tabs, a status
bar with who/where/connection and background progress, standard menus and shortcuts.

Sections that later releases fill show an honest "coming soon" page, never invented data.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QGridLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import settings as app_settings
from ..services import auth
from ..services.changes import ChangeListener, ChangeSet
from ..services.context import Context
from .compliance_jobs import ComplianceJobs
from .connection_monitor import ConnectionMonitor
from .kit.bus import change_bus
from .kit.operations import run_operation
from .local_server import LocalServer, ScheduledBackups
from .workers import monitor, run_job


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    module: str | None  # the permission module whose `view` shows it; None = every member
    coming: str = ""  # what a later release brings; empty = built


SECTIONS = (
    Section("dashboard", "Dashboard", "dashboard"),
    Section("clients", "Clients", "clients"),
    Section("documents", "Documents", "documents"),
    Section("filings", "Filings", "filings", "GRA, NIS and DCRA filings with deadlines and "
            "recurring schedules."),
    Section("calendar", "Deadlines", "filings", "The firm's due dates by day."),
    Section("services", "Services", "services"),
    Section("tasks", "Tasks", "tasks"),
    Section("messages", "Messages", "messages"),
    Section("compliance", "Compliance", "compliance"),
    Section("notifications", "Notifications", None),
    Section("audit", "Audit", None, "The firm's complete audit trail (each client's trail is "
            "already in its workspace)."),
    Section("admin", "Admin", "users"),
)  # fmt: skip


# What makes no sense on an offline copy (issue 18): firm-wide administration, the firm's
# audit trail, the firm-wide dashboard, and reminders (copied as they were; read and new ones
# belong to the server).
OFFLINE_HIDDEN = frozenset({"admin", "audit", "dashboard", "notifications"})


def visible_sections(ctx: Context) -> list[Section]:
    offline = bool(getattr(ctx, "offline", False))
    return [
        s
        for s in SECTIONS
        if (s.module is None or ctx.can(s.module, "view"))
        and not (offline and s.key in OFFLINE_HIDDEN)
    ]


class ComingSoonPage(QWidget):
    def __init__(self, section: Section, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(f"<h2>{section.title}</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(f"{section.coming}<br><br><i>This part of GCMC Desktop is coming soon.</i>")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addStretch(2)


class StartPage(QWidget):
    """What the window shows with every tab closed: a way back in, not a blank area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Nothing is open. Choose a section on the left, or open one here:")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(hint)
        layout.addLayout(self.grid)
        layout.addStretch(2)

    def set_sections(
        self, tenant_name: str, sections: list[Section], open_section: Callable[[str], object]
    ) -> None:
        self.title.setText(f"<h2>{tenant_name}</h2>")
        for button in self.buttons.values():
            self.grid.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for n, section in enumerate(sections):
            button = QPushButton(section.title)
            button.setMinimumWidth(140)
            button.clicked.connect(lambda _checked=False, key=section.key: open_section(key))
            self.grid.addWidget(button, n // 4, n % 4)
            self.buttons[section.key] = button


class _MessagePage(QWidget):
    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        text = QLabel(f"<h2>{title}</h2>{message}")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)


DEFAULT_SIZE = QSize(1280, 800)
log = logging.getLogger(__name__)
NAV_WIDTH = (150, 220)  # the navigation pane's narrowest and widest
GENERATE_AFTER_START_MS = 15_000  # the first recurring-filings run, once the window has settled
GENERATE_EVERY_MS = 60 * 60 * 1000
RECALCULATE_AFTER_GENERATE_MS = 5_000  # the stale-scores check, once the drafts are made
TAB_TITLE_WIDTH = 220  # pixels; longer tab titles are elided (full title in the tooltip)


def _select_when_loaded(page: Any, record_id: int) -> None:
    """Select `record_id` in a list page now, or when a page of rows holding it arrives (a
    list read before the record existed is read again once)."""
    if page.select_id(record_id):
        return
    tries = [3]

    def on_page(_rows: int) -> None:
        tries[0] -= 1
        if page.select_id(record_id) or tries[0] <= 0:
            page.model.pageLoaded.disconnect(on_page)

    page.model.pageLoaded.connect(on_page)
    if page.model.all_loaded:
        page.refresh()


def _open_storage():  # -> tuple[StorageProvider | None, str | None]
    """The document store this workstation is set up for, or why it cannot be used."""
    from ..services.storage import StorageError, storage_from_settings

    values, secret = app_settings.load_storage()
    try:
        return storage_from_settings(values, secret), None
    except StorageError as exc:
        return None, f"{exc.message} Check Edit → Preferences."


SCHEMA_NOTICE_STYLE = (
    "background: #fff4e5; color: #663c00; border-bottom: 1px solid #f0c27b; padding: 6px 10px;"
)


class AuditSection(QTabWidget):
    """Audit: the firm's trail and, for a role that may restore, Deleted items."""

    def __init__(self, trail: QWidget, deleted: QWidget) -> None:
        super().__init__()
        self.setDocumentMode(True)
        self.trail = trail
        self.deleted = deleted
        self.addTab(trail, "&Trail")
        self.addTab(deleted, "&Deleted items")


class MainWindow(QMainWindow):
    signOutRequested = Signal()
    contextChanged = Signal(object)

    def __init__(
        self,
        ctx: Context,
        *,
        on_sign_out: Callable[[], None] | None = None,
        on_close: Callable[[], None] | None = None,
        local_server: LocalServer | None = None,
        offline_session: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # Working offline (issue 18): the session on the local replica of a checked-out copy.
        self.offline_session = offline_session
        self.offline = bool(getattr(ctx, "offline", False))
        self.offline_copy: Any = None  # online: this user's copy waiting to be synced
        self.sync_dialog: QWidget | None = None
        # The embedded server this workstation runs, if it does: it backs itself up daily.
        self.local_server = local_server
        self.backups = ScheduledBackups(local_server, self) if local_server else None
        self._on_sign_out = on_sign_out
        self._on_close = on_close
        self._section_tabs: dict[str, QWidget] = {}
        self._client_tabs: dict[int, QWidget] = {}
        read_only = " (read-only)" if ctx.read_only else ""
        if self.offline:
            read_only = " (offline)"
        self.setWindowTitle(f"GCMC Desktop — {ctx.tenant_name}{read_only}")
        self.setMinimumSize(QSize(900, 560))

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setMinimumWidth(NAV_WIDTH[0])
        self.nav.setMaximumWidth(NAV_WIDTH[1])
        self.nav.itemActivated.connect(self._nav_activated)
        self.nav.currentItemChanged.connect(lambda item, _prev: item and self._nav_activated(item))
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setMovable(True)
        # Many tabs scroll (arrows at the end of the bar) at their full width, rather than
        # all shrinking to unreadable stubs; only long titles are elided (`_set_tab_title`).
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._sync_navigation)
        self.tabs.currentChanged.connect(self._show_start_page_if_empty)
        self.start_page = StartPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.start_page)
        self.splitter = splitter = QSplitter()
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.nav)
        splitter.addWidget(self.pages)
        # Extra width goes to the pages, never to the navigation (which would grow each time).
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        # A schema newer than this version (db/compat.py): said once, above everything.
        self.schema_notice = QLabel(ctx.notice)
        self.schema_notice.setObjectName("schemaNotice")
        self.schema_notice.setWordWrap(True)
        self.schema_notice.setStyleSheet(SCHEMA_NOTICE_STYLE)
        self.schema_notice.setVisible(bool(ctx.notice))
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.schema_notice)
        from .offline import OfflineNotice

        self.offline_notice = OfflineNotice()
        self.offline_notice.button.clicked.connect(self.sync_offline)
        column.addWidget(self.offline_notice)
        column.addWidget(splitter, 1)
        self.setCentralWidget(central)
        # The width the user gave the navigation; kept whenever the window has room for it.
        self._nav_width = NAV_WIDTH[0]
        splitter.splitterMoved.connect(self._nav_moved)
        splitter.installEventFilter(self)

        self._build_status_bar()
        self._build_menus()
        self._populate_navigation()
        self.monitor = ConnectionMonitor(ctx, parent=self)
        self.monitor.stateChanged.connect(self._connection_changed)
        if self.offline:
            self._show_offline_state()
        else:
            self.monitor.start()
        # Other workstations' commits arrive on the change bus, like this one's.
        self.listener: ChangeListener | None = None
        self._listen(ctx)
        change_bus().subscribe(self, {"client"}, self._clients_changed)
        # Recurring filings: a run soon after start, then every hour (the database makes sure
        # two workstations running at once never create a filing twice).
        self.generation_timer = QTimer(self)
        self.generation_timer.setInterval(GENERATE_EVERY_MS)
        self.generation_timer.timeout.connect(self.generate_due_filings)
        if not self.offline:  # an offline copy records only what the user does
            self.generation_timer.start()
            QTimer.singleShot(GENERATE_AFTER_START_MS, self, self.generate_due_filings)
        # Compliance scores follow the changes that affect them, in the background; at start
        # (after the recurring run) the firm's are recalculated when some are a day old.
        self.compliance_jobs = ComplianceJobs(ctx, self)
        if not self.offline:
            QTimer.singleShot(
                GENERATE_AFTER_START_MS + RECALCULATE_AFTER_GENERATE_MS,
                self,
                lambda: self.compliance_jobs.recalculate_if_stale(),
            )
        # A window left open overnight: the hourly check finds the day-old scores too.
        self.generation_timer.timeout.connect(lambda: self.compliance_jobs.recalculate_if_stale())
        # Reminders: a run soon after start and every hour; the unread badge; tray messages.
        self.notifications = self._notification_center(ctx)
        self.generation_timer.timeout.connect(lambda: self.notifications.generate())
        self.storage, self.storage_error = _open_storage()
        offline_storage = getattr(offline_session, "storage", None)
        if offline_storage is not None:
            self.storage, self.storage_error = offline_storage, None
        self.uploads = None
        self.uploads_dock = QDockWidget("Uploads", self)
        self.uploads_dock.setObjectName("uploadsDock")
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.uploads_dock)
        self.uploads_dock.hide()
        self.view_menu.addAction(self.uploads_dock.toggleViewAction())
        self._start_uploads()
        self._restore_state()
        if not self.offline:
            QTimer.singleShot(0, self, self.check_offline_copy)

    # -- construction ----------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.who_label = QLabel(
            f"{self.ctx.user_name} · {self.ctx.tenant_name} · {self.ctx.role_name}"
        )
        self.connection_label = QLabel("● Connected")
        self.connection_label.setObjectName("connectionState")
        self.jobs_label = QLabel()
        self.jobs_bar = QProgressBar()
        self.jobs_bar.setRange(0, 0)
        self.jobs_bar.setMaximumWidth(120)
        self.jobs_bar.setMaximumHeight(12)
        self.jobs_bar.hide()
        bar.addWidget(self.who_label)
        bar.addPermanentWidget(self.jobs_label)
        bar.addPermanentWidget(self.jobs_bar)
        bar.addPermanentWidget(self.connection_label)
        jobs = monitor()
        jobs.activeChanged.connect(self._jobs_changed)
        jobs.message.connect(self.jobs_label.setText)

    def _action(
        self, text: str, slot: Callable[[], object], *shortcuts: QKeySequence.StandardKey | str
    ) -> QAction:
        """Explicit keys first: some platforms map a standard key to nothing (Quit on Windows)
        or to something else (Close = Ctrl+F4), and staff expect the same keys everywhere."""
        action = QAction(text, self)
        keys: list[QKeySequence] = []
        for shortcut in shortcuts:
            if isinstance(shortcut, str):
                keys.append(QKeySequence(shortcut))
            else:
                keys.extend(QKeySequence.keyBindings(shortcut))
        unique = list(dict.fromkeys(k.toString() for k in keys if not k.isEmpty()))
        action.setShortcuts([QKeySequence(k) for k in unique])
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def cover_sheets(self, client: tuple[str, int] | None = None) -> QWidget:
        from .cover_sheets import CoverSheetDialog

        dialog = CoverSheetDialog(self.ctx, client=client, parent=self)
        dialog.show()
        return dialog

    def scanning_station(self) -> QWidget | None:
        """The station window beside this one (the station mode opens it alone at start)."""
        if self.storage is None:
            QMessageBox.warning(
                self, "Scanning station", self.storage_error or "Storage is not set up."
            )
            return None
        from .scanning_station import ScanningStation

        if getattr(self, "_station", None) is None:
            self._station = ScanningStation(self.ctx, self.storage, outbox=self._outbox())
        self._station.show()
        self._station.raise_()
        return self._station

    def _outbox(self):
        from ..services.outbox import Outbox

        return getattr(self.uploads, "outbox", None) or self._offline_outbox() or Outbox()

    def _offline_outbox(self):  # -> Outbox | None
        """Offline, uploads wait in an outbox of the copy's own (beside the replica): the
        workstation's outbox would send them to the office directly once online, past the
        sync."""
        directory = getattr(self.offline_session, "directory", None)
        if directory is None:
            return None
        from pathlib import Path

        from ..services.outbox import Outbox

        if getattr(self, "_copy_outbox", None) is None:
            self._copy_outbox = Outbox(Path(directory) / "outbox")
        return self._copy_outbox

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.new_action = self._action("&New client…", self.new_item, "Ctrl+N")
        self.new_action.setVisible(self.ctx.can("clients", "create"))
        file_menu.addAction(self.new_action)
        file_menu.addSeparator()
        self.cover_sheets_action = self._action("Print &cover sheets…", self.cover_sheets)
        self.station_action = self._action("Scanning &station…", self.scanning_station)
        for action in (self.cover_sheets_action, self.station_action):
            action.setVisible(self.ctx.can("documents", "create"))
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.sync_action = self._action("S&ync offline changes…", self.sync_offline)
        self.sync_action.setVisible(False)  # shown once a copy of this user's is found
        file_menu.addAction(self.sync_action)
        file_menu.addSeparator()
        self.switch_action = self._action("S&witch firm…", self.switch_firm)
        file_menu.addAction(self.switch_action)
        file_menu.addAction(self._action("Sign &out", self.sign_out))
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("&Quit", self.close, "Ctrl+Q", QKeySequence.StandardKey.Quit)
        )

        edit_menu = menus.addMenu("&Edit")
        edit_menu.addAction(self._action("&Find…", self.find, "Ctrl+F"))
        edit_menu.addSeparator()
        self.document_types_action = self._action("&Document types…", self.document_types)
        edit_menu.addAction(self.document_types_action)
        self.filing_types_action = self._action("F&iling types…", self.filing_types)
        edit_menu.addAction(self.filing_types_action)
        self.service_catalog_action = self._action("Service c&atalog…", self.service_catalog)
        edit_menu.addAction(self.service_catalog_action)
        self.workflow_templates_action = self._action(
            "&Workflow templates…", self.workflow_templates
        )
        edit_menu.addAction(self.workflow_templates_action)
        self.rule_sets_action = self._action("Compliance &rule sets…", self.rule_sets)
        edit_menu.addAction(self.rule_sets_action)
        self.bundles_action = self._action("Requirement &bundles…", self.requirement_bundles)
        edit_menu.addAction(self.bundles_action)
        edit_menu.addAction(
            self._action("&Preferences…", self.preferences, QKeySequence.StandardKey.Preferences)
        )

        view_menu = self.view_menu = menus.addMenu("&View")
        view_menu.addAction(
            self._action("&Refresh", self.refresh, "F5", QKeySequence.StandardKey.Refresh)
        )
        view_menu.addAction(
            self._action(
                "&Close tab", self.close_current_tab, "Ctrl+W", QKeySequence.StandardKey.Close
            )
        )

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self._action("&About GCMC Desktop", self._about))

    def _populate_navigation(self) -> None:
        self.nav.clear()
        for section in visible_sections(self.ctx):
            item = QListWidgetItem(self._section_title(section))
            item.setData(Qt.ItemDataRole.UserRole, section)
            item.setSizeHint(QSize(0, 30))
            self.nav.addItem(item)
        self.start_page.set_sections(
            self.ctx.tenant_name,
            [s for s in visible_sections(self.ctx) if not s.coming],
            self.open_section,
        )
        self.switch_action.setEnabled(True)
        self.switch_action.setVisible(not self.offline)
        self.document_types_action.setVisible(self.ctx.can("documents", "view"))
        self.filing_types_action.setVisible(self.ctx.can("filings", "view"))
        self.service_catalog_action.setVisible(self.ctx.can("services", "view"))
        self.workflow_templates_action.setVisible(self.ctx.can("services", "view"))
        self.rule_sets_action.setVisible(self.ctx.can("compliance", "view"))
        self.bundles_action.setVisible(self.ctx.can("compliance", "view"))

    # -- navigation ------------------------------------------------------------------------

    def _nav_activated(self, item: QListWidgetItem) -> None:
        self.open_section(item.data(Qt.ItemDataRole.UserRole).key)

    def _sync_navigation(self) -> None:
        """The navigation shows the section of the current tab (a client tab: Clients)."""
        page = self.tabs.currentWidget()
        key = next((k for k, w in self._section_tabs.items() if w is page), None)
        if key is None and page in self._client_tabs.values():
            key = "clients"
        keys = self.section_keys()
        if key in keys and self.nav.currentRow() != keys.index(key):
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(keys.index(key))
            self.nav.blockSignals(False)

    def section_keys(self) -> list[str]:
        return [
            self.nav.item(i).data(Qt.ItemDataRole.UserRole).key for i in range(self.nav.count())
        ]

    def open_section(self, key: str) -> QWidget:
        page = self._section_tabs.get(key)
        if page is None or self.tabs.indexOf(page) < 0:
            section = next(s for s in SECTIONS if s.key == key)
            page = self._make_page(section)
            self._section_tabs[key] = page
            self._set_tab_title(self.tabs.addTab(page, ""), self._section_title(section))
        self.tabs.setCurrentWidget(page)
        return page

    def _show_start_page_if_empty(self, *_args: object) -> None:
        self.pages.setCurrentWidget(self.tabs if self.tabs.count() else self.start_page)

    def _set_tab_title(self, index: int, title: str) -> None:
        """Long titles (client names) are elided to a fixed width, the full title in the
        tooltip: one long name must not push the other tabs out of sight."""
        metrics = self.tabs.tabBar().fontMetrics()
        shown = metrics.elidedText(title, Qt.TextElideMode.ElideRight, TAB_TITLE_WIDTH)
        # "&" would turn the next letter into a shortcut.
        self.tabs.setTabText(index, shown.replace("&", "&&"))
        self.tabs.setTabToolTip(index, title)

    def _start_uploads(self) -> None:
        """One upload manager per signed-in firm: it resumes the outbox (uploads left over from
        a crash or an outage) and reports progress in the status bar."""
        if self.storage is None or not self.ctx.can("documents", "view"):
            return
        from .uploads import UploadManager

        self.uploads = UploadManager(
            self.ctx, self.storage, outbox=self._offline_outbox(), parent=self
        )
        self.uploads.fileFailed.connect(
            lambda name, reason: self.statusBar().showMessage(f"{name}: {reason}", 10_000)
        )
        self.uploads.fileFinished.connect(
            lambda name, message: self.statusBar().showMessage(f"{name}: {message}", 5_000)
        )
        from .uploads_panel import UploadsPanel

        self.uploads_panel = UploadsPanel(self.uploads)
        # The status bar's total is the panel's: summed from the numbers its rows show.
        self.uploads_panel.totalChanged.connect(self._upload_progress)
        self.uploads_dock.setWidget(self.uploads_panel)
        self.uploads.fileQueued.connect(self._show_uploads)
        self.uploads.start()

    def _show_uploads(self) -> None:
        if not self.uploads_dock.isVisible():
            self.uploads_dock.show()
            # A strip along the bottom, not half the window.
            self.resizeDocks([self.uploads_dock], [170], Qt.Orientation.Vertical)

    def _stop_uploads(self) -> None:
        if self.uploads is not None:
            self.uploads.shutdown()  # entries stay in the outbox for the next start
            self.uploads = None

    def _upload_progress(self, done: int, total: int) -> None:
        if total <= 0 or done >= total:
            self.jobs_bar.setRange(0, 0)
            self.jobs_bar.setVisible(monitor().active > 0)
            if self.jobs_label.text().startswith("Uploading…"):
                self.jobs_label.clear()  # a finished batch leaves no stale percentage
            return
        # Byte counts can pass 2 GB; the bar shows per mille.
        self.jobs_bar.setRange(0, 1000)
        self.jobs_bar.setValue(int(done * 1000 / total))
        self.jobs_bar.show()
        self.jobs_label.setText(f"Uploading… {done * 100 // total}%")

    def _make_page(self, section: Section) -> QWidget:
        """The page of a navigation section: a lookup, so a new domain adds one entry."""
        build = {
            "clients": self._clients_page,
            "documents": self._documents_page,
            "filings": self._filings_page,
            "calendar": self._deadlines_page,
            "services": self._services_page,
            "tasks": self._tasks_page,
            "messages": self._messages_page,
            "compliance": self._compliance_page,
            "dashboard": self._dashboard_page,
            "admin": self._admin_page,
            "notifications": self._notifications_page,
            "audit": self._audit_page,
        }.get(section.key)
        return build() if build is not None else ComingSoonPage(section)

    def _database_page(self) -> QWidget:
        from .database_page import DatabasePage

        return DatabasePage(self.ctx, server=self.local_server)

    def _documents_page(self) -> QWidget:
        if self.storage is None or self.uploads is None:
            return _MessagePage("Documents", self.storage_error or "Storage is not set up.")
        from .documents import DocumentsPage

        page = DocumentsPage(self.ctx, self.storage, self.uploads)
        page.opened.connect(self.open_client)
        return page

    def _clients_page(self) -> QWidget:
        from .clients import CLIENTS
        from .kit.list_page import ListPage

        page = ListPage(self.ctx, CLIENTS)
        page.opened.connect(self.open_client)
        return page

    def _filings_page(self) -> QWidget:
        from .filing_documents import FilingDocumentsPane
        from .filings import FILINGS
        from .kit.list_page import ListPage

        return ListPage(self.ctx, FILINGS, detail=FilingDocumentsPane(self.ctx, self.storage))

    def _services_page(self) -> QWidget:
        from .service_requests import requests_page

        return requests_page(self.ctx, storage=self.storage)

    def _admin_page(self) -> QWidget:
        from .admin import AdminPage

        page = AdminPage(self.ctx)
        if self.ctx.can("settings", "view"):
            page.add_tab(self._database_page(), "Database")
        return page

    def _audit_page(self) -> QWidget:
        """The firm's trail, and Deleted items beside it for a role that may restore."""
        from .audit import AuditPage
        from .trash import deleted_items_tab

        trail = AuditPage(self.ctx)
        trail.opened.connect(self.open_client)
        deleted = deleted_items_tab(self.ctx)
        if deleted is None:
            return trail
        page = AuditSection(trail, deleted)
        return page

    def _tasks_page(self) -> QWidget:
        from .tasks import TasksPage

        return TasksPage(self.ctx)

    def _messages_page(self) -> QWidget:
        from .messages import MessagesPage, messages_title

        page = MessagesPage(self.ctx)
        page.unreadChanged.connect(
            lambda n, p=page: (
                self._set_tab_title(self.tabs.indexOf(p), messages_title(n))
                if self.tabs.indexOf(p) >= 0
                else None
            )
        )
        return page

    def _notification_center(self, ctx: Context) -> Any:
        from .notifications import NotificationCenter

        center = NotificationCenter(ctx, self)
        center.unreadChanged.connect(self._show_unread)
        center.trayClicked.connect(self._tray_clicked)
        if not getattr(ctx, "offline", False):
            QTimer.singleShot(GENERATE_AFTER_START_MS, center, center.generate)
        center.count_unread()
        return center

    def _section_title(self, section: Section) -> str:
        """A section's name; the Notifications section's with its unread count."""
        center = getattr(self, "notifications", None)
        if section.key == "notifications" and center is not None:
            from .notifications import notifications_title

            return notifications_title(center.unread)
        return section.title

    def _show_unread(self, _unread: int) -> None:
        """The unread badge in the navigation and on the section's tab."""
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            section = item.data(Qt.ItemDataRole.UserRole)
            if section.key == "notifications":
                item.setText(self._section_title(section))
                page = self._section_tabs.get("notifications")
                if page is not None and self.tabs.indexOf(page) >= 0:
                    self._set_tab_title(self.tabs.indexOf(page), item.text())

    def _tray_clicked(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.open_section("notifications")

    def _notifications_page(self) -> QWidget:
        from .notifications import NotificationsPage

        page = NotificationsPage(self.ctx)
        page.subjectRequested.connect(self.open_subject)
        return page

    def open_subject(self, subject: Any) -> QWidget | None:
        """What a notification is about: the client's document, filing, request or task in
        its workspace (a task without a client: the Tasks section), selected once its row is
        loaded; only the client when the role may not see that list."""
        kind, ident, client_id = subject.subject_type, subject.subject_id, subject.client_id
        if kind == "task" and client_id is None:
            if "tasks" not in self.section_keys():
                return None
            page = self.open_section("tasks")
            team = getattr(page, "team", None)
            if team is not None and ident is not None:
                page.setCurrentWidget(team)
                _select_when_loaded(team, ident)
            return page
        if client_id is None or not self.ctx.can("clients", "view"):
            self.statusBar().showMessage(subject.message, 10_000)
            return None
        workspace = self.open_client(client_id)
        target = None
        if kind == "document":
            from .documents import ClientDocumentsTab

            target = next(iter(workspace.findChildren(ClientDocumentsTab)), None)
        elif kind == "filing":
            target = workspace.filings
        elif kind == "service_request":
            target = workspace.requests
        elif kind == "task" and workspace.tasks is not None:
            target = workspace.tasks
            list_page = workspace.tasks.staff
            if ident is not None:
                _select_when_loaded(list_page, ident)
            workspace.setCurrentWidget(target)
            return workspace
        if target is not None and workspace.indexOf(target) >= 0:
            workspace.setCurrentWidget(target)
            if ident is not None:
                _select_when_loaded(target, ident)
        return workspace

    def _dashboard_page(self) -> QWidget:
        from .dashboard import DashboardPage

        page = DashboardPage(self.ctx)
        page.listRequested.connect(self.open_filtered)
        return page

    def open_filtered(self, key: str, filters: dict, label: str = "") -> QWidget | None:
        """Section `key`'s page narrowed to the query `filters` (a dashboard figure's list)."""
        if key not in self.section_keys():
            return None
        page = self.open_section(key)
        show = getattr(page, "show_filtered", None)
        if show is not None:
            show(filters, label)
        return page

    def _compliance_page(self) -> QWidget:
        from .compliance import CompliancePage

        page = CompliancePage(self.ctx, jobs=self.compliance_jobs)
        page.opened.connect(self.open_client)
        return page

    def _deadlines_page(self) -> QWidget:
        from .deadlines import DeadlinesPage

        page = DeadlinesPage(self.ctx)
        page.opened.connect(self.open_client)
        return page

    def open_client(self, client_id: int) -> QWidget:
        page = self._client_tabs.get(client_id)
        if page is None or self.tabs.indexOf(page) < 0:
            from .client_workspace import ClientWorkspace

            page = ClientWorkspace(self.ctx, client_id)
            if self.storage is not None and self.uploads is not None:
                from .documents import ClientDocumentsTab

                page.uploads = self.uploads  # reports stored as client documents

                page.insertTab(
                    2,
                    ClientDocumentsTab(self.ctx, client_id, self.storage, self.uploads),
                    "Documents",
                )
            page.titleChanged.connect(lambda title, p=page: self._retitle(p, title))
            self._client_tabs[client_id] = page
            self._set_tab_title(self.tabs.addTab(page, ""), page.title())
        self.tabs.setCurrentWidget(page)
        return page

    def generate_due_filings(self) -> None:
        """Create the drafts of recurring filings whose period has ended, in the background."""
        ctx = self.ctx
        if not (ctx.can("filings", "create") and ctx.can("filings", "edit")):
            return
        from ..services.recurring import generate_due_filings

        def done(report: Any) -> None:
            if report.created:
                self.statusBar().showMessage(
                    f"Created {len(report.created):,} draft filing(s) from recurring schedules.",
                    10_000,
                )

        run_operation(
            ctx,
            lambda wctx: generate_due_filings(wctx),
            owner=self,
            on_done=done,
            on_error=lambda error: log.info("Recurring filings not generated: %s", error),
        )

    def _listen(self, ctx: Context) -> None:
        """Subscribe to the firm's change channel on a connection of the user's own."""
        self._stop_listening()
        self.listener = ChangeListener(
            ctx.session.get_bind().url, ctx.tenant_id, change_bus().publish
        ).start()

    def _stop_listening(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.stop(timeout=1.0)

    def _clients_changed(self, changes: ChangeSet) -> None:
        """A deleted client's workspace closes (deleted here or on another workstation)."""
        deleted = changes.entities.get("client")
        for client_id in deleted.deleted if deleted is not None else ():
            page = self._client_tabs.get(client_id)
            if page is not None and self.tabs.indexOf(page) >= 0:
                self.close_tab(self.tabs.indexOf(page))

    def _retitle(self, page: QWidget, title: str) -> None:
        index = self.tabs.indexOf(page)
        if index >= 0:
            self._set_tab_title(index, title)

    def close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is None:
            return
        self._remember_layouts(widget)
        self.tabs.removeTab(index)
        self._section_tabs = {k: w for k, w in self._section_tabs.items() if w is not widget}
        self._client_tabs = {k: w for k, w in self._client_tabs.items() if w is not widget}
        widget.deleteLater()

    def close_current_tab(self) -> None:
        if self.tabs.count():
            self.close_tab(self.tabs.currentIndex())

    # -- commands --------------------------------------------------------------------------

    def new_item(self) -> None:
        page = self.open_section("clients") if self.ctx.can("clients", "view") else None
        if page is not None and hasattr(page, "new_record"):
            page.new_record()

    def find(self) -> None:
        page = self.tabs.currentWidget()
        if not hasattr(page, "focus_search") and self.ctx.can("clients", "view"):
            page = self.open_section("clients")
        if hasattr(page, "focus_search"):
            page.focus_search()

    def refresh(self) -> None:
        page = self.tabs.currentWidget()
        if hasattr(page, "refresh"):
            page.refresh()

    def document_types(self) -> None:
        from .document_types import document_types_window

        document_types_window(self.ctx, self).exec()

    def filing_types(self) -> None:
        from .filings import filing_types_window

        filing_types_window(self.ctx, self).exec()

    def service_catalog(self) -> None:
        from .service_catalog import service_catalog_window

        service_catalog_window(self.ctx, self).exec()

    def workflow_templates(self) -> None:
        from .workflow_templates import templates_window

        templates_window(self.ctx, self).exec()

    def rule_sets(self) -> None:
        from .compliance_rules import rule_sets_window

        rule_sets_window(self.ctx, self).exec()

    def requirement_bundles(self) -> None:
        from .requirement_bundles import bundles_window

        bundles_window(self.ctx, self).exec()

    def preferences(self) -> None:
        self.preferences_dialog().exec()

    def preferences_dialog(self) -> QWidget:
        """The Preferences dialog, wired so saved storage settings apply at once."""
        from .preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self)
        dialog.storageSaved.connect(self.apply_storage)
        dialog.notificationsSaved.connect(self.notifications.apply_settings)
        return dialog

    def apply_storage(self) -> None:
        """Switch to the storage the settings now name, without signing out: the uploads,
        open documents lists and client documents tabs use it from now on."""
        from .documents import ClientDocumentsTab, DocumentsPage

        self.storage, self.storage_error = _open_storage()
        if self.storage is None:
            self._stop_uploads()
        elif self.uploads is None:
            self._start_uploads()
        else:
            self.uploads.storage = self.storage
            self.uploads.resume()  # uploads that waited for a working storage go now
        documents = self._section_tabs.get("documents")
        if documents is not None and self.tabs.indexOf(documents) >= 0:
            if isinstance(documents, DocumentsPage) and self.storage is not None:
                documents.set_storage(self.storage)
            else:  # the page explaining the old problem, or a page for a storage now gone
                self._replace_section("documents")
        if self.storage is not None:
            for workspace in self._client_tabs.values():
                for tab in workspace.findChildren(ClientDocumentsTab):
                    tab.set_storage(self.storage)

    def _replace_section(self, key: str) -> None:
        old = self._section_tabs.pop(key)
        index = self.tabs.indexOf(old)
        current = self.tabs.currentIndex() == index
        section = next(s for s in SECTIONS if s.key == key)
        page = self._make_page(section)
        self._section_tabs[key] = page
        self.tabs.removeTab(index)
        self._set_tab_title(self.tabs.insertTab(index, page, ""), section.title)
        if current:
            self.tabs.setCurrentIndex(index)
        old.deleteLater()

    def switch_firm(self) -> None:
        def load(_control):
            return auth.memberships(self.ctx)

        run_job(load, on_done=self._choose_firm, on_error=self._show_error)

    def _choose_firm(self, memberships: list[auth.Membership]) -> None:
        others = [m for m in memberships if m.tenant_id != self.ctx.tenant_id]
        if not others:
            QMessageBox.information(self, "Switch firm", "You are a member of this firm only.")
            return
        labels = [f"{m.tenant_name} — {m.role_name}" for m in others]
        label, ok = QInputDialog.getItem(self, "Switch firm", "Sign in to:", labels, 0, False)
        if not ok:
            return
        chosen = others[labels.index(label)]
        old = self.ctx

        def enter(_control):
            return auth.switch_tenant(old, chosen)

        run_job(enter, on_done=self.set_context, on_error=self._show_error,
                description=f"Switching to {chosen.tenant_name}…")  # fmt: skip

    def set_context(self, ctx: Context) -> None:
        """Re-open the window's pages for another firm (or role)."""
        for index in reversed(range(self.tabs.count())):
            self.close_tab(index)
        self._stop_uploads()
        old, self.ctx = self.ctx, ctx
        if old is not ctx:
            old.session.close()  # the previous firm's GUI session, on the GUI thread
        self.monitor.ctx = ctx
        self._listen(ctx)
        self.compliance_jobs.deleteLater()
        self.compliance_jobs = ComplianceJobs(ctx, self)
        QTimer.singleShot(
            GENERATE_AFTER_START_MS, self, lambda: self.compliance_jobs.recalculate_if_stale()
        )
        self.notifications.shutdown()
        self.notifications.deleteLater()
        self.notifications = self._notification_center(ctx)
        self._start_uploads()
        read_only = " (read-only)" if ctx.read_only else ""
        self.setWindowTitle(f"GCMC Desktop — {ctx.tenant_name}{read_only}")
        self.schema_notice.setText(ctx.notice)
        self.schema_notice.setVisible(bool(ctx.notice))
        self.who_label.setText(f"{ctx.user_name} · {ctx.tenant_name} · {ctx.role_name}")
        self.new_action.setVisible(ctx.can("clients", "create"))
        self._populate_navigation()
        self._open_first_section()
        self.contextChanged.emit(ctx)

    def sign_out(self) -> None:
        self._signing_out = True
        self.close()

    # -- offline review (issue 18) ---------------------------------------------------------

    def _show_offline_state(self) -> None:
        from .offline import offline_banner_text

        copy = getattr(self.offline_session, "copy", None)
        text = (
            offline_banner_text(copy)
            if copy is not None
            else "Working offline; changes are kept and synced when you reconnect."
        )
        self.offline_notice.show_text(text)
        self.connection_label.setText("○ Working offline")

    def check_offline_copy(self) -> None:
        """Online: copies whose access was revoked are wiped; this user's copy of this firm,
        if any, is offered for syncing."""
        from .offline import available, copy_of, services

        if self.offline or not available():
            return
        offline, ctx = services(), self.ctx

        def work(wctx: Context) -> tuple[list[str], Any]:
            wiped = offline.enforce_revocations(wctx)
            return wiped, copy_of(offline.copies(), wctx)

        run_operation(
            ctx,
            work,
            owner=self,
            on_done=self._offline_copy_found,
            on_error=lambda error: log.info("Offline copies not checked: %s", error),
        )

    def _offline_copy_found(self, found: tuple[list[str], Any]) -> None:
        from .offline import pending_copy_text

        wiped, copy = found
        if wiped:
            self.statusBar().showMessage(" ".join(wiped), 15_000)
        self.offline_copy = copy
        self.sync_action.setVisible(copy is not None)
        if copy is not None and (copy.pending_changes or copy.expired):
            self.offline_notice.show_text(pending_copy_text(copy), "Sync offline changes…")
        else:
            self.offline_notice.show_text("")

    def sync_offline(self) -> QWidget | None:
        """File → Sync offline changes…: the changes made offline, sent, then Check in."""
        copy = self.offline_copy
        if self.offline or copy is None:
            return None
        from .offline import SyncDialog

        if self.sync_dialog is not None:
            self.sync_dialog.raise_()
            return self.sync_dialog
        dialog = SyncDialog(self.ctx, copy, self, storage=self.storage)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "sync_dialog", None))
        dialog.finished.connect(lambda _code: self.check_offline_copy())
        self.sync_dialog = dialog
        dialog.open()
        return dialog

    def _about(self) -> None:
        from ..services.about import about_facts

        run_operation(self.ctx, about_facts, owner=self, on_done=self._show_about,
                      on_error=lambda error: self._show_about(None))  # fmt: skip

    def _show_about(self, facts) -> None:
        from PySide6 import __version__ as pyside_version

        from .. import __version__

        if facts is None:
            database = "The database could not be asked for its version just now."
        else:
            database = f"Database: PostgreSQL {facts.server}, schema {facts.schema}" + (
                f"<br><i>{facts.schema_state}</i>" if facts.schema_state else ""
            )
        self.about_text = (
            f"<h3>GCMC Desktop {__version__}</h3>"
            "<p>Tax, National Insurance and business-registration compliance work for the "
            "firm's clients in Guyana.</p>"
            f"<p>{database}<br>Python {platform.python_version()}, Qt for Python "
            f"{pyside_version}</p>"
        )
        box = QMessageBox(self)
        box.setWindowTitle("About GCMC Desktop")
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.about_text)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.about_box = box
        box.open()

    def _show_error(self, message: str) -> None:
        QMessageBox.warning(self, "GCMC Desktop", message)

    # -- state -----------------------------------------------------------------------------

    def _jobs_changed(self, active: int) -> None:
        self.jobs_bar.setVisible(active > 0)
        if not active:
            self.jobs_label.clear()

    def _connection_changed(self, online: bool, message: str) -> None:
        self.connection_label.setText(("● " if online else "○ ") + message)
        if online:
            self.refresh()
            if self.uploads is not None:
                self.uploads.resume()  # uploads that waited for the server go now

    def _open_first_section(self) -> None:
        keys = self.section_keys()
        if not keys:
            return
        # The dashboard is the first screen for the roles that have one.
        start = next((k for k in ("dashboard", "clients") if k in keys), keys[0])
        self.nav.setCurrentRow(keys.index(start))
        self.open_section(start)

    def _restore_state(self) -> None:
        store = app_settings.settings()
        geometry = store.value("mainWindow/geometry")
        if not (
            isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(QByteArray(geometry))
        ):
            self.resize(self._default_size())
        # The navigation's width is stored as a number and clamped, not as splitter state:
        # splitter state replayed into a differently sized window drifted wider each session.
        try:
            nav_width = int(store.value("mainWindow/navWidth", NAV_WIDTH[0]))
        except (TypeError, ValueError):
            nav_width = NAV_WIDTH[0]
        self._nav_width = max(NAV_WIDTH[0], min(NAV_WIDTH[1], nav_width))
        self._keep_nav_width()
        self._show_start_page_if_empty()
        QTimer.singleShot(0, self._open_first_section)

    def _nav_moved(self, *_args: object) -> None:
        self._nav_width = self.splitter.sizes()[0]

    def _keep_nav_width(self) -> None:
        sizes = self.splitter.sizes()
        if len(sizes) == 2 and sizes[0] != self._nav_width:
            total = sum(sizes) or self.width()
            self.splitter.setSizes([self._nav_width, max(1, total - self._nav_width)])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # After the splitter has shared out a new size (a narrow window may have squeezed the
        # navigation), give the navigation back the width the user chose.
        if watched is self.splitter and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._keep_nav_width)
        return super().eventFilter(watched, event)

    def _default_size(self) -> QSize:
        """1280×800, or the screen's available area when smaller."""
        screen = self.screen()
        if screen is None:
            return DEFAULT_SIZE
        available = screen.availableGeometry().size()
        return DEFAULT_SIZE.boundedTo(available).expandedTo(self.minimumSize())

    def _remember_layouts(self, widget: QWidget) -> None:
        from .kit.list_page import ListPage

        pages = [widget, *widget.findChildren(ListPage)]
        for page in pages:
            if isinstance(page, ListPage):
                page.save_layout()

    def closeEvent(self, event: QCloseEvent) -> None:
        store = app_settings.settings()
        store.setValue("mainWindow/geometry", self.saveGeometry())
        store.setValue("mainWindow/navWidth", self._nav_width)
        for index in range(self.tabs.count()):
            self._remember_layouts(self.tabs.widget(index))
        store.sync()
        self.monitor.stop()
        self._stop_listening()
        self._stop_uploads()
        self.notifications.shutdown()
        signing_out = getattr(self, "_signing_out", False)
        super().closeEvent(event)
        if signing_out:
            self._end_session(forget=True)
            if self._on_sign_out is not None:
                self._on_sign_out()
        else:
            self._end_session(forget=False)
            if self._on_close is not None:
                self._on_close()

    def _end_session(self, *, forget: bool) -> None:
        """Signing out ends the session (and any remembered device); quitting keeps a
        remembered sign-in for next time. Offline, the copy's session closes: the journal is
        written back into the encrypted copy and the local replica removed."""
        if self.offline_session is not None:
            self.ctx.session.close()
            try:
                self.offline_session.close()
            except Exception:  # logged; the window closes regardless
                log.exception("closing the offline copy failed")
            return
        try:
            if forget:
                auth.sign_out(self.ctx)
            else:
                self.ctx.session.close()
        except Exception:  # the server may be gone; the window closes regardless
            self.ctx.session.close()
