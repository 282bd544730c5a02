"""The rule-set dialog on real widgets, by keyboard (issue 14, part 2): focus starts in the name,
Tab reaches the client-type and sector lists, Space ticks, Enter saves; the stored appliesTo
holds the ticked codes. The rule dialog offers filing types once a filing rule is chosen; a
bundle item moves with Alt+Down and stays selected; a Viewer gets no Add or Delete."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from sqlalchemy import Engine

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import ComplianceRuleSet, FilingType
from gcmc_desktop.services import auth, requirement_bundles
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.compliance_rules import RULE_RECORD, RULE_SET_RECORD, rule_sets_window
from gcmc_desktop.views.kit.record_dialog import RecordDialog
from gcmc_desktop.views.requirement_bundles import items_window
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("ComplianceManager", "Viewer"))
    drain()


def test_rule_set_dialog_by_keyboard(qtbot, engine: Engine, firms: Firms) -> None:
    with session_factory(engine)() as session:
        filing = FilingType(
            tenant_id=firms.alpha,
            name="PAYE monthly",
            code="PAYE",
            authority="GRA",
            frequency="monthly",
        )
        session.add(filing)
        session.commit()
        paye = filing.id
    ctx: Context = auth.open_context(
        auth.sign_in(firms.profile, firms.emails["ComplianceManager"], PASSWORD)
    )
    window = rule_sets_window(ctx)
    qtbot.addWidget(window)
    assert window.page.new_button.isVisibleTo(window)  # ve: create is compliance:edit

    dialog = RecordDialog(ctx, RULE_SET_RECORD)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    name = dialog.fields["name"].widget
    assert dialog.focusWidget() is name
    QTest.keyClicks(name, "Mining companies")
    editor = dialog.fields["applies_to"].widget
    QTest.keyClick(name, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is editor.client_types
    types = editor.client_types
    types.setCurrentRow(0)
    QTest.keyClick(types, Qt.Key.Key_Down)  # company
    QTest.keyClick(types, Qt.Key.Key_Space)
    assert types.labels() == ["Company"]
    QTest.keyClick(types, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is editor.sectors
    editor.sectors.setCurrentRow(0)
    QTest.keyClick(editor.sectors, Qt.Key.Key_Space)  # Mining, the first sector
    QTest.keyClick(editor.sectors, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.fields["active"].widget
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    with session_factory(engine)() as session:
        stored = session.get(ComplianceRuleSet, dialog.record_id)
        assert (stored.name, stored.applies_to, stored.active) == (
            "Mining companies",
            {"clientTypes": ["company"], "sectors": ["Mining"]},
            True,
        )

    # A rule of the set: choosing "Filing required" loads the firm's filing types by name.
    rule = RecordDialog(ctx, RULE_RECORD, scope={"rule_set_id": dialog.record_id})
    qtbot.addWidget(rule)
    rule.show()
    qtbot.waitUntil(lambda: rule.is_loaded, timeout=WAIT)
    kind = rule.fields["rule_type"].widget
    kind.setCurrentIndex(kind.findText("Filing required"))
    target = rule.fields["target_id"].widget
    qtbot.waitUntil(lambda: target.findText("PAYE monthly (GRA)") >= 0, timeout=WAIT)
    target.setCurrentIndex(target.findText("PAYE monthly (GRA)"))
    QTest.keyClicks(rule.fields["weight"].widget, "0")
    rule.save()
    qtbot.waitUntil(lambda: rule.field_error("weight") != "", timeout=WAIT)
    assert "more than 0" in rule.field_error("weight")
    rule.fields["weight"].widget.setText("12.5")
    with qtbot.waitSignal(rule.saved, timeout=WAIT):
        rule.save()
    assert rule.result_values["weight"] == 12.5

    # A bundle's items: Alt+Down on the list moves the selected item; it stays selected.
    bundle = requirement_bundles.create_bundle(
        ctx, {"name": "GRA tax", "authority": "GRA", "category": "Tax"}
    )
    assert bundle["category"] == "tax"
    first = requirement_bundles.create_item(
        ctx, {"requirement": f"filing:{paye}"}, bundle_id=bundle["id"]
    )
    second = requirement_bundles.create_item(
        ctx, {"requirement": f"filing:{paye}", "required": False}, bundle_id=bundle["id"]
    )
    items = items_window(ctx, bundle_id=bundle["id"], bundle_name="GRA tax")
    qtbot.addWidget(items)
    items.show()
    page = items.page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    assert "(Alt+Down)" in page.extra_buttons["Move down"].toolTip()
    page.select_id(first["id"])
    page.table.setFocus()
    QTest.keyClick(page.table, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(
        lambda: (
            [i["id"] for i in requirement_bundles.list_items(ctx, bundle["id"])]
            == [second["id"], first["id"]]
        ),
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: page.model.row_values(0).get("required") is False, timeout=WAIT)
    assert page.selected_id() == first["id"]
    drain()
    auth.sign_out(ctx)

    viewer = auth.open_context(auth.sign_in(firms.profile, firms.emails["Viewer"], PASSWORD))
    read_only = rule_sets_window(viewer)
    qtbot.addWidget(read_only)
    qtbot.waitUntil(lambda: read_only.page.model.rowCount() == 1, timeout=WAIT)
    assert not read_only.page.new_button.isVisibleTo(read_only)
    assert not read_only.page.delete_button.isVisibleTo(read_only)
    drain()
    auth.sign_out(viewer)
