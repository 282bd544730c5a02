"""Filings on real widgets and a real database, signed in as staff with their own PostgreSQL
roles: create a filing in a client's tab by keyboard-level form filling (period picked, amounts
as text), move it through the statuses (an illegal move is refused next to the field, nothing
lost), the firm page's client lookup, due-date highlighting and filters, and the filing types
admin's "still used" refusal."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from gcmc_desktop.services import (
    auth,
    businesses,
    clients,
    document_types,
    documents,
    filing_types,
    filings,
    recurring,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.filings import DUE_WITHIN, OVERDUE, period_containing
from gcmc_desktop.views.filing_documents import FilingDocumentsPane
from gcmc_desktop.views.filings import FILING_RECORD, FILINGS, filing_types_window
from gcmc_desktop.views.kit.list_page import ListPage
from gcmc_desktop.views.kit.record_dialog import RecordDialog
from gcmc_desktop.views.recurring import RECURRING
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "Viewer"))
    drain()


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    drain()
    auth.sign_out(ctx)


def make_type(ctx: Context, code: str = "VAT_MONTHLY", **extra: object) -> int:
    data = {
        "name": f"{code} return",
        "code": code,
        "authority": "GRA",
        "frequency": "monthly",
        "default_due_day": 21,
        **extra,
    }
    return filing_types.create_filing_type(ctx, data)["id"]


def _id(record: object) -> int:
    return record["id"] if isinstance(record, dict) else record.id  # type: ignore[attr-defined,index]


def shown_page(qtbot, ctx: Context, **scope: object) -> ListPage:
    page = ListPage(ctx, FILINGS, **scope)
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.total is not None and not page.model.loading, timeout=WAIT)
    return page


def loaded(qtbot, dialog: RecordDialog) -> None:
    qtbot.waitUntil(lambda: dialog.is_loaded and not dialog._loading_choices, timeout=WAIT)


def test_create_in_a_client_tab_then_move_through_statuses(qtbot, firms, admin) -> None:
    vat = make_type(admin)
    page = shown_page(qtbot, admin, client_id=firms.alpha_client)
    assert page.table.isColumnHidden(page.model.query.column_index("client"))
    dialog = page.new_record()
    assert dialog is not None
    loaded(qtbot, dialog)
    assert "client_id" not in dialog.fields  # the tab says which client
    dialog.confirm = lambda *_: True
    type_box = dialog.fields["filing_type_id"].widget
    type_box.setCurrentIndex(type_box.findData(vat))
    dialog.fields["period"].widget.set_value({"kind": "quarter", "year": 2024, "number": 1})
    dialog.fields["tax_amount"].widget.setText("1,250.505")
    dialog.fields["penalties"].widget.setText("-5")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT)
    assert dialog.field_error("penalties") == "An amount cannot be negative."
    assert dialog.fields["tax_amount"].widget.text() == "1,250.505"  # nothing typed is lost

    dialog.fields["penalties"].widget.setText("")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        dialog.save()
    filing_id = saved.args[0]
    stored = filings.get_filing(admin, filing_id)
    assert (stored["period_label"], stored["status"]) == ("Q1 2024", "draft")
    assert stored["tax_amount"] == Decimal("1250.51")
    assert stored["total"] == Decimal("1250.51")
    qtbot.waitUntil(lambda: page.model.row_of(filing_id) is not None, timeout=WAIT)
    assert page.selected_id() == filing_id

    # draft -> submitted is not a move the convention allows: refused beside the field.
    edit = page.edit_selected()
    assert edit is not None
    loaded(qtbot, edit)
    edit.confirm = lambda *_: True
    assert edit.fields["period"].widget.value() == {"kind": "quarter", "year": 2024, "number": 1}
    assert edit.fields["tax_amount"].widget.text() == "1250.51"
    status = edit.fields["status"].widget
    status.setCurrentIndex(status.findData("submitted"))
    edit.save()
    qtbot.waitUntil(lambda: not edit.saving, timeout=WAIT)
    assert edit.isVisible()
    assert "prepared" in (edit.field_error("status") + edit.banner.text()).lower()
    status.setCurrentIndex(status.findData("prepared"))
    with qtbot.waitSignal(edit.saved, timeout=WAIT):
        edit.save()
    assert filings.get_filing(admin, filing_id)["status"] == "prepared"


def test_attach_and_detach_a_document_of_the_client(qtbot, firms, admin) -> None:
    vat = make_type(admin)
    type_id = document_types.create_document_type(
        admin, {"name": "VAT return", "category": "regulatory_filing"}
    )
    document = documents.create_document(
        admin,
        client_id=firms.alpha_client,
        document_type_id=_id(type_id),
        title="VAT January",
        first_version=documents.VersionInput(file_url="k", storage_provider="local"),
    )
    admin.session.commit()
    filing = filings.create_filing(
        admin,
        {"client_id": firms.alpha_client, "filing_type_id": vat},
        period=period_containing("month", date(2024, 1, 15)),
    )
    pane = FilingDocumentsPane(admin)
    page = ListPage(admin, FILINGS, detail=pane, client_id=firms.alpha_client)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.row_of(filing["id"]) is not None, timeout=WAIT)
    page.select_id(filing["id"])
    qtbot.waitUntil(lambda: pane.client_id == firms.alpha_client, timeout=WAIT)
    assert pane.list.count() == 0
    offered: list[list[tuple[str, int]]] = []
    pane.pick = lambda choices: offered.append(choices) or choices[0][1]
    pane.attach_button.click()
    qtbot.waitUntil(lambda: pane.list.count() == 1, timeout=WAIT)  # the bus reloads the pane
    assert offered == [[("VAT January", _id(document))]]
    assert [d["id"] for d in filings.filing_documents(admin, filing["id"])] == [_id(document)]
    pane.list.setCurrentRow(0)
    pane.detach_button.click()
    qtbot.waitUntil(lambda: pane.list.count() == 0, timeout=WAIT)
    assert filings.filing_documents(admin, filing["id"]) == []


def test_firm_page_finds_the_client_and_offers_only_its_businesses(qtbot, firms, admin) -> None:
    vat = make_type(admin)
    own = _id(businesses.create_business(admin, firms.alpha_client, {"name": "Alpha Shop"}))
    other_client = _id(clients.create_client(admin, {"name": "Other Ltd", "type": "company"}))
    _id(businesses.create_business(admin, other_client, {"name": "Other Shop"}))
    page = shown_page(qtbot, admin)
    dialog = page.new_record()
    assert dialog is not None
    loaded(qtbot, dialog)
    lookup = dialog.fields["client_id"].widget
    lookup.setEditText("Alpha")
    lookup.searching.emit("Alpha")
    qtbot.waitUntil(lambda: lookup.count() > 0, timeout=WAIT)
    labels = [lookup.itemText(i) for i in range(lookup.count())]
    assert all("Beta" not in label for label in labels)  # never another firm's clients
    lookup.setCurrentIndex(lookup.findData(firms.alpha_client))
    assert lookup.value() == firms.alpha_client
    business = dialog.fields["client_business_id"].widget
    qtbot.waitUntil(lambda: not dialog._loading_choices, timeout=WAIT)
    qtbot.waitUntil(lambda: business.count() > 1, timeout=WAIT)
    offered = {business.itemData(i) for i in range(1, business.count())}
    assert offered == {own}
    type_box = dialog.fields["filing_type_id"].widget
    type_box.setCurrentIndex(type_box.findData(vat))
    dialog.fields["period"].widget.set_value({"kind": "month", "year": 2024, "number": 2})
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        dialog.save()
    stored = filings.get_filing(admin, saved.args[0])
    assert (stored["client_id"], stored["period_label"]) == (firms.alpha_client, "February 2024")


def test_due_dates_tint_rows_and_filter(qtbot, firms, admin) -> None:
    vat = make_type(admin)
    today = date.today()

    def filing_due_in(days: int) -> int:
        # A monthly VAT return is due on the 21st of the next month (or the next working day):
        # pick the period whose due date lands near today + days.
        period = period_containing("month", today + timedelta(days=days - 30))
        data = {"client_id": firms.alpha_client, "filing_type_id": vat}
        return filings.create_filing(admin, data, period=period)["id"]

    late = filing_due_in(-60)
    later = filing_due_in(120)
    page = shown_page(qtbot, admin)
    assert page.model.row_state(page.model.row_of(late)) == "overdue"
    assert page.model.row_state(page.model.row_of(later)) is None
    box = page.filter_box("due")
    box.setCurrentIndex(box.findText("Overdue (due date past)"))
    qtbot.waitUntil(lambda: page.model.query.filters.get(OVERDUE) is True, timeout=WAIT)
    qtbot.waitUntil(lambda: not page.model.loading, timeout=WAIT)
    assert [page.model.row_id(r) for r in range(page.model.rowCount())] == [late]
    box.setCurrentIndex(box.findText("Due within 30 days"))
    qtbot.waitUntil(lambda: page.model.query.filters.get(DUE_WITHIN) == 30, timeout=WAIT)
    assert page.model.query.filters.get(OVERDUE) is None  # the other choice's filter is cleared


def test_filing_type_in_use_is_not_offered_for_deletion(qtbot, firms, admin) -> None:
    vat = make_type(admin)
    filings.create_filing(
        admin,
        {"client_id": firms.alpha_client, "filing_type_id": vat},
        period=period_containing("month", date(2024, 1, 15)),
    )
    window = filing_types_window(admin)
    qtbot.addWidget(window)
    window.show()
    page = window.page
    qtbot.waitUntil(lambda: page.model.row_of(vat) is not None, timeout=WAIT)
    asked: list[str] = []
    page.confirm = lambda _p, _t, text: asked.append(text) or True
    page.select_id(vat)
    page.delete_selected()
    qtbot.waitUntil(lambda: page.message_text() != "", timeout=WAIT)
    assert "still used by 1 filing" in page.message_text()
    assert asked == []
    assert filing_types.get_filing_type(admin, vat)["code"] == "VAT_MONTHLY"


def test_viewer_cannot_add_filings(qtbot, firms) -> None:
    viewer = auth.open_context(auth.sign_in(firms.profile, firms.emails["Viewer"], PASSWORD))
    try:
        page = shown_page(qtbot, viewer)
        assert not page.new_button.isVisible()
        assert page.new_record() is None
        form = RecordDialog(viewer, FILING_RECORD)
        qtbot.addWidget(form)
        assert form.windowTitle() == "New filing"
    finally:
        drain()
        auth.sign_out(viewer)


def test_schedule_in_a_client_tab_then_generate_with_a_preview(qtbot, firms, admin) -> None:
    vat = make_type(admin)
    tab = ListPage(admin, RECURRING, client_id=firms.alpha_client)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: tab.model.total is not None, timeout=WAIT)
    form = tab.new_record()
    assert form is not None
    loaded(qtbot, form)
    assert form.fields["schedule"].widget.currentText() == "Monthly"  # a label, not "monthly"
    type_box = form.fields["filing_type_id"].widget
    type_box.setCurrentIndex(type_box.findData(vat))
    three_months_ago = date.today().replace(day=1) - timedelta(days=80)
    form.fields["next_run_at"].widget.setDate(three_months_ago.replace(day=1))
    with qtbot.waitSignal(form.saved, timeout=WAIT) as saved:
        form.save()
    schedule = recurring.get_recurring(admin, saved.args[0])
    assert (schedule["schedule"], schedule["active"]) == ("monthly", True)

    page = shown_page(qtbot, admin)
    asked: list[str] = []
    page.question = lambda _p, _t, text: asked.append(text) or False
    page.extra_buttons["Generate due filings…"].click()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert asked[0].startswith("This creates ")
    assert "VAT_MONTHLY" in asked[0]
    assert filings.filing_list_query(admin).count(admin.session) == 0  # the preview wrote nothing

    page.question = lambda *_: True
    page.extra_buttons["Generate due filings…"].click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Created"), timeout=WAIT)
    made = filings.filing_list_query(admin).count(admin.session)
    assert made >= 2  # the missed months are caught up
    page.extra_buttons["Generate due filings…"].click()
    qtbot.waitUntil(lambda: "nothing to create" in page.status.text(), timeout=WAIT)
    assert filings.filing_list_query(admin).count(admin.session) == made


def test_the_filing_form_by_keyboard(qtbot, firms, admin) -> None:
    """Focus starts on the client; Tab walks the form top to bottom, through the period's own
    parts; Esc on an untouched form closes it without asking."""
    dialog = RecordDialog(admin, FILING_RECORD)
    qtbot.addWidget(dialog)
    dialog.show()
    loaded(qtbot, dialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["client_id"].widget)
    period = dialog.fields["period"].widget
    period.set_value({"kind": "month", "year": 2024, "number": 3})
    walked = []
    for _ in range(7):
        walked.append(QApplication.focusWidget())
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert walked == [
        dialog.fields["client_id"].widget,
        dialog.fields["client_business_id"].widget,
        dialog.fields["filing_type_id"].widget,
        period.kind,
        period.number,
        period.year,
        dialog.fields["status"].widget,
    ]
    dialog.original = dialog.values()  # the period above was set by the test, not typed
    dialog.confirm = lambda *_: pytest.fail("asked although nothing was typed")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
