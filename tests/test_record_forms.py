"""Issue 9 #11, #12, #13 on real widgets against a real database: the conflict dialog merges
field by field and shows labels, the lists behind refresh, stored codes show as labels, and
very long text stays readable in the workspace."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gcmc_desktop.models import Client, ClientBusiness
from gcmc_desktop.services import businesses, clients
from gcmc_desktop.views.businesses import BUSINESS_RECORD, status_label
from gcmc_desktop.views.client_workspace import ClientWorkspace, LongText
from gcmc_desktop.views.clients import CLIENT_RECORD
from gcmc_desktop.views.kit.conflict import ConflictDialog
from gcmc_desktop.views.kit.messages import code_label
from gcmc_desktop.views.kit.record_dialog import RecordDialog

from .test_clients_views import (  # noqa: F401 - fixtures
    WAIT,
    _stale_dialog,
    admin_session,
    choose,
    contexts,
    firms,
    make_page,
    select_row_of,
    type_into,
    wait_closed,
    wait_loaded,
)

pytestmark = pytest.mark.gui


def open_edit(qtbot, ctx, client_id: int) -> RecordDialog:
    dialog = RecordDialog(ctx, CLIENT_RECORD, client_id)
    dialog.confirm = lambda *_: True
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    return dialog


def conflict_of(qtbot, dialog) -> ConflictDialog:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.conflict_dialog is not None, timeout=WAIT)
    return dialog.conflict_dialog


def cell(conflict: ConflictDialog, label: str, column: int) -> str:
    table = conflict.table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    return table.item(rows[label], column).text()


# -- #12 ----------------------------------------------------------------------------------------


def test_merge_keeps_my_edits_and_their_edits(qtbot, contexts, firms, admin_session) -> None:  # noqa: F811
    dialog = _stale_dialog(qtbot, contexts, firms)  # I changed the phone, they the e-mail
    conflict = dialog.conflict_dialog
    assert conflict.conflicting == [] and conflict.merge_button.isEnabled()
    assert cell(conflict, "Phone", 3).startswith("Yours")
    assert cell(conflict, "E-mail", 3).startswith("Theirs")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(conflict.merge_button, Qt.MouseButton.LeftButton)
    admin_session.expire_all()
    row = admin_session.get(Client, firms.alpha_client)
    assert (row.phone, row.email) == ("+592 600 1111", "theirs@alpha.gy")


def test_merge_asks_for_each_field_both_changed_and_shows_labels(
    qtbot,
    contexts,  # noqa: F811
    firms,  # noqa: F811
    admin_session,  # noqa: F811
) -> None:
    theirs = contexts["ComplianceOfficer"]
    dialog = open_edit(qtbot, contexts["FirmAdmin"], firms.alpha_client)
    type_into(qtbot, dialog, "phone", "+592 600 1111")
    choose(dialog, "type", "company")
    choose(dialog, "risk_level", "high")
    current = clients.get_client(theirs, firms.alpha_client)
    clients.update_client(
        theirs,
        firms.alpha_client,
        {"phone": "+592 600 2222", "notes": "Their note", "risk_level": "low"},
        current["updated_at"],
    )
    conflict = conflict_of(qtbot, dialog)
    assert sorted(conflict.conflicting) == ["phone", "risk_level"]
    # Labels, not stored codes.
    assert (cell(conflict, "Type", 1), cell(conflict, "Type", 2)) == ("Company", "Individual")
    assert (cell(conflict, "Risk level", 1), cell(conflict, "Risk level", 2)) == ("High", "Low")
    assert not conflict.merge_button.isEnabled()  # each conflicting field needs a choice
    conflict.choose("phone", ConflictDialog.TAKE_THEIRS)
    assert not conflict.merge_button.isEnabled()
    conflict.choose("risk_level", ConflictDialog.KEEP_MINE)
    assert conflict.merge_button.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(conflict.merge_button, Qt.MouseButton.LeftButton)
    admin_session.expire_all()
    row = admin_session.get(Client, firms.alpha_client)
    assert (row.phone, row.type, row.risk_level, row.notes) == (
        "+592 600 2222",
        "company",
        "high",
        "Their note",
    )


def test_take_theirs_refreshes_the_list_behind(qtbot, contexts, firms) -> None:  # noqa: F811
    page = make_page(qtbot, contexts["FirmAdmin"])
    wait_loaded(qtbot, page.model, 1)
    select_row_of(page, page.model, firms.alpha_client)
    dialog = page.edit_selected()
    dialog.confirm = lambda *_: True
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    type_into(qtbot, dialog, "phone", "+592 600 1111")
    theirs = contexts["ComplianceOfficer"]
    current = clients.get_client(theirs, firms.alpha_client)
    clients.update_client(theirs, firms.alpha_client, {"name": "Renamed"}, current["updated_at"])
    conflict = conflict_of(qtbot, dialog)
    qtbot.mouseClick(conflict.theirs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 1 and page.model.row_values(0)["name"] == "Renamed",
        timeout=WAIT,
    )
    assert dialog.isVisible() and dialog.values()["name"] == "Renamed"


# -- #13 ----------------------------------------------------------------------------------------


def test_code_labels() -> None:
    assert code_label("regulatory_filing") == "Regulatory filing"
    assert status_label("active") == "Active" and status_label("struck_off") == "Struck off"
    assert status_label("Dormant") == "Dormant" and code_label("Oil & Gas Services") == (
        "Oil & Gas Services"
    )


def test_business_status_codes_show_as_labels(qtbot, contexts, firms, admin_session) -> None:  # noqa: F811
    business = ClientBusiness(
        tenant_id=firms.alpha, client_id=firms.alpha_client, name="Coded", status="active"
    )
    admin_session.add(business)
    admin_session.commit()
    ctx = contexts["FirmAdmin"]
    workspace = ClientWorkspace(ctx, firms.alpha_client)
    qtbot.addWidget(workspace)
    workspace.show()
    tab = workspace.businesses
    wait_loaded(qtbot, tab.model, 1)
    column = tab.model.query.column_index("status")
    assert tab.model.index(0, column).data() == "Active"
    tab.table.selectRow(0)
    dialog = tab.edit_selected()
    dialog.confirm = lambda *_: True
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    assert dialog.fields["status"].widget.currentText() == "Active"
    assert not dialog.is_dirty()
    # Saving another field keeps the stored code as it was.
    type_into(qtbot, dialog, "country", "Suriname")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    admin_session.expire_all()
    row = admin_session.get(ClientBusiness, business.id)
    assert (row.country, row.status) == ("Suriname", "active")
    # A real change of status, then the audit pane: field and values as labels.
    current = businesses.get_business(ctx, business.id)
    businesses.update_business(ctx, business.id, {"status": "dormant"}, current["updated_at"])
    ctx.session.commit()
    workspace.audit.refresh()
    audit = workspace.audit
    qtbot.waitUntil(lambda: audit.model.rowCount() == 2 and not audit.model.loading, timeout=WAIT)
    audit.table.selectRow(0)
    qtbot.waitUntil(lambda: audit.detail.rowCount() == 1, timeout=WAIT)
    assert [audit.detail.item(0, c).text() for c in range(3)] == ["Status", "Active", "Dormant"]


def test_business_conflict_shows_status_labels(qtbot, contexts, firms) -> None:  # noqa: F811
    ctx, theirs = contexts["FirmAdmin"], contexts["ComplianceOfficer"]
    created = businesses.create_business(
        ctx, firms.alpha_client, {"name": "Both", "status": "active"}
    )
    ctx.session.commit()
    dialog = RecordDialog(
        ctx, BUSINESS_RECORD, created["id"], scope={"client_id": firms.alpha_client}
    )
    dialog.confirm = lambda *_: True
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    dialog.fields["status"].widget.setCurrentText("Struck off")
    current = businesses.get_business(theirs, created["id"])
    businesses.update_business(theirs, created["id"], {"status": "dormant"}, current["updated_at"])
    theirs.session.commit()
    conflict = conflict_of(qtbot, dialog)
    assert (cell(conflict, "Status", 1), cell(conflict, "Status", 2)) == ("Struck off", "Dormant")


# -- #11 ----------------------------------------------------------------------------------------


def test_long_name_and_notes_stay_readable(qtbot, contexts, firms, admin_session) -> None:  # noqa: F811
    long_name = "N" * 10_000
    notes = ("word " * 400) + "X" * 3_000
    row = admin_session.get(Client, firms.alpha_client)
    row.name, row.notes = long_name, notes
    admin_session.commit()
    workspace = ClientWorkspace(contexts["Viewer"], firms.alpha_client)
    qtbot.addWidget(workspace)
    workspace.resize(1280, 800)
    workspace.show()
    qtbot.waitUntil(lambda: workspace.title() == long_name, timeout=WAIT)
    QApplication.processEvents()
    # The sub-tabs stay on screen: the name in the corner is capped and elided.
    bar = workspace.tabBar()
    assert bar.tabRect(2).right() <= workspace.width()
    assert workspace.minimumSizeHint().width() < 1280
    assert workspace.name_label.width() <= 400
    assert workspace.name_label.text().endswith("…")
    assert long_name in workspace.name_label.toolTip()
    heading = workspace.overview.heading
    assert heading.text().endswith("…") and heading.toolTip() == long_name
    assert heading.width() <= workspace.width()
    # The notes wrap (anywhere, for the unbroken run) and scroll instead of one cut line.
    box = workspace.overview.labels["notes"]
    assert isinstance(box, LongText) and box.text() == notes
    assert box.document().lineCount() > 10
    assert box.height() > 3 * box.fontMetrics().lineSpacing()
    assert box.width() <= workspace.width()
    assert box.verticalScrollBar().maximum() > 0
    workspace.grab().save("/tmp/workspace-long.png")


def test_client_dialog_fields_have_generous_limits(qtbot, contexts) -> None:  # noqa: F811
    dialog = RecordDialog(contexts["FirmAdmin"], CLIENT_RECORD)
    dialog.confirm = lambda *_: True
    qtbot.addWidget(dialog)
    dialog.show()
    name = dialog.fields["name"].widget
    assert name.maxLength() == 255 and dialog.fields["email"].widget.maxLength() == 254
    qtbot.keyClicks(name, "a" * 300)
    assert len(dialog.values()["name"]) == 255
