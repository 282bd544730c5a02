"""The document types admin with real widgets on a real database, signed in as staff users with
their own PostgreSQL roles: add, the duplicate rule (nothing typed lost), edit, delete (unused,
and blocked while documents use the type), and permissions."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThreadPool
from sqlalchemy import Engine

from gcmc_desktop.services import auth
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.document_types import create_document_type, list_document_types
from gcmc_desktop.services.documents import VersionInput, create_document
from gcmc_desktop.views.document_types import document_types_window
from gcmc_desktop.views.kit.list_page import ListPage
from gcmc_desktop.views.kit.record_dialog import RecordDialog

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui

WAIT = 10_000


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin", "Viewer"))
    QThreadPool.globalInstance().waitForDone()


@pytest.fixture
def contexts(firms: Firms) -> Iterator[dict[str, Context]]:
    opened = {
        role: auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))
        for role in ("FirmAdmin", "Viewer")
    }
    yield opened
    QThreadPool.globalInstance().waitForDone()
    for ctx in opened.values():
        auth.sign_out(ctx)


@pytest.fixture
def admin(contexts: dict[str, Context]) -> Context:
    return contexts["FirmAdmin"]


def open_dialog(qtbot, ctx: Context) -> ListPage:
    """The Document types window, shown; returns its list page."""
    dialog = document_types_window(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page
    page.window_kept = dialog  # the test holds the page; the window must live as long
    page.confirm = lambda *_: True
    qtbot.waitUntil(lambda: page.model.total is not None and not page.model.loading, timeout=WAIT)
    return page


def names(page: ListPage) -> list[str]:
    return [page.model.row_values(row)["name"] for row in range(page.model.rowCount())]


def cell(page: ListPage, row: int, key: str) -> str:
    return page.model.index(row, page.model.query.column_index(key)).data()


def ids(page: ListPage) -> list[int]:
    return [page.model.row_id(row) for row in range(page.model.rowCount())]


def fill(form: RecordDialog, **values: object) -> None:
    form.set_values(values)


def save_and_wait(qtbot, dialog: ListPage, form: RecordDialog) -> None:
    form.save()
    qtbot.waitUntil(lambda: not form.saving, timeout=WAIT)


def add(ctx: Context, name: str, category: str = "financial", **extra: object) -> int:
    doc_type = create_document_type(ctx, {"name": name, "category": category, **extra})
    ctx.session.commit()
    return doc_type["id"]


def test_add_type_through_the_form(qtbot, admin: Context) -> None:
    dialog = open_dialog(qtbot, admin)
    assert names(dialog) == []
    form = dialog.new_record()
    assert form is not None
    fill(
        form,
        name="  Bank statement ",
        category="financial",
        authority="GRA",
        tags="tax, annual, Tax",
        description="Monthly statements\nfrom the client's bank.",
    )
    save_and_wait(qtbot, dialog, form)
    qtbot.waitUntil(lambda: names(dialog) == ["Bank statement"], timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.dialog is None, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.selected_id() == ids(dialog)[0], timeout=WAIT)
    assert cell(dialog, 0, "category") == "Financial"
    assert cell(dialog, 0, "authority") == "GRA"
    assert cell(dialog, 0, "tags") == "tax, annual"
    (saved,) = list_document_types(admin)
    assert saved["tags"] == ["tax", "annual"]
    assert saved["description"] == "Monthly statements\nfrom the client's bank."


def test_form_shows_field_errors_next_to_fields(qtbot, admin: Context) -> None:
    dialog = open_dialog(qtbot, admin)
    form = dialog.new_record()
    assert form is not None
    fill(form, tags="x", description="kept")
    save_and_wait(qtbot, dialog, form)
    assert form.isVisible()
    assert form.field_error("name") == "Enter the document type's name."
    assert form.field_error("category") == "Choose a category."
    assert form.values()["description"] == "kept"


def test_duplicate_shows_message_and_keeps_typed_values(qtbot, admin: Context) -> None:
    add(admin, "Bank statement", "financial")
    dialog = open_dialog(qtbot, admin)
    assert names(dialog) == ["Bank statement"]
    form = dialog.new_record()
    assert form is not None
    typed = {
        "name": "Bank statement",
        "category": "financial",
        "authority": "NIS",
        "tags": "one, two",
        "description": "typed text",
    }
    fill(form, **typed)
    save_and_wait(qtbot, dialog, form)
    assert form.isVisible()
    assert form.banner.isVisible()
    assert "already exists" in form.banner.text()
    assert "Bank statement" in form.banner.text()
    assert form.values() == typed
    # The same name in another category is fine.
    fill(form, category="legal")
    save_and_wait(qtbot, dialog, form)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=WAIT)
    categories = [dialog.model.row_values(r)["category"] for r in range(2)]
    assert sorted(categories) == ["financial", "legal"]


def test_edit_type(qtbot, admin: Context) -> None:
    type_id = add(admin, "Bank statement", "financial", tags=["tax"])
    dialog = open_dialog(qtbot, admin)
    assert dialog.select_id(type_id)
    form = dialog.edit_selected()
    assert form is not None
    qtbot.waitUntil(lambda: form.is_loaded, timeout=WAIT)
    assert form.values()["name"] == "Bank statement"
    assert form.values()["tags"] == "tax"
    fill(form, name="Bank letter", authority="DCRA", tags="tax, bank")
    save_and_wait(qtbot, dialog, form)
    qtbot.waitUntil(lambda: names(dialog) == ["Bank letter"], timeout=WAIT)
    assert dialog.selected_id() == type_id
    assert cell(dialog, 0, "authority") == "DCRA"
    assert cell(dialog, 0, "tags") == "tax, bank"


def test_delete_unused_type(qtbot, admin: Context) -> None:
    add(admin, "Keep me", "legal")
    doomed = add(admin, "Remove me", "other")
    asked: list[str] = []
    dialog = open_dialog(qtbot, admin)
    dialog.confirm = lambda _parent, _title, text: asked.append(text) or False
    dialog.select_id(doomed)
    dialog.delete_selected()
    qtbot.waitUntil(lambda: asked != [], timeout=WAIT)  # after checking that nothing uses it
    assert asked == ["Delete document type Remove me?"]
    assert names(dialog) == ["Keep me", "Remove me"]  # cancelled: nothing happened

    dialog.confirm = lambda *_: True
    dialog.delete_selected()
    qtbot.waitUntil(lambda: names(dialog) == ["Keep me"], timeout=WAIT)
    assert dialog.message_text() == ""
    assert [t["name"] for t in list_document_types(admin)] == ["Keep me"]


def test_deleting_type_in_use_shows_message(qtbot, firms: Firms, admin: Context) -> None:
    type_id = add(admin, "Passport", "identification")
    create_document(
        admin,
        client_id=firms.alpha_client,
        document_type_id=type_id,
        title="Alpha passport",
        first_version=VersionInput(file_url="k", storage_provider="local"),
    )
    admin.session.commit()
    dialog = open_dialog(qtbot, admin)
    asked: list[str] = []
    dialog.confirm = lambda _parent, _title, text: asked.append(text) or True
    dialog.select_id(type_id)
    dialog.delete_selected()
    qtbot.waitUntil(lambda: dialog.message_text() != "", timeout=WAIT)
    assert "still used by 1 document" in dialog.message_text()
    assert '"Alpha passport"' in dialog.message_text()
    # Checked first: no "cannot be undone" question for a delete that would be refused.
    assert asked == []
    assert names(dialog) == ["Passport"]
    assert dialog.delete_button.isEnabled()


def test_viewer_sees_no_add_edit_delete(qtbot, contexts: dict[str, Context]) -> None:
    add(contexts["FirmAdmin"], "Bank statement", "financial")
    dialog = open_dialog(qtbot, contexts["Viewer"])
    assert names(dialog) == ["Bank statement"]
    assert not dialog.new_button.isVisible()
    assert not dialog.edit_button.isVisible()
    assert not dialog.delete_button.isVisible()
    assert dialog.new_record() is None
    dialog.select_id(ids(dialog)[0])
    assert dialog.edit_selected() is None


def test_admin_sees_buttons_and_renders(qtbot, admin: Context) -> None:
    add(admin, "Certificate of compliance", "compliance_certificate", authority="GRA")
    add(admin, "Bank statement", "financial", tags="tax, annual", description="From the bank.")
    dialog = open_dialog(qtbot, admin)
    assert dialog.new_button.isVisible()
    assert dialog.edit_button.isVisible() and not dialog.edit_button.isEnabled()
    assert dialog.delete_button.isVisible()
    dialog.select_id(ids(dialog)[0])
    assert dialog.edit_button.isEnabled()
    assert not dialog.grab().isNull()
