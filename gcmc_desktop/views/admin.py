"""The Admin section (issue 15): one tab each for Users, Roles & permissions, Firm and Plan.

- Users: the kit's list page over the firm's members (role, last sign-in, desktop access) with
  the record form for a new or invited user and for role/name changes; Disable, Enable and
  Reset password… act on the selected member (the reset form is the kit's record dialog too).
- Roles & permissions: the roles on the left, the selected role's permission matrix (modules ×
  actions, one checkbox each) on the right; Save writes exactly the ticked permissions, Revert
  throws the changes away, and leaving a role with unsaved changes asks first. New / Rename /
  Delete use the kit's record dialog and delete question. One's own role is shown locked.
- Firm: the firm's settings (name, contact, time zone, date format, default storage) and,
  for a SuperAdmin, every firm with "New firm…".
- Plan: the plan, its limits against what the firm uses, the subscription; a SuperAdmin
  changes the plan here.

`AdminPage.add_tab(widget, title)` adds a tab of another part of the program (a Database tab).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..services import admin_roles, admin_users, firm_settings, plans
from ..services.context import ALL, Context
from ..services.errors import ServiceError, ValidationError
from ..services.paging import format_date, format_value
from .kit.fields import FieldSpec
from .kit.list_page import ActionSpec, FilterSpec, ListPage, ListSpec
from .kit.messages import banner, show_in
from .kit.operations import run_operation
from .kit.questions import Confirm, ask_yes_no, confirm_delete
from .kit.record_dialog import RecordDialog, RecordSpec

Values = dict[str, Any]


def _open(dialog: RecordDialog, title: str | None = None, on_saved: Callable | None = None) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if title:
        dialog.setWindowTitle(title)
    if on_saved is not None:
        dialog.saved.connect(lambda _id: on_saved())
    dialog.open()


# --------------------------------------------------------------------------------------------
# Users


def _roles(ctx: Context, _known: Any = None) -> list[tuple[str, int]]:
    return admin_users.role_choices(ctx)


MEMBER_RECORD = RecordSpec(
    noun="user",
    entity="tenant_user",
    fields=(
        FieldSpec(
            "email",
            "E-mail",
            required=True,
            placeholder="name@firm.gy",
            max_length=254,
            create_only=True,
        ),
        FieldSpec("name", "Name", placeholder="Their full name (not needed to invite)"),
        FieldSpec("role_id", "Role", "choice", required=True, blank="(choose a role)", load=_roles),
        FieldSpec(
            "password",
            "Password",
            "password",
            placeholder="For a new user; leave empty to invite an existing one",
            max_length=128,
            create_only=True,
        ),
    ),
    load=admin_users.get_member,
    create=lambda ctx, values, **_scope: admin_users.create_member(ctx, values),
    update=admin_users.update_member,
    min_width=520,
)


def _reset(ctx: Context, member_id: int, values: Values, _expected: Any) -> Values:
    if values.get("password") != values.get("repeat"):
        raise ValidationError(field_errors={"repeat": "The two passwords differ."})
    return admin_users.reset_password(ctx, member_id, values.get("password"))


RESET_RECORD = RecordSpec(
    noun="password",
    entity="tenant_user",
    fields=(
        FieldSpec("email", "User", create_only=True),
        FieldSpec("password", "New password", "password", required=True, max_length=128),
        FieldSpec("repeat", "Repeat it", "password", required=True, max_length=128),
    ),
    load=admin_users.get_member,
    create=lambda *_a, **_k: {},
    update=_reset,
)


def _member_call(page: ListPage, verb: str, call: Callable[[Context, int], Any]) -> None:
    member_id = page.selected_id()
    if member_id is None:
        return
    name = page.selected_values().get("name") or "this user"
    if verb == "Disable" and not page.question(
        page, "Disable user", f"{name} will no longer be able to sign in. Disable them?"
    ):
        return

    def done(_result: Any) -> None:
        page.show_message("")
        page.refresh()

    run_operation(
        page.ctx,
        lambda wctx: call(wctx, member_id),
        owner=page,
        on_done=done,
        on_error=lambda error: page.show_message(error.message),
        description=f"{verb} {name}…",
    )


def _reset_password(page: ListPage) -> None:
    member_id = page.selected_id()
    if member_id is None:
        return
    dialog = RecordDialog(page.ctx, RESET_RECORD, member_id, page)
    _open(dialog, "Reset password", lambda: page.show_message("The new password is set."))
    page.reset_dialog = dialog  # type: ignore[attr-defined]


USERS = ListSpec(
    noun="user",
    plural="users",
    module="users",
    query=lambda ctx, _scope: admin_users.member_list_query(ctx),
    listens_to=frozenset({"tenant_user", "user", "role"}),
    record=MEMBER_RECORD,
    search_hint="Search name or e-mail  (Ctrl+F)",
    filters=(FilterSpec("role_id", "Any role", "Role filter", load=admin_users.role_choices),),
    labels={"access": admin_users.access_label},
    widths={"name": 220, "email": 260, "role": 170, "last_sign_in": 150, "access": 120},
    sort="name",
    new_label="New user…",
    actions=(
        ActionSpec(
            "Disable",
            lambda page: _member_call(page, "Disable", admin_users.disable_member),
            permission="edit",
            needs_selection=True,
            tooltip="The selected user can no longer sign in",
        ),
        ActionSpec(
            "Enable",
            lambda page: _member_call(page, "Enable", admin_users.enable_member),
            permission="edit",
            needs_selection=True,
            tooltip="The selected user may sign in again",
        ),
        ActionSpec(
            "Reset password…",
            _reset_password,
            permission="edit",
            needs_selection=True,
            tooltip="Set a new password for the selected user (desktop and web)",
        ),
    ),
    state_key="admin/users/header",
)


# --------------------------------------------------------------------------------------------
# Roles & permissions


def _new_role(ctx: Context, values: Values, **_scope: Any) -> Values:
    matrix = admin_roles.create_role(
        ctx, values.get("name"), values.get("description"), template=values.get("template")
    )
    return {"id": matrix.id, "updated_at": matrix.updated_at}


def _role_form(ctx: Context, role_id: int) -> Values:
    matrix = admin_roles.role_matrix(ctx, role_id)
    return {
        "id": matrix.id,
        "name": matrix.name,
        "description": matrix.description or "",
        "updated_at": matrix.updated_at,
    }


def _rename(ctx: Context, role_id: int, values: Values, expected: Any) -> Values:
    matrix = admin_roles.rename_role(
        ctx, role_id, values.get("name"), values.get("description") or "", expected
    )
    return {"id": matrix.id, "updated_at": matrix.updated_at}


NEW_ROLE = RecordSpec(
    noun="role",
    entity="role",
    fields=(
        FieldSpec("name", "Name", required=True, max_length=100),
        FieldSpec(
            "template",
            "Start from",
            "choice",
            blank="(no permissions)",
            choices=tuple((name, name) for name in admin_roles.templates()),
        ),
        FieldSpec("description", "Description", "text", height=60),
    ),
    load=_role_form,
    create=_new_role,
    update=_rename,
)
RENAME_ROLE = RecordSpec(
    noun="role",
    entity="role",
    fields=(
        FieldSpec("name", "Name", required=True, max_length=100),
        FieldSpec("description", "Description", "text", height=60),
    ),
    load=_role_form,
    create=_new_role,
    update=_rename,
)
MATRIX_MODULES = ((ALL, "Every module"), *admin_roles.MODULES)


class RolesTab(QWidget):
    """The roles and the selected role's permission matrix."""

    saved = Signal(int)
    roles_loaded = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.question: Confirm = ask_yes_no
        self.confirm: Confirm = confirm_delete
        self.matrix_role: admin_roles.RoleMatrix | None = None
        self.loaded_grants: frozenset[tuple[str, str]] = frozenset()
        self._filling = False
        self._wanted_role: int | None = None
        self.dialog: RecordDialog | None = None

        self.roles = QListWidget()
        self.roles.setAccessibleName("Roles")
        self.roles.setMinimumWidth(220)
        self.roles.setSpacing(2)
        self.roles.setMaximumWidth(300)
        self.new_button = QPushButton("New role…")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        editable = ctx.can("settings", "edit")
        self.new_button.setVisible(editable)
        self.rename_button.setVisible(editable)
        self.delete_button.setVisible(ctx.can("settings", "delete"))
        left = QVBoxLayout()
        left.addWidget(self.roles, 1)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        left.addLayout(buttons)

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.message = banner()
        self.table = QTableWidget(len(MATRIX_MODULES), len(admin_roles.ACTIONS))
        self.table.setAccessibleName("Permission matrix")
        self.table.setHorizontalHeaderLabels([label for _a, label in admin_roles.ACTIONS])
        self.table.setVerticalHeaderLabels([label for _m, label in MATRIX_MODULES])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(26)
        for row in range(self.table.rowCount()):
            for col in range(self.table.columnCount()):
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
                item.setCheckState(Qt.CheckState.Unchecked)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.save_button = QPushButton("Save")
        self.revert_button = QPushButton("Revert")
        self.save_button.setDefault(True)
        self.status = QLabel()
        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(self.revert_button)
        footer.addWidget(self.save_button)
        self.save_button.setVisible(editable)
        self.revert_button.setVisible(editable)

        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.note)
        right.addWidget(self.message)
        right.addWidget(self.table, 1)
        right.addLayout(footer)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)

        self.roles.currentItemChanged.connect(self._role_changed)
        self.table.itemChanged.connect(self._cell_changed)
        self.save_button.clicked.connect(self.save)
        self.save_button.setToolTip("Save the ticked permissions (Ctrl+S)")
        save_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        save_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_key.activated.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.new_button.clicked.connect(self.new_role)
        self.rename_button.clicked.connect(self.rename_role)
        self.delete_button.clicked.connect(self.delete_role)
        self._update_buttons()
        self.refresh()

    # -- data ------------------------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        """Reload the roles; `select` one of them (else the one selected when they arrive)."""
        run_operation(
            self.ctx,
            admin_roles.list_roles,
            owner=self,
            on_done=lambda roles: self._roles_loaded(roles, select),
            on_error=self._failed,
        )

    def _roles_loaded(self, roles: list[Any], select: int | None) -> None:
        target = select if select is not None else self.current_role_id()
        self.roles.blockSignals(True)
        self.roles.clear()
        for role in roles:
            members = f"{role.members} member" + ("" if role.members == 1 else "s")
            item = QListWidgetItem(f"{role.name}  ·  {members}")
            item.setData(Qt.ItemDataRole.UserRole, role.id)
            item.setToolTip(role.description or role.name)
            self.roles.addItem(item)
        row = next(
            (i for i in range(self.roles.count()) if self._id_at(i) == target),
            0 if self.roles.count() else -1,
        )
        if row >= 0:
            self.roles.setCurrentRow(row)
        self.roles.blockSignals(False)
        self.roles_loaded.emit()
        if row < 0:
            return
        # The matrix shown stays as it is (with any ticks not yet saved) if it is this role's.
        if self.matrix_role is None or self.matrix_role.id != self._id_at(row):
            self.load_matrix(self._id_at(row))

    def _id_at(self, row: int) -> int | None:
        item = self.roles.item(row)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def current_role_id(self) -> int | None:
        item = self.roles.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def load_matrix(self, role_id: int | None) -> None:
        if role_id is None:
            return
        self._wanted_role = role_id  # a slower answer for a role left meanwhile is dropped
        self.status.setText("Loading…")
        run_operation(
            self.ctx,
            lambda wctx: admin_roles.role_matrix(wctx, role_id),
            owner=self,
            on_done=self._matrix_loaded,
            on_error=self._failed,
        )

    def _matrix_loaded(self, matrix: admin_roles.RoleMatrix) -> None:
        if matrix.id != self._wanted_role:
            return
        self.matrix_role = matrix
        self.loaded_grants = matrix.grants
        self.title.setText(matrix.name)
        notes = [matrix.description or ""]
        if matrix.from_template:
            notes.append(
                "These are the built-in permissions of its name; saving stores them as the "
                "role's own."
            )
        if matrix.locked:
            notes.append(matrix.locked)
        self.note.setText("  ".join(n for n in notes if n))
        self.set_grants(matrix.grants)
        self.status.clear()
        show_in(self.message, "")
        self._update_buttons()

    def set_grants(self, grants: frozenset[tuple[str, str]] | set[tuple[str, str]]) -> None:
        editable = self.matrix_role is not None and not self.matrix_role.locked
        self._filling = True
        for row, (module, _label) in enumerate(MATRIX_MODULES):
            for col, (action, _alabel) in enumerate(admin_roles.ACTIONS):
                item = self.table.item(row, col)
                state = (
                    Qt.CheckState.Checked if (module, action) in grants else Qt.CheckState.Unchecked
                )
                item.setCheckState(state)
                flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
                if editable:
                    flags |= Qt.ItemFlag.ItemIsEnabled
                item.setFlags(flags)
        self._filling = False

    def grants(self) -> set[tuple[str, str]]:
        """The ticked permissions."""
        ticked = set()
        for row, (module, _label) in enumerate(MATRIX_MODULES):
            for col, (action, _alabel) in enumerate(admin_roles.ACTIONS):
                if self.table.item(row, col).checkState() == Qt.CheckState.Checked:
                    ticked.add((module, action))
        return ticked

    def is_dirty(self) -> bool:
        return self.matrix_role is not None and self.grants() != set(self.loaded_grants)

    def cell(self, module: str, action: str) -> QTableWidgetItem:
        row = next(i for i, (m, _l) in enumerate(MATRIX_MODULES) if m == module)
        col = next(i for i, (a, _l) in enumerate(admin_roles.ACTIONS) if a == action)
        return self.table.item(row, col)

    # -- events ----------------------------------------------------------------------------------

    def _cell_changed(self, _item: QTableWidgetItem) -> None:
        if not self._filling:
            self._update_buttons()

    def _update_buttons(self) -> None:
        dirty = self.is_dirty()
        locked = self.matrix_role is None or bool(self.matrix_role.locked)
        self.save_button.setEnabled(dirty and not locked)
        self.revert_button.setEnabled(dirty)
        own = self.matrix_role is not None and self.matrix_role.id == self.ctx.role_id
        self.rename_button.setEnabled(self.matrix_role is not None and not own)
        self.delete_button.setEnabled(self.matrix_role is not None and not own)
        if dirty:
            self.status.setText("Unsaved changes")
        elif self.status.text() == "Unsaved changes":
            self.status.clear()

    def _role_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None):
        if current is None:
            return
        if self.is_dirty() and not self.may_discard():
            self.roles.blockSignals(True)
            self.roles.setCurrentItem(previous)
            self.roles.blockSignals(False)
            return
        self.load_matrix(current.data(Qt.ItemDataRole.UserRole))

    def may_discard(self) -> bool:
        """Unsaved permission changes are thrown away only when the user says so."""
        if not self.is_dirty():
            return True
        name = self.matrix_role.name if self.matrix_role else "the role"
        return self.question(
            self, "Unsaved permissions", f"Discard your changes to the permissions of {name}?"
        )

    def _failed(self, error: ServiceError) -> None:
        self.status.clear()
        show_in(self.message, error.message)
        self._update_buttons()

    # -- actions ---------------------------------------------------------------------------------

    def save(self) -> None:
        if self.matrix_role is None or not self.is_dirty():
            return
        role_id = self.matrix_role.id
        grants = self.grants()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")

        def done(matrix: admin_roles.RoleMatrix) -> None:
            self._matrix_loaded(matrix)
            self.status.setText("Saved.")
            self.saved.emit(matrix.id)
            self.refresh()  # member counts and the list; the matrix stays

        run_operation(
            self.ctx,
            lambda wctx: admin_roles.save_matrix(wctx, role_id, grants),
            owner=self,
            on_done=done,
            on_error=self._failed,
            description="Saving permissions…",
        )

    def revert(self) -> None:
        self.set_grants(self.loaded_grants)
        self._update_buttons()

    def new_role(self) -> RecordDialog | None:
        if not self.ctx.can("settings", "edit") or not self.may_discard():
            return None
        self.revert()
        dialog = RecordDialog(self.ctx, NEW_ROLE, None, self)
        dialog.saved.connect(lambda role_id: self.refresh(role_id))
        _open(dialog)
        self.dialog = dialog
        return dialog

    def rename_role(self) -> RecordDialog | None:
        if self.matrix_role is None or not self.may_discard():
            return None
        self.revert()
        dialog = RecordDialog(self.ctx, RENAME_ROLE, self.matrix_role.id, self)
        dialog.saved.connect(self._renamed)
        _open(dialog, "Rename role")
        self.dialog = dialog
        return dialog

    def delete_role(self) -> None:
        role = self.matrix_role
        if role is None:
            return
        if role.members:
            holders = "1 member holds" if role.members == 1 else f"{role.members} members hold"
            show_in(
                self.message,
                f'The role "{role.name}" cannot be deleted: {holders} it. '
                "Give them another role first (Users tab).",
            )
            return
        if not self.confirm(self, "Delete role", f'Delete the role "{role.name}"?'):
            return
        run_operation(
            self.ctx,
            lambda wctx: admin_roles.delete_role(wctx, role.id),
            owner=self,
            on_done=lambda _none: self._deleted(),
            on_error=self._failed,
        )

    def _renamed(self, role_id: int) -> None:
        self.matrix_role = None  # shown again under its new name
        self.refresh(role_id)

    def _deleted(self) -> None:
        self.matrix_role = None
        self.loaded_grants = frozenset()
        self.refresh()

    def new_record(self) -> RecordDialog | None:
        return self.new_role()


# --------------------------------------------------------------------------------------------
# Firm


def _zones(_ctx: Context, _known: Any) -> list[tuple[str, str]]:
    return [(zone, zone) for zone in firm_settings.timezones()]


FIRM_RECORD = RecordSpec(
    noun="firm settings",
    entity="tenant",
    fields=(
        FieldSpec("name", "Firm name", required=True, max_length=200),
        FieldSpec("email", "E-mail", placeholder="office@firm.gy", max_length=254),
        FieldSpec("phone", "Phone", placeholder="+592 …"),
        FieldSpec("address", "Address", "text", height=56, max_length=1000),
        FieldSpec("website", "Website"),
        FieldSpec("timezone", "Time zone", "choice", load=_zones),
        FieldSpec(
            "date_format",
            "Date format",
            "choice",
            choices=tuple((f, f) for f in firm_settings.DATE_FORMATS),
        ),
        FieldSpec(
            "storage_kind",
            "Default storage",
            "choice",
            choices=(("Local or network folder", "local"), ("S3-compatible (MinIO, AWS)", "s3")),
        ),
        FieldSpec("storage_endpoint", "S3 endpoint", placeholder="https://minio.firm.gy:9000"),
        FieldSpec("storage_bucket", "S3 bucket"),
    ),
    load=firm_settings.get_firm,
    create=lambda *_a, **_k: {},
    update=firm_settings.update_firm,
    min_width=560,
)
NEW_FIRM = RecordSpec(
    noun="firm",
    entity="tenant",
    fields=(
        FieldSpec("name", "Firm name", required=True, max_length=200),
        FieldSpec(
            "code",
            "Code",
            required=True,
            max_length=50,
            placeholder="lower-case letters, digits, hyphens (e.g. acme-tax)",
        ),
    ),
    load=lambda *_a: {},
    create=lambda ctx, values, **_scope: firm_settings.create_firm(ctx, values),
    update=lambda *_a: {},
)
FIRM_LABELS = (
    ("name", "Firm name"),
    ("code", "Code"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("address", "Address"),
    ("website", "Website"),
    ("timezone", "Time zone"),
    ("date_format", "Date format"),
    ("storage", "Default storage"),
)


class FirmTab(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: RecordDialog | None = None
        self.message = banner()
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        self.values: dict[str, QLabel] = {}
        if ctx.can("settings", "view"):
            box = QGroupBox("This firm")
            form = QFormLayout(box)
            for key, label in FIRM_LABELS:
                value = QLabel("…")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setWordWrap(True)
                self.values[key] = value
                form.addRow(label + ":", value)
            self.edit_button = QPushButton("Edit firm settings…")
            self.edit_button.setVisible(ctx.can("settings", "edit"))
            self.edit_button.clicked.connect(self.edit)
            row = QHBoxLayout()
            row.addWidget(self.edit_button)
            row.addStretch(1)
            form.addRow(row)
            layout.addWidget(box)
        # Offline review (issue 18): checked-out clients read-only for others, or flagged.
        from .offline import OfflinePolicyBox, available

        self.offline_policy: OfflinePolicyBox | None = None
        if ctx.can("settings", "view") and available():
            self.offline_policy = OfflinePolicyBox(ctx)
            layout.addWidget(self.offline_policy)
        self.firms: QTableWidget | None = None
        if firm_settings.can_manage_firms(ctx):
            box = QGroupBox("All firms (SuperAdmin)")
            inner = QVBoxLayout(box)
            self.firms = QTableWidget(0, 4)
            self.firms.setAccessibleName("Firms")
            self.firms.setHorizontalHeaderLabels(["Code", "Name", "Members", "Plan"])
            self.firms.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            self.firms.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self.firms.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            self.firms.verticalHeader().hide()
            inner.addWidget(self.firms)
            self.new_firm_button = QPushButton("New firm…")
            self.new_firm_button.setToolTip(
                "A new firm with the standard roles; you become its SuperAdmin member"
            )
            self.new_firm_button.clicked.connect(self.new_firm)
            row = QHBoxLayout()
            row.addWidget(self.new_firm_button)
            row.addStretch(1)
            inner.addLayout(row)
            layout.addWidget(box, 1)
        else:
            layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        if self.values:
            run_operation(
                self.ctx, firm_settings.get_firm, owner=self, on_done=self._shown,
                on_error=self._failed,
            )  # fmt: skip
        if self.firms is not None:
            run_operation(
                self.ctx, firm_settings.list_firms, owner=self, on_done=self._firms_shown,
                on_error=self._failed,
            )  # fmt: skip

    def _failed(self, error: ServiceError) -> None:
        show_in(self.message, error.message)

    def _shown(self, firm: Values) -> None:
        storage = "Local or network folder"
        if firm["storage_kind"] == "s3":
            where = " ".join(x for x in (firm["storage_endpoint"], firm["storage_bucket"]) if x)
            storage = "S3-compatible" + (f" ({where})" if where else "")
        shown = {**firm, "storage": storage}
        for key, label in self.values.items():
            label.setText(str(shown.get(key) or "—"))

    def _firms_shown(self, firms: list[firm_settings.FirmSummary]) -> None:
        assert self.firms is not None
        self.firms.setRowCount(len(firms))
        for row, firm in enumerate(firms):
            for col, value in enumerate((firm.code, firm.name, firm.members, firm.plan or "—")):
                item = QTableWidgetItem(format_value(value))
                if col == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.firms.setItem(row, col, item)

    def edit(self) -> RecordDialog:
        dialog = RecordDialog(self.ctx, FIRM_RECORD, self.ctx.tenant_id, self)
        _open(dialog, "Firm settings", self.refresh)
        self.dialog = dialog
        return dialog

    def new_firm(self) -> RecordDialog:
        dialog = RecordDialog(self.ctx, NEW_FIRM, None, self)
        _open(dialog, "New firm", self.refresh)
        self.dialog = dialog
        return dialog

    def new_record(self) -> RecordDialog | None:
        return self.new_firm() if self.firms is not None else None


# --------------------------------------------------------------------------------------------
# Plan


class PlanTab(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.question: Confirm = ask_yes_no
        self.summary: plans.PlanSummary | None = None
        self.message = banner()
        self.plan_label = QLabel("…")
        self.plan_label.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.details = QLabel()
        self.details.setWordWrap(True)
        box = QGroupBox("Limits and use")
        grid = QGridLayout(box)
        self.bars: dict[str, tuple[QLabel, QProgressBar]] = {}
        for row, (kind, title) in enumerate(
            (("users", "Users"), ("clients", "Clients"), ("storage", "Document storage"))
        ):
            label = QLabel()
            bar = QProgressBar()
            bar.setTextVisible(False)
            bar.setMinimumWidth(320)
            bar.setMaximumWidth(420)
            grid.addWidget(QLabel(title), row, 0)
            grid.addWidget(label, row, 1)
            grid.addWidget(bar, row, 2)
            self.bars[kind] = (label, bar)
        grid.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.details)
        layout.addWidget(box)
        self.plan_box: QComboBox | None = None
        if plans.can_change_subscription(ctx):
            change = QGroupBox("Change the subscription (SuperAdmin)")
            row = QHBoxLayout(change)
            self.plan_box = QComboBox()
            self.plan_box.setAccessibleName("Plan")
            self.plan_box.setMinimumWidth(220)
            self.status_box = QComboBox()
            self.status_box.setAccessibleName("Subscription status")
            for status in plans.STATUSES:
                self.status_box.addItem(status.replace("_", " ").capitalize(), status)
            self.change_button = QPushButton("Change plan")
            self.change_button.clicked.connect(self.change_plan)
            row.addWidget(QLabel("Plan:"))
            row.addWidget(self.plan_box)
            row.addWidget(QLabel("Status:"))
            row.addWidget(self.status_box)
            row.addWidget(self.change_button)
            row.addStretch(1)
            layout.addWidget(change)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        run_operation(
            self.ctx, plans.plan_summary, owner=self, on_done=self._shown, on_error=self._failed
        )
        if self.plan_box is not None:
            run_operation(
                self.ctx, plans.plan_choices, owner=self, on_done=self._plans_loaded,
                on_error=self._failed,
            )  # fmt: skip

    def _failed(self, error: ServiceError) -> None:
        show_in(self.message, error.message)

    def _plans_loaded(self, items: list[tuple[str, int]]) -> None:
        assert self.plan_box is not None
        self.plan_box.clear()
        for name, ident in items:
            self.plan_box.addItem(name, ident)
        if self.summary is not None and self.summary.plan_id is not None:
            self.plan_box.setCurrentIndex(max(self.plan_box.findData(self.summary.plan_id), 0))
        self.change_button.setEnabled(bool(items))
        if not items:
            self.change_button.setToolTip("No plans exist yet (gcmc plan create …)")

    def _shown(self, summary: plans.PlanSummary) -> None:
        self.summary = summary
        if summary.plan_name is None:
            self.plan_label.setText("No plan")
            self.details.setText("The firm has no current subscription, so no limits apply.")
        else:
            self.plan_label.setText(f"Plan: {summary.plan_name}")
            parts = [summary.description or ""]
            if summary.monthly_price is not None:
                parts.append(f"G${summary.monthly_price:,.2f} a month")
            if summary.yearly_price is not None:
                parts.append(f"G${summary.yearly_price:,.2f} a year")
            parts.append(f"Subscription {summary.status or '—'}")
            parts.append(f"since {format_date(summary.start_date)}")
            if summary.renewal_date:
                parts.append(f"renews {format_date(summary.renewal_date)}")
            self.details.setText(" · ".join(p for p in parts if p))
        used = {
            "users": summary.usage.users,
            "clients": summary.usage.clients,
            "storage": summary.usage.storage_bytes,
        }
        for kind, (label, bar) in self.bars.items():
            limit = summary.limits.get(kind)
            shown = plans.size_text if kind == "storage" else (lambda n: f"{n:,}")
            if limit is None:
                label.setText(f"{shown(used[kind])} (no limit)")
                bar.setRange(0, 1)
                bar.setValue(0)
            else:
                label.setText(f"{shown(used[kind])} of {shown(limit)}")
                bar.setRange(0, 1000)
                bar.setValue(min(1000, int(used[kind] * 1000 / limit)) if limit else 1000)
        if self.plan_box is not None and summary.plan_id is not None:
            self.plan_box.setCurrentIndex(max(self.plan_box.findData(summary.plan_id), 0))

    def change_plan(self) -> None:
        if self.plan_box is None or self.plan_box.currentData() is None:
            return
        plan_id = self.plan_box.currentData()
        status = self.status_box.currentData()
        if not self.question(
            self,
            "Change plan",
            f"Put {self.ctx.tenant_name} on the plan {self.plan_box.currentText()} from now?",
        ):
            return
        run_operation(
            self.ctx,
            lambda wctx: plans.change_subscription(wctx, plan_id, status),
            owner=self,
            on_done=self._changed,
            on_error=self._failed,
            description="Changing the plan…",
        )

    def _changed(self, summary: plans.PlanSummary) -> None:
        show_in(self.message, "")
        self._shown(summary)


# --------------------------------------------------------------------------------------------
# The page


class AdminPage(QTabWidget):
    """The Admin section. Each tab is shown only to roles that may see it."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setDocumentMode(True)
        self.users: ListPage | None = None
        self.roles: RolesTab | None = None
        self.firm: FirmTab | None = None
        self.plan: PlanTab | None = None
        if ctx.can("users", "view"):
            self.users = ListPage(ctx, USERS)
            self.add_tab(self.users, "Users")
        if ctx.can("settings", "view"):
            self.roles = RolesTab(ctx)
            self.add_tab(self.roles, "Roles && permissions")
        if ctx.can("settings", "view") or firm_settings.can_manage_firms(ctx):
            self.firm = FirmTab(ctx)
            self.add_tab(self.firm, "Firm")
        if ctx.can("users", "view") or ctx.can("settings", "view"):
            self.plan = PlanTab(ctx)
            self.add_tab(self.plan, "Plan")
        self.currentChanged.connect(self._tab_changed)
        self._previous = self.currentIndex()

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (e.g. the lead's Database tab); returns its index."""
        return self.addTab(widget, title)

    def _tab_changed(self, index: int) -> None:
        # Leaving the matrix with unsaved changes asks first (the change is kept on "No").
        if self.roles is not None and self.widget(self._previous) is self.roles:
            if self.roles.is_dirty() and not self.roles.may_discard():
                self.blockSignals(True)
                self.setCurrentIndex(self._previous)
                self.blockSignals(False)
                return
            self.roles.revert()
        self._previous = index

    def focus_search(self) -> None:
        if self.users is not None:
            self.setCurrentWidget(self.users)
            self.users.focus_search()

    def new_record(self) -> Any:
        page = self.currentWidget()
        new = getattr(page, "new_record", None)
        return new() if callable(new) else None

    def refresh(self) -> None:
        for tab in (self.users, self.roles, self.firm, self.plan):
            if tab is not None:
                tab.refresh()
