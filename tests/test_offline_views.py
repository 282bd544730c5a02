"""The offline-review screens (issue 18) on real widgets, signed in as staff users on the real
database: the checkout dialog (estimate, options, progress, Cancel, result), the checked-out
marks on the clients list and the workspace banner, the firm policy, "Work offline…" in the
login dialog, the offline main window, and the sync dialog with a conflict shown field by field.

The offline services stand behind `OfflineServices`; here a recording stand-in answers for them
(the service tests of `services/offline` test the real ones), so these tests protect what the
screens do with the contract's answers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import Engine

from gcmc_desktop import settings as app_settings
from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client
from gcmc_desktop.services import auth
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import ServiceError
from gcmc_desktop.services.offline.checkout import CheckoutEstimate, CheckoutResult
from gcmc_desktop.services.offline.status import CheckoutInfo
from gcmc_desktop.services.offline.store import OfflineCopy
from gcmc_desktop.services.offline.sync import Conflict, SyncReport
from gcmc_desktop.views import offline as offline_views
from gcmc_desktop.views.kit.conflict import ConflictDialog
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000
NOW = datetime.now(UTC).replace(tzinfo=None)


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


# -- the stand-in for the services --------------------------------------------------------------


class FakeOffline:
    """Answers as the contract says, and records what the screens asked."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.checked_out: dict[int, CheckoutInfo] = {}
        self.policy_value = "flag"
        self.copy_list: list[OfflineCopy] = []
        self.conflicts: list[Conflict] = []
        self.answers: list[Any] = []
        self.hold = threading.Event()  # check_out waits on it (set = no waiting)
        self.hold.set()
        self.open_error: ServiceError | None = None
        self.lines = ["Task 'Call GRA': status → Done (2 Dec 14:05)", "Client 'Ann': notes"]

    def estimate(self, ctx, client_ids, *, all_versions=False):
        self.calls.append(("estimate", tuple(client_ids), all_versions))
        per = 6 if all_versions else 3
        return CheckoutEstimate(len(client_ids), 3 * len(client_ids), per * len(client_ids),
                                per * 1_800_000 * len(client_ids))  # fmt: skip

    def check_out(self, ctx, client_ids, *, all_versions=False, days=14, control=None, **kw):
        self.calls.append(("check_out", tuple(client_ids), all_versions, days))
        self.storage = kw.get("storage")
        for n, _client_id in enumerate(client_ids, 1):
            while not self.hold.wait(0.01):
                control.check()
            control.check()
            control.progress(n, len(client_ids), f"Copying client {n} of {len(client_ids)}…")
        expires = NOW + timedelta(days=days)
        for client_id in client_ids:
            self.checked_out[client_id] = CheckoutInfo(
                client_id, ctx.user_id, ctx.user_name, NOW, expires, True
            )
        return CheckoutResult(len(client_ids), 3 * len(client_ids), 3 * len(client_ids),
                              5_400_000 * len(client_ids), expires, Path("/tmp/copy"))  # fmt: skip

    def checkouts(self, ctx, client_ids=None):
        self.calls.append(("checkouts", tuple(client_ids or ())))
        return {i: info for i, info in self.checked_out.items() if i in (client_ids or [i])}

    def policy(self, ctx):
        return self.policy_value

    def set_policy(self, ctx, value):
        if not ctx.can("settings", "edit"):
            from gcmc_desktop.services.errors import PermissionDenied

            raise PermissionDenied("Your role may not edit settings.")
        self.policy_value = value

    def copies(self):
        return list(self.copy_list)

    def open_offline(self, copy, email, password, control=None):
        self.calls.append(("open_offline", copy.tenant_code, email, password))
        if control is not None:
            control.progress(0, 0, "Starting the local database…")
        if self.open_error is not None:
            raise self.open_error
        return FakeSession(copy)

    def pending(self, copy):
        return list(self.lines)

    def sync(self, ctx, copy, resolve, control=None, **kw):
        self.sync_storage = kw.get("storage")
        for n, conflict in enumerate(self.conflicts, 1):
            control.progress(n, len(self.conflicts) + 1, f"Change {n}…")
            self.answers.append(resolve(conflict))
        kept = [c.label for c, a in zip(self.conflicts, self.answers, strict=True) if a is None]
        resolved = sum(1 for a in self.answers if a is not None)
        return SyncReport(applied=len(self.lines) - len(kept), skipped=0,
                          conflicts_resolved=resolved, kept_theirs=kept, failed=[])  # fmt: skip

    def check_in(self, ctx, copy):
        self.calls.append(("check_in", copy.tenant_code))
        self.copy_list = []

    def enforce_revocations(self, ctx):
        return []

    def services(self) -> offline_views.OfflineServices:
        names = offline_views.OfflineServices.__dataclass_fields__
        return offline_views.OfflineServices(**{name: getattr(self, name) for name in names})


class FakeSession:
    def __init__(self, copy: OfflineCopy, ctx: Context | None = None) -> None:
        self.copy = copy
        self.ctx = ctx
        self.closed = False

    def close(self) -> None:
        self.closed = True


def a_copy(**changes: Any) -> OfflineCopy:
    values = dict(
        path=Path("/tmp/alpha-copy"), tenant_code="alpha", tenant_name="Alpha Tax",
        email="firmadmin@alpha.gy", user_name="FirmAdmin User", clients=3,
        expires_at=NOW + timedelta(days=10), expired=False, pending_changes=2,
    )  # fmt: skip
    values.update(changes)
    return OfflineCopy(**values)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def fake(monkeypatch) -> FakeOffline:
    stand_in = FakeOffline()
    monkeypatch.setattr(offline_views, "services", stand_in.services)
    monkeypatch.setattr(offline_views, "available", lambda: True)
    return stand_in


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "Viewer"))
    drain()


class _Signed(dict):
    """Signs a role in on first use (a sign-in costs a password hash)."""

    def __init__(self, firms: Firms) -> None:
        super().__init__()
        self.firms = firms

    def __missing__(self, role: str) -> Context:
        signed = auth.sign_in(self.firms.profile, self.firms.emails[role], PASSWORD)
        self[role] = ctx = auth.open_context(signed)
        return ctx


@pytest.fixture
def contexts(firms: Firms) -> Iterator[dict[str, Context]]:
    opened = _Signed(firms)
    yield opened
    drain()
    for ctx in opened.values():
        auth.sign_out(ctx)


@pytest.fixture
def bare() -> Iterator[Context]:
    """A FirmAdmin's context with no database behind it, for the dialogs whose services the
    stand-in answers (their background jobs still open and close a session each)."""
    from sqlalchemy.orm import Session

    ctx = Context(
        session=Session(), user_id="u-ann", user_name="Ann Persaud", email="firmadmin@alpha.gy",
        tenant_id=1, tenant_name="Alpha Tax", tenant_code="alpha", role_id=1,
        role_name="FirmAdmin", permissions=frozenset({("*", "*")}), session_maker=Session,
    )  # fmt: skip
    yield ctx
    drain()


@pytest.fixture
def client_ids(engine: Engine, firms: Firms) -> list[int]:
    with session_factory(engine)() as session:
        rows = [Client(tenant_id=firms.alpha, name=n, type="individual")
                for n in ("Ann Persaud", "Baldeo Singh", "Carla James")]  # fmt: skip
        session.add_all(rows)
        session.commit()
        return [r.id for r in rows]


# -- checking out -------------------------------------------------------------------------------


def test_checkout_dialog_estimates_checks_out_and_reports(qtbot, fake, bare):
    ctx = bare
    dialog = offline_views.CheckoutDialog(ctx, [11, 12], names=["Ann Persaud", "Baldeo"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.estimate_value is not None, timeout=WAIT)
    assert "2 clients (Ann Persaud, Baldeo)" in dialog.intro.text()
    assert dialog.counts["documents"].text() == "6" and dialog.counts["files"].text() == "6"
    assert dialog.counts["bytes"].text() == "10.3 MB"
    assert dialog.days.value() == 14 and "opened until" in dialog.expiry.text()
    assert QApplication.focusWidget() is dialog.all_versions  # the first control
    # All versions: counted again.
    dialog.all_versions.setChecked(True)
    qtbot.waitUntil(lambda: dialog.counts["files"].text() == "12", timeout=WAIT)
    assert ("estimate", tuple([11, 12]), True) in fake.calls
    dialog.days.setValue(7)
    qtbot.mouseClick(dialog.check_out_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=WAIT)
    assert ("check_out", tuple([11, 12]), True, 7) in fake.calls
    assert dialog.pages.currentIndex() == dialog.DONE
    assert "Checked out 2 clients" in dialog.result_text.text()
    assert "Work offline" in dialog.result_text.text()
    assert dialog.close_button.isVisible() and not dialog.cancel_button.isVisible()


def test_checkout_cancel_stops_the_copy_and_keeps_the_dialog(qtbot, fake, bare):
    fake.hold.clear()  # the copy waits until cancelled
    dialog = offline_views.CheckoutDialog(bare, [11, 12, 13])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.estimate_value is not None, timeout=WAIT)
    dialog.start()
    assert dialog.pages.currentIndex() == dialog.WORKING and dialog.cancel_button.isVisible()
    dialog.reject()  # Esc while copying cancels, and the dialog stays to say so
    qtbot.waitUntil(lambda: dialog.job is None, timeout=WAIT)
    assert dialog.isVisible() and dialog.pages.currentIndex() == dialog.SETUP
    assert "cancelled" in dialog.message.text() and dialog.result_value is None
    assert not fake.checked_out


def test_checkout_error_is_a_message_and_nothing_is_lost(qtbot, fake, bare):
    def refuse(*_a, **_k):
        raise ServiceError("Ann Persaud is already checked out by Baldeo Singh.")

    fake.check_out = refuse
    dialog = offline_views.CheckoutDialog(bare, [11, 12, 13])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.days.setValue(30)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=WAIT)
    assert "already checked out" in dialog.message.text()
    assert dialog.pages.currentIndex() == dialog.SETUP and dialog.days.value() == 30


def test_checkout_is_not_offered_offline_or_read_only(fake, contexts) -> None:
    ctx = contexts["Viewer"]
    assert offline_views.may_check_out(ctx)
    assert not offline_views.may_check_out(replace(ctx, offline=True))
    assert not offline_views.may_check_out(replace(ctx, read_only=True))
    assert not offline_views.may_check_out(replace(ctx, permissions=frozenset()))


def test_clients_list_checks_out_several_and_marks_checked_out_rows(
    qtbot, fake, contexts, client_ids, firms
) -> None:
    from gcmc_desktop.views.clients import CLIENTS
    from gcmc_desktop.views.kit.list_page import ListPage

    page = ListPage(contexts["FirmAdmin"], CLIENTS)
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.total is not None and not page.model.loading, timeout=WAIT)
    button = page.extra_buttons["Check out for offline review…"]
    assert button.isVisible() and not button.isEnabled()
    rows = [page.model.row_of(i) for i in client_ids[:2]]
    page.table.selectRow(rows[0])
    page.table.selectionModel().select(
        page.model.index(rows[1], 0),
        page.table.selectionModel().SelectionFlag.Select
        | page.table.selectionModel().SelectionFlag.Rows,
    )
    assert page.selected_ids() == sorted(client_ids[:2], key=page.model.row_of)
    assert button.isEnabled() and page.selected_id() is None  # Edit/Open act on one row
    assert not page.edit_button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = page.checkout_dialog
    assert dialog is not None and "2 clients" in dialog.intro.text()
    qtbot.waitUntil(lambda: dialog.estimate_value is not None, timeout=WAIT)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=WAIT)
    # The list re-reads the marks: icon in the first column, tooltip on the row.
    qtbot.waitUntil(lambda: page.model.mark(client_ids[0]) is not None, timeout=WAIT)
    row = page.model.row_of(client_ids[0])
    tip = page.model.data(page.model.index(row, 2), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Checked out by you until ")
    icon = page.model.data(page.model.index(row, 0), Qt.ItemDataRole.DecorationRole)
    assert icon is not None and not icon.isNull()
    other = page.model.row_of(client_ids[2])
    assert page.model.data(page.model.index(other, 0), Qt.ItemDataRole.DecorationRole) is None
    dialog.accept()


def test_workspace_banner_and_checkout_button(qtbot, fake, contexts, client_ids) -> None:
    from gcmc_desktop.views.client_workspace import ClientWorkspace

    fake.checked_out[client_ids[0]] = CheckoutInfo(
        client_ids[0], "u1", "Baldeo Singh", NOW, datetime(2026, 12, 17, 15, 0), False
    )
    fake.policy_value = "read_only"
    viewer = ClientWorkspace(contexts["Viewer"], client_ids[0])
    qtbot.addWidget(viewer)
    viewer.show()
    banner = viewer.overview.checkout_banner
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=WAIT)
    assert banner.text().startswith("Checked out by Baldeo Singh until 17 Dec 2026.")
    assert "read-only for others" in banner.text()
    assert viewer.overview.checkout_button.isVisible()  # a Viewer may still check out to read
    free = ClientWorkspace(contexts["FirmAdmin"], client_ids[1])
    qtbot.addWidget(free)
    free.show()
    qtbot.waitUntil(lambda: bool(free.overview.values), timeout=WAIT)
    drain()
    QApplication.processEvents()
    assert not free.overview.checkout_banner.isVisible()
    dialog = free.overview.check_out()
    assert dialog is not None and "Baldeo Singh" in dialog.intro.text()
    dialog.reject()


def test_firm_policy_box(qtbot, fake, contexts) -> None:
    from gcmc_desktop.views.admin import FirmTab

    tab = FirmTab(contexts["FirmAdmin"])
    qtbot.addWidget(tab)
    tab.show()
    box = tab.offline_policy
    assert box is not None
    qtbot.waitUntil(lambda: box.policy == "flag", timeout=WAIT)
    assert not box.save_button.isEnabled()
    box.choice.setCurrentIndex(box.choice.findData("read_only"))
    assert box.save_button.isEnabled()
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: fake.policy_value == "read_only" and box.status.text() == "Saved.", timeout=WAIT
    )
    viewer = FirmTab(contexts["Viewer"])
    qtbot.addWidget(viewer)
    assert viewer.offline_policy is None or not viewer.offline_policy.save_button.isVisible()


# -- working offline ----------------------------------------------------------------------------


def login_dialog(qtbot, fake: FakeOffline, resolve=None):
    from gcmc_desktop.views.login_dialog import LoginDialog

    dialog = LoginDialog(
        app_settings.ConnectionProfile(last_email="firmadmin@alpha.gy"),
        resolve or (lambda _p, _g: None),
        offline=fake.services(),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_work_offline_is_enabled_only_with_a_copy(qtbot, fake) -> None:
    empty = login_dialog(qtbot, fake)
    drain()
    QApplication.processEvents()
    assert empty.offline_button.isVisible() and not empty.offline_button.isEnabled()
    fake.copy_list = [a_copy()]
    dialog = login_dialog(qtbot, fake)
    qtbot.waitUntil(lambda: dialog.offline_button.isEnabled(), timeout=WAIT)


def test_unreachable_server_offers_the_offline_copy(qtbot, fake) -> None:
    fake.copy_list = [a_copy()]

    def unreachable(_profile, _gateway):
        raise auth.ServerUnreachable()

    dialog = login_dialog(qtbot, fake, unreachable)
    qtbot.waitUntil(lambda: dialog.offline_button.isEnabled(), timeout=WAIT)
    dialog.password_edit.setText(PASSWORD)
    dialog._submit()
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=WAIT)
    assert "Work offline…" in dialog.banner.text() and dialog.retry_button.isVisible()


def test_work_offline_picks_a_copy_and_signs_in(qtbot, fake) -> None:
    expired = a_copy(tenant_code="beta", tenant_name="Beta Books", email="b@beta.gy",
                     expired=True, expires_at=NOW - timedelta(days=1))  # fmt: skip
    fake.copy_list = [expired, a_copy()]
    dialog = login_dialog(qtbot, fake)
    qtbot.waitUntil(lambda: dialog.offline_button.isEnabled(), timeout=WAIT)
    qtbot.mouseClick(dialog.offline_button, Qt.MouseButton.LeftButton)
    chooser = dialog.offline_dialog
    assert chooser is not None
    # The signed-in e-mail's copy is chosen; the table shows firm, user, clients, expiry.
    assert chooser.current_copy().tenant_code == "alpha"
    assert chooser.table.item(0, 3).text().endswith("(expired)")
    assert chooser.table.item(1, 2).text() == "3" and chooser.email.text() == "firmadmin@alpha.gy"
    assert chooser.focusWidget() is chooser.password
    # An expired copy: a clear message, no attempt to open it.
    chooser.table.selectRow(0)
    chooser.password.setText("x")
    chooser.open_copy()
    assert "expired" in chooser.message.text() and "sync" in chooser.message.text()
    assert not [c for c in fake.calls if c[0] == "open_offline"]
    # A wrong password: the service's message, the password selected for retyping.
    chooser.table.selectRow(1)
    fake.open_error = ServiceError("The e-mail address or password is not correct.")
    qtbot.keyClick(chooser.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: chooser.job is None and chooser.message.isVisible(), timeout=WAIT)
    assert "not correct" in chooser.message.text()
    fake.open_error = None
    chooser.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.finished, timeout=WAIT):
        qtbot.keyClick(chooser.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.offline_session is not None and dialog.offline_session.copy.tenant_code == "alpha"
    assert ("open_offline", "alpha", "firmadmin@alpha.gy", PASSWORD) in fake.calls


def test_offline_main_window_banner_and_hidden_sections(qtbot, fake, contexts, client_ids) -> None:
    from gcmc_desktop.views.main_window import MainWindow

    ctx = replace(contexts["FirmAdmin"], offline=True)
    session = FakeSession(a_copy(), ctx)
    window = MainWindow(ctx, offline_session=session)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tabs.count() > 0, timeout=WAIT)
    keys = window.section_keys()
    assert not {"admin", "audit", "dashboard", "notifications"} & set(keys)
    assert "clients" in keys and "documents" in keys
    assert window.offline_notice.isVisible()
    assert window.offline_notice.text.text().startswith(
        "<b>Working offline</b> — 3 clients, copy expires"
    )
    assert "synced when you reconnect" in window.offline_notice.text.text()
    assert "offline" in window.windowTitle() and "offline" in window.connection_label.text()
    assert not window.switch_action.isVisible() and not window.sync_action.isVisible()
    assert not window.new_action.isVisible()  # no new clients offline
    # A client's notes are what may change offline: the form shows only them.
    workspace = window.open_client(client_ids[0])
    assert workspace.overview.edit_button.text() == "Edit notes…"
    assert not workspace.overview.checkout_button.isVisible()
    form = workspace.edit_client()
    assert form is not None and list(form.fields) == ["notes"]
    form.confirm = lambda *_a: True
    form.reject()
    window.close()
    assert session.closed  # the journal written back, the replica removed


# -- syncing back -------------------------------------------------------------------------------


def a_conflict() -> Conflict:
    return Conflict(
        entity="client", record_id=1, label="Client 'Ann Persaud'",
        fields=["notes", "phone"],
        mine={"notes": "Met at GRA; TIN confirmed", "phone": "600 1234"},
        theirs={"notes": "Called, no answer", "phone": "600 9999"},
        base={"notes": "", "phone": "600 1234"},
    )  # fmt: skip


def test_sync_shows_pending_conflict_field_by_field_summary_and_check_in(qtbot, fake, bare) -> None:
    fake.conflicts = [a_conflict()]
    copy = a_copy()
    fake.copy_list = [copy]
    dialog = offline_views.SyncDialog(bare, copy)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pending_list.count() == 2, timeout=WAIT)
    assert dialog.pending_title.text().startswith("2 changes made offline")
    assert dialog.sync_button.isEnabled()
    qtbot.mouseClick(dialog.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.conflict_dialog is not None, timeout=WAIT)
    conflict = dialog.conflict_dialog
    assert "Ann Persaud" in conflict.windowTitle()
    # Both changed the notes: the user picks; the phone they changed, I did not: theirs.
    assert conflict.conflicting == ["notes"] and conflict.differing == ["notes", "phone"]
    assert not conflict.merge_button.isEnabled()
    conflict.choose("notes", ConflictDialog.KEEP_MINE)
    qtbot.mouseClick(conflict.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT)
    assert fake.answers == [{"notes": "Met at GRA; TIN confirmed", "phone": "600 9999"}]
    assert "Applied 2 changes" in dialog.summary_text.text()
    assert "1 conflict resolved" in dialog.summary_text.text()
    assert dialog.check_in_button.isVisible() and dialog.check_in_button.isEnabled()
    qtbot.mouseClick(dialog.check_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Checked in" in dialog.summary_text.text(), timeout=WAIT)
    assert ("check_in", "alpha") in fake.calls


def test_sync_skip_keeps_theirs_and_reports_it(qtbot, fake, bare) -> None:
    fake.conflicts = [a_conflict()]
    dialog = offline_views.SyncDialog(bare, a_copy())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sync_button.isEnabled(), timeout=WAIT)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.conflict_dialog is not None, timeout=WAIT)
    dialog.conflict_dialog.reject()  # "Skip (keep theirs)"
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT)
    assert fake.answers == [None]
    assert dialog.summary_list.item(0).text().startswith("Kept theirs")
    assert "Ann Persaud" in dialog.summary_list.item(0).text()


def test_sync_failures_keep_check_in_disabled(qtbot, fake, bare) -> None:
    fake.sync = lambda *_a, **_k: SyncReport(1, 0, 0, [], ["Task 'Call GRA': it was deleted"])
    dialog = offline_views.SyncDialog(bare, a_copy())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sync_button.isEnabled(), timeout=WAIT)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT)
    assert "1 change failed" in dialog.summary_text.text()
    assert not dialog.check_in_button.isEnabled()
    assert dialog.summary_list.item(0).text() == "Failed: Task 'Call GRA': it was deleted"


def test_main_window_offers_sync_after_sign_in(qtbot, fake, contexts) -> None:
    from gcmc_desktop.views.main_window import MainWindow

    fake.copy_list = [a_copy()]
    window = MainWindow(contexts["FirmAdmin"])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.offline_copy is not None, timeout=WAIT)
    assert window.sync_action.isVisible() and window.offline_notice.isVisible()
    assert "2 changes not yet synced" in window.offline_notice.text.text()
    qtbot.mouseClick(window.offline_notice.button, Qt.MouseButton.LeftButton)
    assert isinstance(window.sync_dialog, offline_views.SyncDialog)
    assert window.sync_dialog.storage is window.storage  # files added offline go there
    window.sync_dialog.reject()
    window.monitor.stop()
    window._stop_uploads()


# -- with the real checkout status and policy (services/offline/status.py) ----------------------


def test_real_checkouts_are_marked_and_read_only_policy_hides_edits(
    qtbot, contexts, client_ids
) -> None:
    from sqlalchemy import text

    from gcmc_desktop.views.admin import FirmTab
    from gcmc_desktop.views.client_workspace import ClientWorkspace
    from gcmc_desktop.views.clients import CLIENTS
    from gcmc_desktop.views.kit.list_page import ListPage

    viewer, admin = contexts["Viewer"], contexts["FirmAdmin"]
    # The Viewer checks a client out (as their own staff connection; RLS lets them).
    viewer.session.execute(
        text(
            'INSERT INTO desktop_checkouts ("tenantId", "clientId", "userId", "expiresAt") '
            "VALUES (:t, :c, :u, (now() AT TIME ZONE 'UTC') + interval '14 days')"
        ),
        {"t": viewer.tenant_id, "c": client_ids[0], "u": viewer.user_id},
    )
    viewer.session.commit()
    page = ListPage(admin, CLIENTS)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.mark(client_ids[0]) is not None, timeout=WAIT)
    assert page.model.mark(client_ids[0]).startswith("Checked out by Viewer User until ")
    assert page.model.mark(client_ids[1]) is None
    # The firm makes checked-out clients read-only for others (Admin → Firm).
    firm = FirmTab(admin)
    qtbot.addWidget(firm)
    box = firm.offline_policy
    assert box is not None
    qtbot.waitUntil(lambda: box.policy == "flag", timeout=WAIT)
    box.choice.setCurrentIndex(box.choice.findData("read_only"))
    box.save()
    qtbot.waitUntil(lambda: box.status.text() == "Saved.", timeout=WAIT)
    # The admin's workspace says who holds it and offers no edits; the holder's says "you".
    workspace = ClientWorkspace(admin, client_ids[0])
    qtbot.addWidget(workspace)
    workspace.show()
    banner = workspace.overview.checkout_banner
    qtbot.waitUntil(lambda: banner.info is not None and banner.isVisible(), timeout=WAIT)
    assert banner.text().startswith("Checked out by Viewer User until ")
    assert "read-only for others" in banner.text()
    assert banner.locked and not workspace.overview.edit_button.isVisible()
    own = ClientWorkspace(viewer, client_ids[0])
    qtbot.addWidget(own)
    own.show()
    qtbot.waitUntil(lambda: own.overview.checkout_banner.info is not None, timeout=WAIT)
    assert own.overview.checkout_banner.text().startswith("Checked out by you until ")


def test_work_offline_cancel_while_the_copy_opens(qtbot, fake) -> None:
    started, opened = threading.Event(), []

    def slow_open(copy, email, password, control=None):
        started.set()
        while not control.cancelled:
            time.sleep(0.01)
        control.check()

    fake.open_offline = slow_open
    chooser = offline_views.WorkOfflineDialog([a_copy()], offline=fake.services())
    qtbot.addWidget(chooser)
    chooser.show()
    chooser.password.setText(PASSWORD)
    chooser.open_copy()
    assert started.wait(5) and not chooser.open_button.isEnabled()
    chooser.reject()  # Esc: asks the opening to stop; the dialog waits for it
    assert chooser.isVisible() and chooser.status.text() == "Cancelling…"
    qtbot.waitUntil(lambda: not chooser.isVisible(), timeout=WAIT)
    assert chooser.session is None and chooser.result() == QDialog.DialogCode.Rejected
    assert not opened


def test_real_checkout_through_the_dialog(qtbot, contexts, client_ids) -> None:
    """The dialog over the real estimate and check_out: the copy is on this computer, the
    clients are checked out, and the list of copies the login dialog reads has it."""
    from gcmc_desktop.services.offline import status, store

    admin = contexts["FirmAdmin"]
    dialog = offline_views.CheckoutDialog(admin, client_ids[:2], names=["Ann", "Baldeo"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.estimate_value is not None, timeout=WAIT)
    assert dialog.counts["clients"].text() == "2"
    dialog.days.setValue(5)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.result_value is not None or dialog.job is None, timeout=30_000)
    assert dialog.result_value is not None, dialog.message.text()
    assert "Checked out 2 clients" in dialog.result_text.text()
    held = status.checkouts(admin, client_ids)
    assert set(held) == set(client_ids[:2]) and all(i.mine for i in held.values())
    mine = offline_views.copy_of(store.copies(), admin)
    assert mine is not None and mine.clients == 2 and not mine.expired
    # A second checkout while the copy is here: a clear message, the form kept.
    again = offline_views.CheckoutDialog(admin, client_ids[2:])
    qtbot.addWidget(again)
    again.start()
    qtbot.waitUntil(lambda: again.job is None and not again.message.isHidden(), timeout=WAIT)
    assert "already holds an offline copy" in again.message.text()


def test_real_work_offline_from_the_login_dialog(qtbot, contexts, client_ids, firms) -> None:
    """Check out (real services), then sign in offline from the login dialog with the password:
    the real replica starts, the main window runs on it with its banner, only the checked-out
    clients, the offline edits only; closing writes the journal back and removes the replica."""
    from gcmc_desktop.services.offline import checkout, store
    from gcmc_desktop.views.login_dialog import LoginDialog
    from gcmc_desktop.views.main_window import MainWindow

    admin = contexts["FirmAdmin"]
    checkout.check_out(admin, client_ids[:2], days=3)
    dialog = LoginDialog(
        app_settings.ConnectionProfile(last_email=firms.emails["FirmAdmin"]), lambda _p, _g: None
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.offline_button.isEnabled(), timeout=WAIT)
    chooser = dialog.work_offline()
    assert chooser is not None and chooser.current_copy().email == firms.emails["FirmAdmin"]
    chooser.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.finished, timeout=60_000):
        chooser.open_copy()
    session = dialog.offline_session
    assert session is not None and session.ctx.offline
    window = MainWindow(dialog.context, offline_session=session)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tabs.count() > 0, timeout=WAIT)
    assert "Working offline</b> — 2 clients" in window.offline_notice.text.text()
    assert "admin" not in window.section_keys() and window.storage is session.storage
    # Uploads wait in the copy's own outbox, never the workstation's (sent past the sync).
    assert window.uploads is not None
    assert Path(window.uploads.outbox.root).parent == Path(session.directory)
    page = window.open_section("clients")
    qtbot.waitUntil(lambda: page.model.total is not None, timeout=WAIT)
    assert page.model.total == 2  # the checked-out clients only
    assert not page.new_button.isVisible() and not page.delete_button.isVisible()
    assert not page.extra_buttons["Check out for offline review…"].isVisible()
    workspace = window.open_client(client_ids[0])
    qtbot.waitUntil(lambda: bool(workspace.overview.values), timeout=WAIT)
    assert workspace.overview.edit_button.text() == "Edit notes…"
    # An offline edit through the real form: only the notes, saved into the replica.
    form = workspace.edit_client()
    qtbot.waitUntil(lambda: form.is_loaded, timeout=WAIT)
    assert list(form.fields) == ["notes"]
    form.set_values({"notes": "Met at the GRA office; TIN confirmed."})
    with qtbot.waitSignal(form.saved, timeout=WAIT):
        form.save()
    qtbot.waitUntil(lambda: "GRA office" in workspace.overview.labels["notes"].text(), timeout=WAIT)
    drain()
    window.close()
    drain()
    assert session.closed and not Path(session.directory).exists()  # the replica is gone
    mine = offline_views.copy_of(store.copies(), admin)
    assert mine is not None and mine.pending_changes == 1  # kept in the encrypted copy


def test_real_sync_with_a_conflict_then_check_in(qtbot, contexts, client_ids) -> None:
    """Offline edit on the replica, the same field changed online meanwhile: the real sync
    hands the conflict to the dialog, Keep mine applies the offline value, Check in releases
    the clients and removes the copy."""
    from gcmc_desktop.services import clients
    from gcmc_desktop.services.offline import checkout, session, status, store

    admin = contexts["FirmAdmin"]
    checkout.check_out(admin, client_ids[:1], days=3)
    copy = offline_views.copy_of(store.copies(), admin)
    offline = session.open_offline(copy, admin.email, PASSWORD)
    try:
        current = clients.get_client(offline.ctx, client_ids[0])
        clients.update_client(
            offline.ctx, client_ids[0], {"notes": "Offline: TIN confirmed"}, current["updated_at"]
        )
    finally:
        offline.close()
    current = clients.get_client(admin, client_ids[0])
    clients.update_client(
        admin, client_ids[0], {"notes": "Online: phoned, no answer"}, current["updated_at"]
    )
    copy = offline_views.copy_of(store.copies(), admin)
    dialog = offline_views.SyncDialog(admin, copy)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pending_list.count() == 1, timeout=WAIT)
    assert "Offline: TIN confirmed" in dialog.pending_list.item(0).text()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.conflict_dialog is not None, timeout=30_000)
    conflict = dialog.conflict_dialog
    assert conflict.conflicting == ["notes"]
    assert conflict.table.item(0, 1).text() == "Offline: TIN confirmed"
    assert conflict.table.item(0, 2).text() == "Online: phoned, no answer"
    qtbot.mouseClick(conflict.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    assert dialog.report.applied == 1 and dialog.report.conflicts_resolved == 1
    assert not dialog.report.failed and dialog.check_in_button.isEnabled()
    admin.session.expire_all()
    assert clients.get_client(admin, client_ids[0])["notes"] == "Offline: TIN confirmed"
    qtbot.mouseClick(dialog.check_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Checked in" in dialog.summary_text.text(), timeout=WAIT)
    assert offline_views.copy_of(store.copies(), admin) is None
    assert not status.checkouts(admin, client_ids)


def test_checkout_dialog_keyboard(qtbot, fake, bare) -> None:
    """Enter checks out (from the days field too); Esc before starting closes."""
    dialog = offline_views.CheckoutDialog(bare, [11])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.estimate_value is not None, timeout=WAIT)
    assert dialog.check_out_button.isDefault()
    dialog.days.setFocus()
    qtbot.keyClick(dialog.days, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=WAIT)
    assert ("check_out", (11,), False, 14) in fake.calls
    other = offline_views.CheckoutDialog(bare, [12])
    qtbot.addWidget(other)
    other.show()
    qtbot.keyClick(other, Qt.Key.Key_Escape)
    assert other.result() == QDialog.DialogCode.Rejected and not other.isVisible()


def test_application_opens_the_offline_window_and_signs_out_of_it(
    qtbot, fake, contexts, monkeypatch
) -> None:
    """Start-up path: login dialog → Work offline… → the main window on the offline session;
    signing out closes the copy's session and shows the login dialog again."""
    from gcmc_desktop.app import Application
    from gcmc_desktop.views.main_window import MainWindow

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@localhost:1/none")  # no demo users
    ctx = replace(contexts["FirmAdmin"], offline=True)
    fake.copy_list = [a_copy()]
    opened: list[FakeSession] = []

    def open_offline(copy, email, password, control=None):
        opened.append(FakeSession(copy, ctx))
        return opened[-1]

    fake.open_offline = open_offline
    app = Application()
    app.show_login()
    dialog = app.dialog
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.offline_button.isEnabled(), timeout=WAIT)
    chooser = dialog.work_offline()
    chooser.password.setText(PASSWORD)
    chooser.open_copy()
    qtbot.waitUntil(lambda: app.window is not None, timeout=WAIT)
    window = app.window
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow) and window.offline_session is opened[0]
    assert window.offline_notice.isVisible() and window.local_server is None
    window.sign_out()
    assert opened[0].closed and app.window is None
    qtbot.addWidget(app.dialog)
    assert app.dialog is not dialog and app.dialog.isVisible()


def test_sync_cancel_during_a_conflict_leaves_the_change_pending(qtbot, fake, bare) -> None:
    fake.conflicts = [a_conflict()]
    dialog = offline_views.SyncDialog(bare, a_copy())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sync_button.isEnabled(), timeout=WAIT)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.conflict_dialog is not None, timeout=WAIT)
    dialog.reject()  # Esc / Cancel while the question is open
    qtbot.waitUntil(lambda: dialog.job is None, timeout=WAIT)
    assert fake.answers == []  # nothing decided for the user: the change is still pending
    assert dialog.report is None and "stopped" in dialog.message.text()
    assert dialog.conflict_dialog is None and dialog.isVisible()
