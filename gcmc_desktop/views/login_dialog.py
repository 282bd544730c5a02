"""The login dialog: where (this computer's database or a central server), who (e-mail and
password, remember me), then which firm and role when the user has more than one.

All database work runs in background jobs; the dialog stays responsive and says what it is
doing. Errors are specific: wrong credentials, locked out, server unreachable (with Retry), no
membership, an expired remembered sign-in.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable

import keyring
from keyring.errors import KeyringError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import settings as app_settings
from ..services import auth
from ..services.auth import Membership, RememberedLogin, ServerProfile, SignedIn
from ..services.context import Context
from .kit.operations import alive
from .workers import UNREACHABLE, run_job

ProfileResolver = Callable[[app_settings.ConnectionProfile, str], ServerProfile]

NO_KEYRING = (
    "This computer has no password store (keyring), so the sign-in cannot be remembered. "
    "You will be asked for your password next time."
)


def keyring_problem() -> str | None:
    """Why "remember me" cannot work here (None if the OS keyring is usable). keyring's
    'fail' backend (no keyring at all) and 'null' backend (silently stores nothing) both count
    as unusable; so does a backend that refuses a harmless read."""
    try:
        backend = keyring.get_keyring()
    except Exception:
        return NO_KEYRING
    module = type(backend).__module__
    if module.endswith((".fail", ".null")):
        return NO_KEYRING
    if getattr(backend, "backends", None) == []:  # a chainer with nothing to chain
        return NO_KEYRING
    try:
        backend.get_password(app_settings.KEYRING_SERVICE, "availability-check")
    except (KeyringError, RuntimeError):
        return NO_KEYRING
    return None


class LoginDialog(QDialog):
    """`exec()` returns Accepted with `self.context` set to the signed-in Context."""

    signedIn = Signal(object)  # Context

    def __init__(
        self,
        profile: app_settings.ConnectionProfile,
        resolve_profile: ProfileResolver,
        *,
        local_description: str = "Embedded demo database on this computer",
        demo_users: list[tuple[str, str, str]] | None = None,
        remembered: RememberedLogin | None = None,
        notice: str = "",
        offline: object | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in — GCMC Desktop")
        # Offline review (issue 18): the copies this computer holds, and the session opened on
        # one ("Work offline…"); `offline` stands in for the services in tests.
        self._offline = offline
        self.offline_copies: list = []
        self.offline_session = None
        self.offline_dialog: QDialog | None = None
        self.setMinimumWidth(660)
        self.profile = profile
        self.context: Context | None = None
        self.remembered: RememberedLogin | None = None
        self._resolve_profile = resolve_profile
        self._signed_in: SignedIn | None = None
        self._job = None

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("errorBanner")
        self.banner.setStyleSheet(
            "#errorBanner { color: palette(window-text); background: rgba(220, 53, 69, 0.15);"
            " border: 1px solid rgba(220, 53, 69, 0.6); border-radius: 4px; padding: 6px; }"
        )
        self.banner.hide()
        self.retry_button = QPushButton("&Retry")
        self.retry_button.hide()
        self.retry_button.clicked.connect(self._retry)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        self.status = QLabel()
        self.status.setObjectName("statusText")

        self.pages = QStackedWidget()
        self.pages.addWidget(self._credentials_page(local_description, demo_users or []))
        self.pages.addWidget(self._membership_page())

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Sign in")
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.offline_button = self.buttons.addButton(
            "Work &offline…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.offline_button.setAutoDefault(False)
        self.offline_button.setToolTip(
            "Work without the server on the clients you checked out to this computer"
        )
        self.offline_button.setEnabled(False)
        self.offline_button.clicked.connect(self.work_offline)

        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        title = QLabel("<h2>GCMC Desktop</h2>Sign in with your firm account.")
        layout.addWidget(title)
        layout.addWidget(self.pages)
        layout.addLayout(banner_row)
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.reject)

        # Tab follows the form top to bottom (database, who, demo users, buttons); the focus
        # starts where the user types first. Set here, after the page is inside the dialog:
        # focus given to a widget of a page that is not yet in the dialog is lost on reparenting.
        chain = [
            self.local_radio,
            self.server_radio,
            self.host_edit,
            self.port_spin,
            self.database_edit,
            self.gateway_edit,
            self.email_edit,
            self.password_edit,
            self.remember_check,
            self.demo_table,
            self.retry_button,
            self.ok_button,
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
        ]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)
        (self.password_edit if self.profile.last_email else self.email_edit).setFocus()

        if notice:
            self.show_error(notice)
        self._find_offline_copies()
        if remembered is not None:
            self._resume(remembered)

    # -- offline review --------------------------------------------------------------------

    def _offline_services(self):  # -> OfflineServices | None
        from .offline import available, services

        if self._offline is not None:
            return self._offline
        return services() if available() else None

    def _find_offline_copies(self) -> None:
        """ "Work offline…" is enabled when this computer holds a copy (read in the background:
        it looks at the disk)."""
        offline = self._offline_services()
        self.offline_button.setVisible(offline is not None)
        if offline is None:
            return

        def found(copies: list) -> None:
            self.offline_copies = list(copies)
            self.offline_button.setEnabled(bool(copies))
            if copies:
                self.offline_button.setToolTip(
                    f"Work without the server on the clients you checked out "
                    f"({len(copies)} offline cop{'y' if len(copies) == 1 else 'ies'} here)"
                )

        run_job(lambda _control: offline.copies(), on_done=alive(self, found))

    def work_offline(self) -> QDialog | None:
        offline = self._offline_services()
        if offline is None or not self.offline_copies:
            self.show_error("There is no offline copy on this computer. Check clients out first.")
            return None
        from .offline import WorkOfflineDialog

        dialog = WorkOfflineDialog(
            self.offline_copies,
            self,
            email=auth.normalize_email(self.email_edit.text()),
            offline=offline,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.offline_dialog = dialog
        dialog.accepted.connect(lambda: self._offline_opened(dialog.session))
        dialog.destroyed.connect(lambda *_: setattr(self, "offline_dialog", None))
        dialog.open()
        return dialog

    def _offline_hint(self, message: str) -> str:
        """The server cannot be reached: offer the offline copy, if there is one."""
        if not self.offline_copies:
            return message
        self.offline_button.setFocus()
        return f"{message} You can work offline on the clients you checked out: Work offline…"

    def _offline_opened(self, session) -> None:
        self.offline_session = session
        self.context = session.ctx
        self.signedIn.emit(self.context)
        self.accept()

    # -- pages -----------------------------------------------------------------------------

    def _credentials_page(self, local_description: str, demo_users: list) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)

        where = QGroupBox("Database")
        where_layout = QVBoxLayout(where)
        self.local_radio = QRadioButton(local_description)
        self.server_radio = QRadioButton("Central server")
        where_layout.addWidget(self.local_radio)
        where_layout.addWidget(self.server_radio)
        self.server_box = QWidget()
        server_form = QFormLayout(self.server_box)
        server_form.setContentsMargins(24, 0, 0, 0)
        self.host_edit = QLineEdit(self.profile.host)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(self.profile.port)
        self.database_edit = QLineEdit(self.profile.database)
        self.gateway_edit = QLineEdit(
            app_settings.get_secret(app_settings.gateway_secret_name(self.profile)) or ""
        )
        self.gateway_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.gateway_edit.setPlaceholderText("kept in the system password store")
        server_form.addRow("&Host:", self.host_edit)
        server_form.addRow("P&ort:", self.port_spin)
        server_form.addRow("&Database:", self.database_edit)
        server_form.addRow("Database pass&word:", self.gateway_edit)
        where_layout.addWidget(self.server_box)
        layout.addWidget(where)
        (self.local_radio if self.profile.embedded else self.server_radio).setChecked(True)
        self.local_radio.toggled.connect(self._database_choice_changed)
        self._where_changed()

        who = QFormLayout()
        self.email_edit = QLineEdit(self.profile.last_email)
        self.email_edit.setPlaceholderText("name@firm.gy")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember_check = QCheckBox("&Remember me on this computer (7 days)")
        self.remember_check.toggled.connect(self._remember_toggled)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setStyleSheet("#keyringNote { color: palette(placeholder-text); }")
        self.keyring_note.hide()
        # Enter submits from the fields themselves, whatever the platform's default-button rules.
        self.email_edit.returnPressed.connect(self._submit)
        self.password_edit.returnPressed.connect(self._submit)
        who.addRow("&E-mail:", self.email_edit)
        who.addRow("&Password:", self.password_edit)
        who.addRow("", self.remember_check)
        who.addRow("", self.keyring_note)
        layout.addLayout(who)

        self.demo_box = QGroupBox("Demo users (this computer's demo database only)")
        demo_layout = QVBoxLayout(self.demo_box)
        self.demo_table = QTableWidget(len(demo_users), 3)
        self.demo_table.setHorizontalHeaderLabels(["Role", "E-mail", "Password"])
        for row, values in enumerate(demo_users):
            for column, value in enumerate(values):
                self.demo_table.setItem(row, column, QTableWidgetItem(value))
        self.demo_table.verticalHeader().hide()
        self.demo_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.demo_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.demo_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.demo_table.horizontalHeader().setStretchLastSection(True)
        self.demo_table.setWordWrap(False)
        self.demo_table.verticalHeader().setDefaultSectionSize(
            self.demo_table.fontMetrics().height() + 8
        )
        self.demo_table.setMinimumHeight(7 * (self.demo_table.fontMetrics().height() + 8))
        self.demo_table.itemActivated.connect(self._use_demo_user)
        self.demo_table.itemClicked.connect(self._use_demo_user)
        hint = QLabel("Click a row to fill in its e-mail and password.")
        demo_layout.addWidget(hint)
        demo_layout.addWidget(self.demo_table)
        self._has_demo = bool(demo_users)
        self.demo_box.setVisible(self._has_demo and self.profile.embedded)
        layout.addWidget(self.demo_box)

        return page

    def _use_demo_user(self, item: QTableWidgetItem) -> None:
        row = item.row()
        self.email_edit.setText(self.demo_table.item(row, 1).text())
        self.password_edit.setText(self.demo_table.item(row, 2).text())
        self.password_edit.setFocus()

    def _membership_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("You work for more than one firm. Choose where to sign in:"))
        self.membership_list = QListWidget()
        self.membership_list.itemActivated.connect(lambda _item: self._submit())
        layout.addWidget(self.membership_list)
        return page

    def _remember_toggled(self, checked: bool) -> None:
        """Ticking "remember me" where the OS has no usable keyring would fail silently at
        sign-in: say so now, untick it and leave it disabled."""
        if not checked:
            return
        problem = keyring_problem()
        if problem is None:
            self.keyring_note.hide()
            return
        self.remember_check.setChecked(False)
        self.remember_check.setEnabled(False)
        self.keyring_note.setText(problem)
        self.keyring_note.show()

    def _database_choice_changed(self) -> None:
        # An error (and Retry) about the other database no longer applies.
        self.banner.hide()
        self.retry_button.hide()
        self._where_changed()

    def _where_changed(self) -> None:
        self.server_box.setVisible(self.server_radio.isChecked())
        if hasattr(self, "demo_box"):
            self.demo_box.setVisible(self._has_demo and self.local_radio.isChecked())
        self.adjustSize()

    # -- state -----------------------------------------------------------------------------

    def show_error(self, message: str, *, retry: bool = False) -> None:
        self.banner.setText(message)
        self.banner.show()
        self.retry_button.setVisible(retry)

    def _set_busy(self, message: str | None) -> None:
        busy = message is not None
        self.busy.setVisible(busy)
        self.status.setText(message or "")
        self.ok_button.setEnabled(not busy)
        self.pages.setEnabled(not busy)

    def _current_profile(self) -> app_settings.ConnectionProfile:
        return app_settings.ConnectionProfile(
            kind=app_settings.EMBEDDED if self.local_radio.isChecked() else app_settings.SERVER,
            host=self.host_edit.text().strip(),
            port=self.port_spin.value(),
            database=self.database_edit.text().strip(),
            last_email=auth.normalize_email(self.email_edit.text()),
        )

    # -- actions ---------------------------------------------------------------------------

    def _submit(self) -> None:
        if not self.ok_button.isEnabled():  # a sign-in is already under way
            return
        if self.pages.currentIndex() == 1:
            item = self.membership_list.currentItem()
            if item is None:
                self.show_error("Choose a firm first.")
                return
            self._enter(item.data(Qt.ItemDataRole.UserRole))
            return
        email, password = self.email_edit.text().strip(), self.password_edit.text()
        if not email or not password:
            self.show_error("Enter your e-mail address and password.")
            (self.email_edit if not email else self.password_edit).setFocus()
            return
        profile = self._current_profile()
        if not profile.embedded and not (profile.host and profile.database):
            self.show_error("Enter the server's host and database name.")
            return
        self.banner.hide()
        self.retry_button.hide()
        self.profile = profile
        gateway_password = self.gateway_edit.text()
        resolve = self._resolve_profile

        def work(control):
            control.progress(0, 0, "Connecting…")
            server = resolve(profile, gateway_password)
            control.progress(0, 0, "Checking your password…")
            return auth.sign_in(server, email, password)

        self._set_busy("Connecting…")
        self._job = run_job(
            work,
            on_done=self._signed_in_ok,
            on_error=self._failed,
            on_progress=lambda _d, _t, message: self.status.setText(message),
        )
        self._last_action = self._submit

    def _retry(self) -> None:
        action = getattr(self, "_last_action", self._submit)
        action()

    def _signed_in_ok(self, signed_in: SignedIn) -> None:
        self._set_busy(None)
        self._signed_in = signed_in
        if not self.profile.embedded and self.gateway_edit.text():
            # Without a keyring the password is simply asked for again next time.
            with contextlib.suppress(app_settings.KeyringUnavailable):
                app_settings.set_secret(
                    app_settings.gateway_secret_name(self.profile), self.gateway_edit.text()
                )
        if not signed_in.memberships:
            self.show_error(auth.NoMembership.default_message)
            signed_in.engine.dispose()
            return
        if len(signed_in.memberships) == 1:
            self._enter(signed_in.memberships[0])
            return
        self.membership_list.clear()
        for membership in signed_in.memberships:
            item = QListWidgetItem(f"{membership.tenant_name} — {membership.role_name}")
            item.setData(Qt.ItemDataRole.UserRole, membership)
            self.membership_list.addItem(item)
        self.membership_list.setCurrentRow(0)
        self.pages.setCurrentIndex(1)
        self.ok_button.setText("&Continue")
        self.membership_list.setFocus()

    def _enter(self, membership: Membership) -> None:
        signed_in = self._signed_in
        assert signed_in is not None
        remember = self.remember_check.isChecked()

        def work(_control):
            ctx = auth.open_context(signed_in, membership)
            remembered = auth.remember_device(ctx) if remember else None
            return ctx, remembered

        self._set_busy("Opening your workspace…")
        self._job = run_job(work, on_done=self._entered, on_error=self._failed)
        self._last_action = lambda: self._enter(membership)

    def _entered(self, result: tuple[Context, RememberedLogin | None]) -> None:
        self._set_busy(None)
        self.context, remembered = result
        key = app_settings.remembered_secret_name(self.profile)
        if remembered is not None:
            try:
                app_settings.set_secret(key, remembered.to_json())
                self.remembered = remembered
            except app_settings.KeyringUnavailable as exc:
                self.remembered = None
                self.status.setText(str(exc))
        app_settings.save_profile(self.profile)
        self.signedIn.emit(self.context)
        self.accept()

    def _resume(self, remembered: RememberedLogin) -> None:
        profile = self.profile
        resolve = self._resolve_profile
        gateway_password = self.gateway_edit.text()

        def work(_control):
            return auth.resume(resolve(profile, gateway_password), remembered)

        def failed(message: str) -> None:
            self._set_busy(None)
            self.email_edit.setText(remembered.email)
            self.password_edit.setFocus()
            if message == auth.REMEMBERED_EXPIRED:
                app_settings.delete_secret(app_settings.remembered_secret_name(profile))
                self.show_error(message)
            else:  # unreachable: keep the remembered sign-in for when it is back
                self.show_error(self._offline_hint(message), retry=True)

        self._set_busy(f"Signing in as {remembered.email}…")
        self._job = run_job(work, on_done=lambda ctx: self._entered((ctx, None)), on_error=failed)
        self._last_action = lambda: self._resume(remembered)

    def _failed(self, message: str) -> None:
        self._set_busy(None)
        unreachable = message in (auth.ServerUnreachable.default_message, UNREACHABLE)
        self.show_error(self._offline_hint(message) if unreachable else message, retry=unreachable)
        if message == auth.BAD_CREDENTIALS:
            self.password_edit.selectAll()
            self.password_edit.setFocus()
