"""Offline review (issue 18): the screens over `services/offline`.

- Check out: `CheckoutDialog` (the estimate, "Include all versions", days, then progress with
  Cancel, then the result), from the clients list (several selected) and a client's workspace.
- Others see it: the clients list marks checked-out rows (icon + tooltip, `checkout_marks`), a
  workspace shows `CheckoutBanner`, and Admin → Firm has `OfflinePolicyBox` (read-only for
  others, or only flagged).
- Working offline: `WorkOfflineDialog` from the login dialog (pick a copy, sign in with the
  password, progress while the local replica starts); the main window then runs on the
  replica's Context with `offline_banner_text` above it.
- Back online: `SyncDialog` (the changes made offline, progress, each conflict in the kit's
  ConflictDialog field by field, a summary, then Check in).

The services are reached through `services()`, one small table of the contract's functions, so
tests can stand in for them (and so the screens load even where the package is absent)."""

from __future__ import annotations

import importlib.util
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..services.changes import ChangeSet
from ..services.context import Context
from ..services.db_health import human_bytes
from ..services.errors import ServiceError
from .kit.bus import change_bus
from .kit.conflict import ConflictDialog
from .kit.messages import banner, code_label, show_in
from .kit.operations import alive, run_operation
from .workers import Job, run_job

DEFAULT_DAYS = 14
MAX_DAYS = 90
NOTICE_STYLE = (
    "#offlineNotice { background: #e8f0fe; border-bottom: 1px solid #aac4f0; }"
    " #offlineNotice QLabel { color: #0b3d91; }"
)
CHECKED_OUT_STYLE = (
    "background: #e8f0fe; color: #0b3d91; border: 1px solid #aac4f0; border-radius: 4px;"
    "padding: 6px 8px;"
)
POLICIES = (
    ("Only flagged: others see the mark and may still edit", "flag"),
    ("Read-only for others until it is checked in", "read_only"),
)


# -- the services -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfflineServices:
    """The contract's functions (gcmc_desktop/services/offline), by name."""

    estimate: Callable[..., Any]
    check_out: Callable[..., Any]
    checkouts: Callable[..., Any]
    policy: Callable[..., Any]
    set_policy: Callable[..., Any]
    copies: Callable[..., Any]
    open_offline: Callable[..., Any]
    pending: Callable[..., Any]
    sync: Callable[..., Any]
    check_in: Callable[..., Any]
    enforce_revocations: Callable[..., Any]


def available() -> bool:
    """Whether this build has the offline services."""
    return importlib.util.find_spec("gcmc_desktop.services.offline") is not None


def services() -> OfflineServices:
    """The real services (imported on first use)."""
    from ..services.offline import checkout, session, status, store, sync

    return OfflineServices(
        estimate=checkout.estimate,
        check_out=checkout.check_out,
        checkouts=status.checkouts,
        policy=status.policy,
        set_policy=status.set_policy,
        copies=store.copies,
        open_offline=session.open_offline,
        pending=sync.pending,
        sync=sync.sync,
        check_in=sync.check_in,
        enforce_revocations=sync.enforce_revocations,
    )


def is_offline(ctx: Context) -> bool:
    return bool(getattr(ctx, "offline", False))


def may_check_out(ctx: Context) -> bool:
    """Checking out needs the server (not offline, not a read-only database) and a role that
    may see clients."""
    return not is_offline(ctx) and not ctx.read_only and ctx.can("clients", "view") and available()


# -- words ------------------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone()


def local_day(value: datetime | None) -> str:
    """ "3 Dec 2026", in local time."""
    if value is None:
        return "—"
    local = _local(value)
    return f"{local.day} {local:%b %Y}"


def local_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = _local(value)
    return f"{local.day} {local:%b %Y %H:%M}"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def checked_out_text(info: Any) -> str:
    """ "Checked out by Ann Persaud until 17 Dec 2026" (or "by you")."""
    who = "you" if info.mine else info.user_name
    return f"Checked out by {who} until {local_day(info.expires_at)}"


def checkout_marks(ctx: Context, client_ids: list[Any]) -> dict[Any, str]:
    """The clients list's marks: {client id: "Checked out by … until …"}."""
    if not client_ids or is_offline(ctx) or not available():
        return {}  # an offline copy holds no one's checkouts
    found = services().checkouts(ctx, list(client_ids))
    return {client_id: checked_out_text(info) for client_id, info in found.items()}


def offline_banner_text(copy: Any) -> str:
    return (
        f"<b>Working offline</b> — {plural(copy.clients, 'client')}, copy expires "
        f"{local_day(copy.expires_at)}; changes are kept and synced when you reconnect."
    )


def announce_clients(client_ids: Sequence[int] | None) -> None:
    """Tell the open screens that these clients' checkout state changed (lists re-mark them,
    workspaces re-read their banner); None: any client."""
    changes = ChangeSet()
    changes.add("client", "updated", None if client_ids is None else list(client_ids))
    change_bus().publish(changes)


# -- checking out -----------------------------------------------------------------------------


class _JobDialog(QDialog):
    """A dialog running a background job (`self.job`): Esc or closing the window while it runs
    cancels the job first (`_cancel_clicked`), and the dialog stays to say so."""

    job: Job | None = None

    def _cancel_clicked(self) -> None:
        raise NotImplementedError

    def reject(self) -> None:
        if self.job is not None:
            self._cancel_clicked()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.job is not None:
            self._cancel_clicked()
            event.ignore()
            return
        super().closeEvent(event)


class CheckoutDialog(_JobDialog):
    """Check out `client_ids` for offline review: what it copies (counted in the background),
    "Include all versions", how many days; then progress with Cancel; then what was copied and
    until when. `finished_checkout(result)` on success."""

    checkedOut = Signal(object)  # CheckoutResult

    SETUP, WORKING, DONE = range(3)

    def __init__(
        self,
        ctx: Context,
        client_ids: Sequence[int],
        parent: QWidget | None = None,
        *,
        names: Sequence[str] = (),
        offline: OfflineServices | None = None,
        storage: Any = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_ids = list(client_ids)
        # Where the documents' files are read from (the main window's storage); without one
        # only the records are copied.
        self.storage = storage
        self.offline = offline or services()
        self.result_value: Any = None
        self.estimate_value: Any = None
        self.job: Job | None = None
        self._estimate_generation = 0
        n = len(self.client_ids)
        self.setWindowTitle("Check out for offline review")
        self.setMinimumWidth(520)

        shown = ", ".join(names[:3]) + (f" and {len(names) - 3:,} more" if len(names) > 3 else "")
        what = f"{plural(n, 'client')}" + (f" ({shown})" if shown else "")
        self.intro = QLabel(
            f"<b>Copy {what} to this computer</b> to review them without a connection. The copy "
            "is encrypted on disk; others see that you have checked the clients out."
        )
        self.intro.setWordWrap(True)
        self.message = banner()

        # -- setup page
        setup = QWidget()
        form = QFormLayout(setup)
        form.setContentsMargins(0, 0, 0, 0)
        self.counts: dict[str, QLabel] = {}
        for key, title in (
            ("clients", "Clients"),
            ("documents", "Documents"),
            ("files", "Files"),
            ("bytes", "Size"),
        ):
            value = QLabel("Counting…")
            value.setObjectName(f"estimate_{key}")
            self.counts[key] = value
            form.addRow(f"{title}:", value)
        self.all_versions = QCheckBox("Include &all versions of documents (not only the latest)")
        self.all_versions.toggled.connect(self.refresh_estimate)
        form.addRow("", self.all_versions)
        self.days = QSpinBox()
        self.days.setRange(1, MAX_DAYS)
        self.days.setValue(DEFAULT_DAYS)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Days")
        self.days.valueChanged.connect(self._show_expiry)
        self.expiry = QLabel()
        days_row = QHBoxLayout()
        days_row.addWidget(self.days)
        days_row.addWidget(self.expiry, 1)
        days_label = QLabel("&Days:")
        days_label.setBuddy(self.days)
        form.addRow(days_label, days_row)
        self._show_expiry()

        # -- working page
        working = QWidget()
        working_layout = QVBoxLayout(working)
        working_layout.setContentsMargins(0, 0, 0, 0)
        self.progress_text = QLabel("Starting…")
        self.progress_text.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        working_layout.addWidget(self.progress_text)
        working_layout.addWidget(self.progress)
        working_layout.addStretch(1)

        # -- result page
        done = QWidget()
        done_layout = QVBoxLayout(done)
        done_layout.setContentsMargins(0, 0, 0, 0)
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        done_layout.addWidget(self.result_text)
        done_layout.addStretch(1)

        self.pages = QStackedWidget()
        for page in (setup, working, done):
            self.pages.addWidget(page)

        self.check_out_button = QPushButton("&Check out")
        self.check_out_button.setDefault(True)
        self.check_out_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.accept)
        self.close_button.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.check_out_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        QWidget.setTabOrder(self.all_versions, self.days)
        QWidget.setTabOrder(self.days, self.check_out_button)
        QWidget.setTabOrder(self.check_out_button, self.cancel_button)
        self.all_versions.setFocus()
        if not self.client_ids:
            show_in(self.message, "Select one or more clients to check out.")
            self.check_out_button.setEnabled(False)
        else:
            self.refresh_estimate()

    # -- the estimate ---------------------------------------------------------------------

    def refresh_estimate(self, *_args: Any) -> None:
        self._estimate_generation += 1
        generation = self._estimate_generation
        for label in self.counts.values():
            label.setText("Counting…")
        ids, all_versions = self.client_ids, self.all_versions.isChecked()
        estimate = self.offline.estimate

        def shown(value: Any) -> None:
            if generation == self._estimate_generation:
                self._show_estimate(value)

        run_operation(
            self.ctx,
            lambda wctx: estimate(wctx, ids, all_versions=all_versions),
            owner=self,
            on_done=shown,
            on_error=self._estimate_failed,
        )

    def _show_estimate(self, value: Any) -> None:
        self.estimate_value = value
        self.counts["clients"].setText(f"{value.clients:,}")
        self.counts["documents"].setText(f"{value.documents:,}")
        self.counts["files"].setText(f"{value.files:,}")
        self.counts["bytes"].setText(human_bytes(value.bytes))

    def _estimate_failed(self, error: ServiceError) -> None:
        for label in self.counts.values():
            label.setText("—")
        show_in(self.message, error.message)

    def _show_expiry(self, *_args: Any) -> None:
        until = datetime.now(UTC) + timedelta(days=self.days.value())
        self.expiry.setText(f"The copy can be opened until {local_day(until)}.")

    # -- checking out ---------------------------------------------------------------------

    def start(self) -> None:
        if self.job is not None or not self.client_ids:
            return
        show_in(self.message, "")
        self.pages.setCurrentIndex(self.WORKING)
        self.check_out_button.hide()
        self.progress.setRange(0, 0)
        self.progress_text.setText("Copying the clients' records…")
        ids, days, all_versions = self.client_ids, self.days.value(), self.all_versions.isChecked()
        check_out = self.offline.check_out
        options: dict[str, Any] = {"all_versions": all_versions, "days": days}
        if self.storage is not None:
            options["storage"] = self.storage

        self.job = run_operation(
            self.ctx,
            lambda wctx, control: check_out(wctx, ids, control=control, **options),
            owner=self,
            with_progress=True,
            on_progress=self._progressed,
            on_done=self._done,
            on_error=self._failed,
            on_cancelled=self._cancelled,
            description=f"Checking out {plural(len(ids), 'client')}…",
        )

    def _progressed(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if message:
            self.progress_text.setText(message)

    def _done(self, result: Any) -> None:
        self.job = None
        self.result_value = result
        self.pages.setCurrentIndex(self.DONE)
        self.intro.hide()
        self.result_text.setText(
            f"<b>Checked out {plural(result.clients, 'client')}</b> with "
            f"{plural(result.documents, 'document')} ({plural(result.files, 'file')}, "
            f"{human_bytes(result.bytes)}).<br><br>The copy is on this computer until "
            f"<b>{local_day(result.expires_at)}</b>. To work on it without a connection, "
            "choose <i>Work offline…</i> when you sign in. When you are back, use "
            "<i>File → Sync offline changes…</i> to send your changes and check the clients in."
        )
        self.cancel_button.hide()
        self.close_button.show()
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        announce_clients(self.client_ids)
        self.checkedOut.emit(result)

    def _failed(self, error: ServiceError) -> None:
        self.job = None
        self.pages.setCurrentIndex(self.SETUP)
        self.check_out_button.show()
        show_in(self.message, error.message)

    def _cancelled(self) -> None:
        self.job = None
        self.pages.setCurrentIndex(self.SETUP)
        self.check_out_button.show()
        show_in(self.message, "The checkout was cancelled; nothing was kept on this computer.")

    def _cancel_clicked(self) -> None:
        if self.job is not None:
            self.job.control.cancel()
            self.progress_text.setText("Cancelling…")
            self.cancel_button.setEnabled(False)
            return
        self.reject()


def open_checkout(
    parent: QWidget, ctx: Context, client_ids: Sequence[int], names: Sequence[str] = ()
) -> CheckoutDialog | None:
    if not may_check_out(ctx) or not client_ids:
        return None
    # The main window's document storage, for the files.
    storage = getattr(parent.window(), "storage", None)
    dialog = CheckoutDialog(ctx, client_ids, parent, names=names, storage=storage)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def check_out_selected(page: Any) -> CheckoutDialog | None:
    """The clients list's action: the selected clients (one or several)."""
    ids = page.selected_ids()
    names = []
    for client_id in ids:
        row = page.model.row_of(client_id)
        if row is not None:
            names.append(str(page.model.row_values(row).get("name") or ""))
    dialog = open_checkout(page, page.ctx, ids, names)
    page.checkout_dialog = dialog
    return dialog


# -- what others see --------------------------------------------------------------------------


class CheckoutBanner(QLabel):
    """A workspace's "Checked out by … until …" line (hidden when the client is not).
    `lockedChanged(True)` when someone else holds the client and the firm keeps checked-out
    clients read-only (the database refuses the edits anyway; the screens stop offering them)."""

    lockedChanged = Signal(bool)

    def __init__(self, ctx: Context, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.info: Any = None
        self.locked = False
        self.setObjectName("checkoutBanner")
        self.setStyleSheet(CHECKED_OUT_STYLE)
        self.setWordWrap(True)
        self.hide()

    def refresh(self) -> None:
        if is_offline(self.ctx) or not available() or not self.ctx.can("clients", "view"):
            return
        offline, client_id = services(), self.client_id

        def work(wctx: Context) -> tuple[Any, str]:
            info = offline.checkouts(wctx, [client_id]).get(client_id)
            policy = offline.policy(wctx) if info is not None and not info.mine else ""
            return info, policy

        run_operation(
            self.ctx, work, owner=self, on_done=self._show, on_error=lambda _e: self.hide()
        )

    def _show(self, found: tuple[Any, str]) -> None:
        info, policy = found
        self.info = info
        self.locked = info is not None and not info.mine and policy == "read_only"
        self.lockedChanged.emit(self.locked)
        if info is None:
            self.hide()
            return
        text = checked_out_text(info) + "."
        if info.mine:
            text += " Your copy is on this computer; sync it with File → Sync offline changes…"
        elif policy == "read_only":
            text += " The firm keeps checked-out clients read-only for others until check-in."
        else:
            text += " Changes you make now may meet theirs when they sync."
        self.setText(text)
        self.setToolTip(f"Checked out on {local_time(info.checked_out_at)}")
        self.show()


class OfflinePolicyBox(QGroupBox):
    """Admin → Firm: whether clients checked out for offline review are read-only for others
    or only flagged (the database enforces read-only)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__("Offline review", parent)
        self.ctx = ctx
        self.policy: str | None = None
        self.message = banner()
        self.choice = QComboBox()
        self.choice.setAccessibleName("Checked-out clients")
        for label, value in POLICIES:
            self.choice.addItem(label, value)
        self.choice.setEnabled(False)
        editable = ctx.can("settings", "edit")
        self.save_button = QPushButton("Save policy")
        self.save_button.setVisible(editable)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.choice.currentIndexChanged.connect(self._changed)
        self.status = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.choice)
        row.addWidget(self.save_button)
        row.addWidget(self.status)
        row.addStretch(1)
        form = QFormLayout(self)
        form.addRow(self.message)
        form.addRow("Checked-out clients:", row)
        self._editable = editable
        self.refresh()

    def refresh(self) -> None:
        policy = services().policy
        run_operation(self.ctx, policy, owner=self, on_done=self._shown, on_error=self._failed)

    def _shown(self, policy: str) -> None:
        self.policy = policy
        self.choice.blockSignals(True)
        self.choice.setCurrentIndex(max(0, self.choice.findData(policy)))
        self.choice.blockSignals(False)
        self.choice.setEnabled(self._editable)
        self._changed()

    def _changed(self, *_args: Any) -> None:
        self.save_button.setEnabled(
            self.policy is not None and self.choice.currentData() != self.policy
        )

    def save(self) -> None:
        value = self.choice.currentData()
        set_policy = services().set_policy
        self.save_button.setEnabled(False)

        def saved(_none: Any) -> None:
            self.policy = value
            self._changed()
            self.status.setText("Saved.")

        run_operation(
            self.ctx,
            lambda wctx: set_policy(wctx, value),
            owner=self,
            on_done=saved,
            on_error=self._failed,
        )

    def _failed(self, error: ServiceError) -> None:
        self._changed()
        show_in(self.message, error.message)


# -- working offline --------------------------------------------------------------------------


class WorkOfflineDialog(QDialog):
    """Pick an offline copy this computer holds and sign in to it with the password; the
    local replica starts in the background. `self.session` is the OfflineSession once
    accepted."""

    def __init__(
        self,
        copies: Sequence[Any],
        parent: QWidget | None = None,
        *,
        email: str = "",
        offline: OfflineServices | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Work offline — GCMC Desktop")
        self.setMinimumWidth(640)
        self.offline = offline or services()
        self.copies = list(copies)
        self.session: Any = None
        self.job: Job | None = None
        intro = QLabel(
            "<b>Work offline</b> on the clients you checked out to this computer. Changes are "
            "kept in the encrypted copy and sent when you sync online."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.copies), 5)
        self.table.setAccessibleName("Offline copies")
        self.table.setHorizontalHeaderLabels(["Firm", "User", "Clients", "Expires", "Changes"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, copy in enumerate(self.copies):
            expires = local_day(copy.expires_at) + (" (expired)" if copy.expired else "")
            values = (
                copy.tenant_name,
                f"{copy.user_name} <{copy.email}>",
                f"{copy.clients:,}",
                expires,
                f"{copy.pending_changes:,}",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if copy.expired:
                    item.setForeground(Qt.GlobalColor.darkRed)
                    item.setToolTip("Expired: connect to the server and sync it first.")
                self.table.setItem(row, column, item)
        self.table.setMaximumHeight(self.table.verticalHeader().length() + 60)
        self.email = QLineEdit(email)
        self.email.setReadOnly(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("the password you sign in with")
        self.password.returnPressed.connect(self.open_copy)
        form = QFormLayout()
        form.addRow("E-mail:", self.email)
        form.addRow("&Password:", self.password)
        self.message = banner()
        self.status = QLabel()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()
        self.open_button = QPushButton("&Open offline")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_copy)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        layout.addLayout(buttons)
        self.table.currentCellChanged.connect(lambda row, *_: self._picked(row))
        start = next(
            (i for i, c in enumerate(self.copies) if c.email == email and not c.expired),
            next((i for i, c in enumerate(self.copies) if not c.expired), 0),
        )
        if self.copies:
            self.table.selectRow(start)
            self._picked(start)
        QWidget.setTabOrder(self.table, self.password)
        QWidget.setTabOrder(self.password, self.open_button)
        QWidget.setTabOrder(self.open_button, self.cancel_button)
        self.password.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.password.setFocus()  # the one thing to type

    def current_copy(self) -> Any:
        row = self.table.currentRow()
        return self.copies[row] if 0 <= row < len(self.copies) else None

    def _picked(self, row: int) -> None:
        if not 0 <= row < len(self.copies):
            return
        copy = self.copies[row]
        self.email.setText(copy.email)
        if copy.expired:
            show_in(self.message, expired_message(copy))
        else:
            show_in(self.message, "")

    def open_copy(self) -> None:
        if self.job is not None:
            return
        copy = self.current_copy()
        if copy is None:
            show_in(self.message, "Choose an offline copy first.")
            return
        if copy.expired:
            show_in(self.message, expired_message(copy))
            return
        password = self.password.text()
        if not password:
            show_in(self.message, "Enter your password.")
            self.password.setFocus()
            return
        show_in(self.message, "")
        open_offline, email = self.offline.open_offline, copy.email

        def work(control: Any) -> Any:
            control.progress(0, 0, "Checking your password…")
            return open_offline(copy, email, password, control=control)

        self._set_busy("Starting the offline copy (a local database on this computer)…")
        self.job = run_job(
            work,
            on_done=alive(self, self._opened),
            on_error=alive(self, self._failed),
            on_progress=alive(self, lambda _d, _t, text: text and self.status.setText(text)),
        )
        self.job.signals.cancelled.connect(alive(self, self._stopped))

    def _set_busy(self, message: str | None) -> None:
        self.busy.setVisible(message is not None)
        self.status.setText(message or "")
        for widget in (self.open_button, self.table, self.password):
            widget.setEnabled(message is None)

    def _opened(self, session: Any) -> None:
        job, self.job = self.job, None
        self._set_busy(None)
        if job is not None and job.control.cancelled:  # Cancel came too late to stop it
            session.close()
            super().reject()
            return
        self.session = session
        self.accept()

    def reject(self) -> None:
        # Cancel while the copy opens: stopped at its next step (a replica half started is
        # removed by the service); the dialog closes once it has stopped.
        if self.job is not None:
            self.job.control.cancel()
            self.status.setText("Cancelling…")
            return
        super().reject()

    def _stopped(self) -> None:
        self.job = None
        self._set_busy(None)
        super().reject()

    def _failed(self, message: str) -> None:
        self.job = None
        self._set_busy(None)
        show_in(self.message, message)
        self.password.selectAll()
        self.password.setFocus()


def expired_message(copy: Any) -> str:
    return (
        f"This offline copy expired on {local_day(copy.expires_at)}. It can't be opened any "
        "more: connect to the server, sign in and sync it (File → Sync offline changes…)."
    )


# -- syncing back -----------------------------------------------------------------------------


def copy_of(copies: Sequence[Any], ctx: Context) -> Any:
    """This workstation's copy for the signed-in user and firm, if any."""
    return next(
        (
            c
            for c in copies
            if c.tenant_code == ctx.tenant_code and c.email.lower() == ctx.email.lower()
        ),
        None,
    )


class _ConflictBridge(QObject):
    """Carries a conflict from the sync's worker thread to the GUI thread and the answer back:
    the worker waits (checking for Cancel) until the user has chosen."""

    asked = Signal(object, object)  # conflict, answer queue

    def __init__(self) -> None:
        super().__init__()
        self.control: Any = None  # the sync job's, once it runs
        # Set when the dialog is gone (its window closed under it): nobody will answer.
        self.abandoned = threading.Event()

    def resolve(self, conflict: Any) -> dict | None:  # on the worker thread
        answer: queue.Queue = queue.Queue(maxsize=1)
        self.asked.emit(conflict, answer)
        while True:
            try:
                return answer.get(timeout=0.2)
            except queue.Empty:
                control = self.control
                if control is None:
                    continue
                if self.abandoned.is_set():
                    control.cancel()
                # Cancelled: the sync stops here, this change unapplied and still pending
                # (None would record it as "theirs kept").
                control.check()


SYNC_CONFLICT_INTRO = (
    "While you worked offline, someone changed <b>{label}</b> on the server. Highlighted "
    "fields differ. <i>Merge and save</i> keeps your changes and theirs (where you both changed "
    "a field, choose whose to keep); <i>Keep mine</i> applies your offline version; "
    "<i>Take theirs</i> leaves the server as it is — your offline value stays in the sync "
    "report, nothing is lost."
)


class SyncDialog(_JobDialog):
    """Send the changes made offline: the list, progress, each conflict field by field, a
    summary, then Check in (release the clients, remove the copy)."""

    synced = Signal(object)  # SyncReport
    checkedIn = Signal()

    LIST, SUMMARY = range(2)

    def __init__(
        self,
        ctx: Context,
        copy: Any,
        parent: QWidget | None = None,
        *,
        offline: OfflineServices | None = None,
        storage: Any = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.copy = copy
        # The office's document store, for the documents added offline (the main window's).
        self.storage = storage
        self.offline = offline or services()
        self.report: Any = None
        self.job: Job | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self.conflicts_seen = 0
        self.setWindowTitle("Sync offline changes")
        self.setMinimumSize(640, 420)
        self.intro = QLabel(
            f"<b>Your offline copy of {copy.tenant_name}</b> — {plural(copy.clients, 'client')}, "
            f"expires {local_day(copy.expires_at)}."
        )
        self.intro.setWordWrap(True)
        self.message = banner()

        listing = QWidget()
        listing_layout = QVBoxLayout(listing)
        listing_layout.setContentsMargins(0, 0, 0, 0)
        self.pending_title = QLabel("Reading the changes made offline…")
        self.pending_list = QListWidget()
        self.pending_list.setAccessibleName("Changes made offline")
        self.pending_list.setAlternatingRowColors(True)
        listing_layout.addWidget(self.pending_title)
        listing_layout.addWidget(self.pending_list, 1)

        # Under the list while the changes go: the list stays in sight.
        self.working = QWidget()
        working_layout = QVBoxLayout(self.working)
        working_layout.setContentsMargins(0, 0, 0, 0)
        self.progress_text = QLabel("Starting…")
        self.progress_text.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        working_layout.addWidget(self.progress_text)
        working_layout.addWidget(self.progress)
        self.working.hide()

        summary = QWidget()
        summary_layout = QVBoxLayout(summary)
        summary_layout.setContentsMargins(0, 0, 0, 0)
        self.summary_text = QLabel()
        self.summary_text.setWordWrap(True)
        self.summary_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_list = QListWidget()
        self.summary_list.setAccessibleName("Sync report")
        summary_layout.addWidget(self.summary_text)
        summary_layout.addWidget(self.summary_list, 1)

        self.pages = QStackedWidget()
        for page in (listing, summary):
            self.pages.addWidget(page)

        self.sync_button = QPushButton("&Sync now")
        self.sync_button.setDefault(True)
        self.sync_button.setEnabled(False)
        self.sync_button.clicked.connect(self.start)
        self.check_in_button = QPushButton("Check &in")
        self.check_in_button.setToolTip(
            "Release the checked-out clients and remove the offline copy from this computer"
        )
        self.check_in_button.clicked.connect(self.check_in)
        self.check_in_button.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.accept)
        self.close_button.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.sync_button, self.check_in_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.working)
        layout.addLayout(buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.reject)
        self.bridge = _ConflictBridge()
        self.bridge.asked.connect(self._ask)
        abandoned = self.bridge.abandoned
        self.destroyed.connect(lambda *_: abandoned.set())
        self._load_pending()

    # -- the list -------------------------------------------------------------------------

    def _load_pending(self) -> None:
        pending, copy = self.offline.pending, self.copy
        run_job(
            lambda _control: pending(copy),
            on_done=alive(self, self._show_pending),
            on_error=alive(self, lambda text: show_in(self.message, text)),
        )

    def _show_pending(self, lines: list[str]) -> None:
        self.pending_list.clear()
        self.pending_list.addItems(lines)
        if lines:
            self.pending_title.setText(f"{plural(len(lines), 'change')} made offline, in order:")
        else:
            self.pending_title.setText(
                "No changes were made offline. Check in to release the clients."
            )
            self.check_in_button.show()
        self.sync_button.setEnabled(bool(lines))
        self.sync_button.setVisible(bool(lines))

    # -- syncing --------------------------------------------------------------------------

    def start(self) -> None:
        if self.job is not None:
            return
        show_in(self.message, "")
        self.working.show()
        self.sync_button.hide()
        self.progress.setRange(0, 0)
        self.progress_text.setText("Sending your changes…")
        sync, copy, resolve = self.offline.sync, self.copy, self.bridge.resolve
        options = {} if self.storage is None else {"storage": self.storage}
        self.job = run_operation(
            self.ctx,
            lambda wctx, control: sync(wctx, copy, resolve, control=control, **options),
            owner=self,
            with_progress=True,
            on_progress=self._progressed,
            on_done=self._done,
            on_error=self._failed,
            on_cancelled=self._cancelled,
            description="Syncing offline changes…",
        )
        self.bridge.control = self.job.control

    def _progressed(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if message:
            self.progress_text.setText(message)

    def _ask(self, conflict: Any, answer: queue.Queue) -> None:
        """A conflict from the worker: the kit's ConflictDialog, field by field."""
        self.conflicts_seen += 1
        fields = [(key, field_label(key)) for key in conflict.fields]
        dialog = ConflictDialog(
            fields,
            conflict.mine,
            conflict.theirs,
            self,
            base=conflict.base,
            intro=SYNC_CONFLICT_INTRO.format(label=conflict.label),
            title=f"Changed on the server meanwhile: {conflict.label}",
        )
        # As tall as its few fields need (the kit's default suits a whole record form).
        table = dialog.table
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        dialog.resize(820, min(560, max(260, rows + table.horizontalHeader().height() + 170)))
        dialog.theirs_button.setText("Take theirs (keep the server's)")
        dialog.cancel_button.setText("Skip (keep theirs)")
        self.conflict_dialog = dialog
        self.progress_text.setText(f"Waiting for your choice about {conflict.label}…")

        def finished(_code: int) -> None:
            self.conflict_dialog = None
            dialog.deleteLater()
            if self.job is not None and self.job.control.cancelled:
                return  # no answer: the worker stops, the change stays pending
            choice = dialog.choice
            if choice == ConflictDialog.MERGE:
                value: dict | None = dialog.merged()
            elif choice == ConflictDialog.KEEP_MINE:
                value = dict(conflict.mine)
            else:
                value = None
            answer.put(value)

        dialog.finished.connect(finished)
        dialog.open()

    def _done(self, report: Any) -> None:
        self.job = None
        self.working.hide()
        self.report = report
        self.pages.setCurrentIndex(self.SUMMARY)
        parts = [f"<b>Applied {plural(report.applied, 'change')}</b>"]
        if report.conflicts_resolved:
            parts.append(f"{plural(report.conflicts_resolved, 'conflict')} resolved")
        if report.kept_theirs:
            parts.append(f"kept theirs for {plural(len(report.kept_theirs), 'change')}")
        if report.skipped:
            parts.append(f"{plural(report.skipped, 'change')} already sent before")
        if report.failed:
            parts.append(f"<b>{plural(len(report.failed), 'change')} failed</b>")
        text = ", ".join(parts) + "."
        if report.failed:
            text += (
                "<br>The failed changes stay in the offline copy: fix what the messages say "
                "and sync again before checking in."
            )
        else:
            text += "<br>Check in to release the clients for everyone and remove the copy."
        self.summary_text.setText(text)
        self.summary_list.clear()
        for line in report.kept_theirs:
            self.summary_list.addItem(f"Kept theirs (your offline value is kept here): {line}")
        for line in report.failed:
            self.summary_list.addItem(f"Failed: {line}")
        self.summary_list.setVisible(self.summary_list.count() > 0)
        self.cancel_button.hide()
        self.close_button.show()
        self.check_in_button.show()
        self.check_in_button.setEnabled(not report.failed)
        self.check_in_button.setDefault(not report.failed)
        self.check_in_button.setToolTip(
            "Sync again once the failed changes can be applied; checking in now would lose them"
            if report.failed
            else "Release the checked-out clients and remove the offline copy from this computer"
        )
        self.synced.emit(report)

    def _failed(self, error: ServiceError) -> None:
        self.job = None
        self.working.hide()
        self.pages.setCurrentIndex(self.LIST)
        self.sync_button.show()
        show_in(
            self.message,
            f"{error.message} What was already sent stays sent; Sync again continues from there.",
        )

    def _cancelled(self) -> None:
        self.job = None
        self.working.hide()
        self.pages.setCurrentIndex(self.LIST)
        self.sync_button.show()
        show_in(
            self.message,
            "The sync was stopped. What was already sent stays sent; Sync again continues "
            "from there.",
        )
        self._load_pending()

    def _cancel_clicked(self) -> None:
        if self.job is not None:
            self.job.control.cancel()
            self.progress_text.setText("Stopping after the current change…")
            if self.conflict_dialog is not None:  # the open question goes unanswered
                self.conflict_dialog.done(QDialog.DialogCode.Rejected)
            return
        self.reject()

    # -- checking in ----------------------------------------------------------------------

    def check_in(self) -> None:
        check_in, copy = self.offline.check_in, self.copy
        self.check_in_button.setEnabled(False)
        show_in(self.message, "")

        def done(_none: Any) -> None:
            self.pages.setCurrentIndex(self.SUMMARY)
            self.summary_text.setText(
                "<b>Checked in.</b> The clients are released for everyone and the offline copy "
                "was removed from this computer."
            )
            self.summary_list.hide()
            self.check_in_button.hide()
            self.sync_button.hide()
            self.cancel_button.hide()
            self.close_button.show()
            self.close_button.setDefault(True)
            announce_clients(None)  # the marks of the released clients go
            self.checkedIn.emit()

        def failed(error: ServiceError) -> None:
            self.check_in_button.setEnabled(True)
            show_in(self.message, error.message)

        run_operation(
            self.ctx,
            lambda wctx: check_in(wctx, copy),
            owner=self,
            on_done=done,
            on_error=failed,
            description="Checking in…",
        )


FIELD_LABELS = {
    "notes": "Notes",
    "status": "Status",
    "title": "Title",
    "description": "Description",
    "due_date": "Due date",
    "name": "Name",
    "content": "Message",
}


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key) or code_label(key) or key


# -- the main window's part -------------------------------------------------------------------


class OfflineNotice(QWidget):
    """The strip above the main window: offline, what the copy holds; online, a copy waiting
    to be synced with its button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlineNotice")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(NOTICE_STYLE)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton()
        self.button.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.button)
        self.hide()

    def show_text(self, text: str, button: str = "") -> None:
        self.text.setText(text)
        self.button.setText(button)
        self.button.setVisible(bool(button))
        self.setVisible(bool(text))


def pending_copy_text(copy: Any) -> str:
    changes = plural(copy.pending_changes, "change")
    expired = " It has expired: sync it to work offline again." if copy.expired else ""
    return (
        f"You have an offline copy of {plural(copy.clients, 'client')} on this computer with "
        f"{changes} not yet synced.{expired}"
    )
