"""Keyboard behaviour of the record dialogs (client, business, document type) on real widgets
against a real database (issue 9 #1, #2): the first field has the focus, Tab follows the form,
Enter saves, Esc asks only when something was typed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QDialog, QWidget
from sqlalchemy import select
from sqlalchemy.orm import Session

from gcmc_desktop.models import Client, ClientBusiness
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.businesses import BUSINESS_RECORD
from gcmc_desktop.views.clients import CLIENT_RECORD
from gcmc_desktop.views.document_types import DOCUMENT_TYPE_RECORD
from gcmc_desktop.views.kit.record_dialog import RecordDialog

from .test_clients_views import (  # noqa: F401 - fixtures
    WAIT,
    admin_session,
    contexts,
    firms,
    type_into,
)

pytestmark = pytest.mark.gui


def shown(qtbot, dialog: QDialog) -> QDialog:
    dialog.confirm = lambda *_: True  # closing at teardown must not wait on a question
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    # Offscreen, a new window is not activated by itself; keyboard focus needs an active one.
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def focus_chain(dialog: RecordDialog) -> list[QWidget]:
    """The focusable widgets Tab visits, starting from the first field, once round."""
    start = next(iter(dialog.fields.values())).widget
    chain, widget = [start], start.nextInFocusChain()
    while widget is not start and len(chain) < 200:
        if (
            widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisibleTo(dialog)
            and widget.isEnabled()
            and widget.window() is dialog
            # The editor inside an editable combo or a date edit is part of that field.
            and not isinstance(widget.parentWidget(), QComboBox | QAbstractSpinBox)
        ):
            chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def expected_chain(dialog: RecordDialog) -> list[QWidget]:
    return [f.widget for f in dialog.fields.values()] + [dialog.save_button, dialog.cancel_button]


@pytest.fixture
def admin(contexts) -> Iterator[Context]:  # noqa: F811
    yield contexts["FirmAdmin"]


# -- #1: focus and tab order ------------------------------------------------------------------


def test_new_client_opens_on_the_name_and_tabs_down_the_form(qtbot, admin) -> None:
    dialog = shown(qtbot, RecordDialog(admin, CLIENT_RECORD))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["name"].widget)
    # Typing straight away lands in the name; nothing is lost to the buttons.
    qtbot.keyClicks(QApplication.focusWidget(), "Typed at once")
    assert dialog.values()["name"] == "Typed at once"
    chain = focus_chain(dialog)
    assert chain == expected_chain(dialog)
    # Real Tab presses walk the same way: Name -> Type -> E-mail.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.fields["type"].widget
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.fields["email"].widget


def test_edit_client_focuses_the_name_once_loaded(qtbot, admin, firms) -> None:  # noqa: F811
    dialog = shown(qtbot, RecordDialog(admin, CLIENT_RECORD, firms.alpha_client))
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["name"].widget)
    assert focus_chain(dialog) == expected_chain(dialog)


def test_new_business_opens_on_the_name(qtbot, admin, firms) -> None:  # noqa: F811
    dialog = shown(
        qtbot, RecordDialog(admin, BUSINESS_RECORD, scope={"client_id": firms.alpha_client})
    )
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["name"].widget)
    assert focus_chain(dialog) == expected_chain(dialog)
    # Space on the focused field types a space; it does not press Save.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert dialog.isVisible() and dialog.values()["name"] == " "


def test_document_type_form_gets_the_same_keyboard_behaviour(qtbot, admin) -> None:
    dialog = shown(qtbot, RecordDialog(admin, DOCUMENT_TYPE_RECORD))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["name"].widget)
    assert focus_chain(dialog) == expected_chain(dialog)


# -- #2: Enter saves, Esc asks ------------------------------------------------------------------


def test_enter_saves_a_new_business(qtbot, admin, firms, admin_session: Session) -> None:  # noqa: F811
    dialog = shown(
        qtbot, RecordDialog(admin, BUSINESS_RECORD, scope={"client_id": firms.alpha_client})
    )
    asked: list[str] = []
    dialog.confirm = lambda _p, title, _t: asked.append(title) or False
    type_into(qtbot, dialog, "name", "Enter Trading")
    type_into(qtbot, dialog, "registration_number", "BN-1")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert asked == []
    assert dialog.result() == QDialog.DialogCode.Accepted
    row = admin_session.scalars(
        select(ClientBusiness).where(ClientBusiness.name == "Enter Trading")
    ).one()
    assert (row.registration_number, row.client_id) == ("BN-1", firms.alpha_client)


@pytest.mark.parametrize("key", ["registration_type", "sector", "status", "incorporation_date"])
def test_enter_in_any_business_field_saves(qtbot, admin, firms, admin_session, key) -> None:  # noqa: F811
    dialog = shown(
        qtbot, RecordDialog(admin, BUSINESS_RECORD, scope={"client_id": firms.alpha_client})
    )
    asked: list[str] = []
    dialog.confirm = lambda _p, title, _t: asked.append(title) or False
    type_into(qtbot, dialog, "name", f"Via {key}")
    widget = dialog.fields[key].widget
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert asked == []
    assert admin_session.scalar(
        select(ClientBusiness.id).where(ClientBusiness.name == f"Via {key}")
    )


def test_enter_saves_a_new_client_after_a_failed_save(qtbot, admin, admin_session) -> None:  # noqa: F811
    dialog = shown(qtbot, RecordDialog(admin, CLIENT_RECORD))
    asked: list[str] = []
    dialog.confirm = lambda _p, title, _t: asked.append(title) or False
    type_into(qtbot, dialog, "name", "Enter Client")
    # Saved with the mouse before the type was chosen: refused, focus on the field to fix.
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.field_error("type") != "", timeout=WAIT)
    box = dialog.fields["type"].widget
    assert QApplication.focusWidget() is box
    qtbot.keyClick(box, Qt.Key.Key_Down)  # "Choose…" -> "Individual"
    qtbot.keyClick(box, Qt.Key.Key_Down)  # -> "Company"
    assert dialog.values()["type"] == "company"
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert asked == []
    assert admin_session.scalar(select(Client.type).where(Client.name == "Enter Client")) == (
        "company"
    )


def test_escape_closes_an_untouched_business_without_asking(qtbot, admin, firms) -> None:  # noqa: F811
    dialog = shown(
        qtbot, RecordDialog(admin, BUSINESS_RECORD, scope={"client_id": firms.alpha_client})
    )
    dialog.confirm = lambda *_: pytest.fail("asked although nothing was typed")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["name"].widget)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


def test_escape_asks_once_something_was_typed(qtbot, admin, firms) -> None:  # noqa: F811
    dialog = shown(
        qtbot, RecordDialog(admin, BUSINESS_RECORD, scope={"client_id": firms.alpha_client})
    )
    asked: list[str] = []
    dialog.confirm = lambda _p, title, _t: asked.append(title) or False
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["name"].widget)
    qtbot.keyClicks(QApplication.focusWidget(), "Half")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert asked == ["Discard changes?"] and dialog.isVisible()
    dialog.confirm = lambda *_: True
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_enter_on_the_focused_cancel_button_cancels(qtbot, admin) -> None:
    dialog = shown(qtbot, RecordDialog(admin, CLIENT_RECORD))
    dialog.confirm = lambda *_: pytest.fail("asked although nothing was typed")
    dialog.cancel_button.setFocus()
    qtbot.keyClick(dialog.cancel_button, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Rejected
