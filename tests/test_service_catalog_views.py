"""The service catalog and the workflow template editor on real widgets (issue 13): the steps
editor's reorder (keyboard, and the drop path) renumbers and keeps dependencies, offers only
earlier steps to wait for, refuses a move that would make a step wait for a later one; a
template the web platform wrote opens and saves; a forward dependency is refused on save; the
catalog form takes prices as typed and refuses a negative one."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import QPointF, Qt, QThreadPool
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from sqlalchemy import Engine

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import ServiceRequest, ServiceRequestTemplate
from gcmc_desktop.services import (
    auth,
    document_types,
    filing_types,
    service_catalog,
    workflow_templates,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.kit.record_dialog import RecordDialog
from gcmc_desktop.views.service_catalog import SERVICE_RECORD, service_catalog_window
from gcmc_desktop.views.steps_editor import NONE_LABEL, StepsEditor
from gcmc_desktop.views.table_model import query_pool
from gcmc_desktop.views.workflow_templates import TEMPLATE_RECORD

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000
ALT = Qt.KeyboardModifier.AltModifier


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin",))
    drain()


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    drain()
    auth.sign_out(ctx)


def loaded(qtbot, dialog: RecordDialog) -> None:
    qtbot.waitUntil(lambda: dialog.is_loaded and not dialog._loading_choices, timeout=WAIT)


def shape(editor: StepsEditor) -> list[tuple[int, str, int | None]]:
    return [(s["order"], s["title"], s.get("dependsOnOrder")) for s in editor.value()]


def drop(qtbot, editor: StepsEditor, row: int, onto: int) -> None:
    """Drag step `row` and drop it on the upper part of row `onto` (a synthesized drop)."""
    steps = editor.list
    steps.setCurrentRow(row)
    rect = steps.visualItemRect(steps.item(onto))
    mime = steps.model().mimeData([steps.model().index(row, 0)])
    event = QDropEvent(
        QPointF(rect.center().x(), rect.top() + 2),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    captions = editor.captions()
    note = editor.note_text()
    steps.dropEvent(event)
    qtbot.waitUntil(lambda: editor.captions() != captions or editor.note_text() != note)


def test_steps_editor_reorders_renumber_and_keep_dependencies(qtbot) -> None:
    editor = StepsEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.set_choices({"document_types": [("TIN certificate", 7)], "filing_types": []})
    editor.set_value(
        [
            {"order": 1, "title": "A"},
            {"order": 2, "title": "B", "dependsOnOrder": 1},
            {"order": 3, "title": "C"},
            {"order": 4, "title": "D", "dependsOnOrder": 3, "requiredDocTypeIds": [7]},
        ]
    )
    # The dependency choice offers only earlier steps.
    editor.list.setCurrentRow(0)
    assert editor.dependency_choices() == [NONE_LABEL]
    editor.list.setCurrentRow(3)
    assert editor.dependency_choices() == [NONE_LABEL, "1. A", "2. B", "3. C"]
    assert editor.depends.currentText() == "3. C"
    assert editor.documents.item(0).text() == "TIN certificate"  # by name, ticked
    assert editor.documents.item(0).checkState() == Qt.CheckState.Checked

    # Alt+Up on C: renumbered, B and D still wait for A and C under their new numbers.
    editor.list.setCurrentRow(2)
    editor.list.setFocus()
    QTest.keyClick(editor.list, Qt.Key.Key_Up, ALT)
    assert shape(editor) == [(1, "A", None), (2, "C", None), (3, "B", 1), (4, "D", 2)]
    assert editor.captions() == ["1. A", "2. C", "3. B", "4. D"]
    assert editor.list.currentRow() == 1  # the moved step stays selected
    editor.list.setCurrentRow(3)
    assert editor.depends.currentText() == "2. C"

    # Moving B above A (what it waits for) is refused with a message; nothing changes.
    editor.list.setCurrentRow(2)
    QTest.keyClick(editor.list, Qt.Key.Key_Up, ALT)  # B to 2: fine
    before = editor.value()
    QTest.keyClick(editor.list, Qt.Key.Key_Up, ALT)  # B above A: refused
    assert editor.value() == before
    assert '"B" waits for "A"' in editor.note_text()
    editor.list.setCurrentRow(0)
    assert not editor.move_current(1)  # A below B: refused too
    assert editor.value() == before

    # By drag: D to the top is refused (it waits for C); C to the top is fine.
    drop(qtbot, editor, 3, 0)
    assert editor.value() == before and editor.captions() == ["1. A", "2. B", "3. C", "4. D"]
    assert '"D" waits for "C"' in editor.note_text()
    drop(qtbot, editor, 2, 0)
    assert shape(editor) == [(1, "C", None), (2, "A", None), (3, "B", 2), (4, "D", 1)]
    assert editor.note_text() == ""
    assert editor.list.currentRow() == 0

    # Removing a step clears the dependencies on it, and says so.
    editor.list.setCurrentRow(1)  # A
    editor.remove_current()
    assert shape(editor) == [(1, "C", None), (2, "B", None), (3, "D", 1)]
    assert '"B" no longer waits' in editor.note_text()
    # A new step: untitled at the end, the cursor in its title.
    editor.add_step()
    QTest.keyClicks(editor.title, "Collect certificate")
    assert shape(editor)[-1] == (4, "Collect certificate", None)
    assert editor.captions()[-1] == "4. Collect certificate"


def test_template_dialog_opens_platform_template_and_refuses_forward_dependency(
    qtbot, engine: Engine, firms: Firms, admin: Context
) -> None:
    service = service_catalog.create_service(admin, {"name": "VAT filing", "category": "Tax"})
    tin = document_types.create_document_type(admin, {"name": "TIN", "category": "identification"})
    vat = filing_types.create_filing_type(
        admin, {"name": "VAT return", "code": "VAT", "authority": "GRA", "frequency": "monthly"}
    )
    with session_factory(engine)() as session:  # as the web platform's wizard writes it
        row = ServiceRequestTemplate(
            tenant_id=firms.alpha,
            service_id=service["id"],
            name="Web",
            steps_definition={
                "steps": [
                    {"title": "Collect ledgers", "order": 1, "requiredDocTypeIds": [tin["id"]]}
                ]
            },
        )
        session.add(row)
        session.commit()
        template_id = row.id

    dialog = RecordDialog(admin, TEMPLATE_RECORD, template_id)
    qtbot.addWidget(dialog)
    dialog.show()
    loaded(qtbot, dialog)
    editor = dialog.fields["steps_definition"].widget
    assert isinstance(editor, StepsEditor)
    assert editor.captions() == ["1. Collect ledgers"]
    assert editor.documents.item(0).text() == "TIN"
    assert not dialog.is_dirty()
    # A second step by hand: title typed, waits for step 1, due in 5 days, the VAT filing.
    editor.add_step()
    QTest.keyClicks(editor.title, "File the return")
    editor.depends.setCurrentIndex(editor.depends.findText("1. Collect ledgers"))
    editor.due.setValue(5)
    editor.filing.setCurrentIndex(editor.filing.findText("VAT return (GRA)"))
    assert dialog.is_dirty()
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    with session_factory(engine)() as session:
        stored = session.get(ServiceRequestTemplate, template_id).steps_definition
    assert stored == [
        {"order": 1, "title": "Collect ledgers", "requiredDocTypeIds": [tin["id"]]},
        {
            "order": 2,
            "title": "File the return",
            "requiredDocTypeIds": [],
            "dependsOnOrder": 1,
            "dueInDays": 5,
            "filingTypeId": vat["id"],
        },
    ]

    # A cycle (1 waits for 2, 2 for 1) shows as such and is refused on save, nothing lost.
    again = RecordDialog(admin, TEMPLATE_RECORD, template_id)
    again.confirm = lambda *_: True  # closing it at the end discards without asking
    qtbot.addWidget(again)
    again.show()
    loaded(qtbot, again)
    editor = again.fields["steps_definition"].widget
    cycle = [{**stored[0], "dependsOnOrder": 2}, stored[1]]
    editor.set_value(cycle)
    editor.list.setCurrentRow(0)
    assert editor.depends.currentText() == "2. File the return — not an earlier step"
    again.save()
    qtbot.waitUntil(lambda: again.field_error("steps_definition") != "", timeout=WAIT)
    assert "only wait for an earlier step" in again.field_error("steps_definition")
    assert again.isVisible() and editor.value()[0]["dependsOnOrder"] == 2
    assert workflow_templates.get_template(admin, template_id)["steps_definition"] == stored


def test_catalog_form_takes_typed_prices_and_refuses_deleting_a_used_service(
    qtbot, engine: Engine, firms: Firms, admin: Context
) -> None:
    dialog = RecordDialog(admin, SERVICE_RECORD)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.focusWidget() is dialog.fields["name"].widget
    QTest.keyClicks(dialog.fields["name"].widget, "Company incorporation")
    category = dialog.fields["category"].widget
    category.setCurrentIndex(category.findText("Registration"))
    QTest.keyClicks(dialog.fields["base_price"].widget, "-5")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.field_error("base_price") != "", timeout=WAIT)
    assert dialog.field_error("base_price") == "A price cannot be negative."
    dialog.fields["base_price"].widget.setText("G$120,000.505")
    QTest.keyClicks(dialog.fields["estimated_days"].widget, "21")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        QTest.keyClick(dialog.fields["estimated_days"].widget, Qt.Key.Key_Return)  # Enter saves
    saved = service_catalog.get_service(admin, dialog.record_id)
    assert saved["base_price"] == Decimal("120000.51") and saved["estimated_days"] == 21
    assert saved["active"] is True

    # Shown with the thousands separators, in the list and in the form.
    window = service_catalog_window(admin)
    qtbot.addWidget(window)
    window.show()
    page = window.page
    qtbot.waitUntil(lambda: page.model.row_of(saved["id"]) is not None, timeout=WAIT)
    row = page.model.row_of(saved["id"])
    column = page.model.query.column_index("base_price")
    assert page.model.index(row, column).data() == "G$ 120,000.51"
    edit = RecordDialog(admin, SERVICE_RECORD, saved["id"])
    qtbot.addWidget(edit)
    loaded(qtbot, edit)
    assert edit.fields["base_price"].widget.text() == "120,000.51"
    assert not edit.is_dirty()

    with session_factory(engine)() as session:
        session.add(
            ServiceRequest(
                tenant_id=firms.alpha,
                client_id=firms.alpha_client,
                service_id=saved["id"],
                status="new",
            )
        )
        session.commit()
    asked: list[str] = []
    page.confirm = lambda _p, _t, text: asked.append(text) or True
    page.select_id(saved["id"])
    page.delete_selected()
    qtbot.waitUntil(lambda: page.message_text() != "", timeout=WAIT)
    assert "Still used by 1 service request" in page.message_text()
    assert asked == []  # no "cannot be undone" question for a delete that would be refused
