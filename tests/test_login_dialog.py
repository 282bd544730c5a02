"""The login dialog on real widgets against a real database: each error case, the choice of
firm, remember me (keyring) and its expiry, keyboard behaviour."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QSpinBox
from sqlalchemy import text
from sqlalchemy.engine import URL

from gcmc_desktop import settings as app_settings
from gcmc_desktop.services import auth, users
from gcmc_desktop.services.auth import ServerProfile
from gcmc_desktop.views.login_dialog import LoginDialog

from .security_fixtures import PASSWORD, Firms, build_firms


@pytest.fixture
def firms(engine, database_url) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin", "Viewer"))


def make_dialog(qtbot, profile: ServerProfile, **kwargs) -> LoginDialog:
    dialog = LoginDialog(
        app_settings.ConnectionProfile(),
        lambda _profile, _gateway: profile,
        demo_users=[("Viewer", "viewer@demo.gcmc.gy", "Demo-Viewer-2024!")],
        **kwargs,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_credentials(qtbot, dialog: LoginDialog, email: str, password: str) -> None:
    dialog.email_edit.clear()
    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.email_edit, email)
    qtbot.keyClicks(dialog.password_edit, password)


def wait_idle(qtbot, dialog: LoginDialog) -> None:
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=20_000)


def test_sign_in_with_enter_opens_the_only_firm(qtbot, firms: Firms) -> None:
    dialog = make_dialog(qtbot, firms.profile)
    assert (
        dialog.demo_box.isVisible() and dialog.demo_table.item(0, 1).text() == "viewer@demo.gcmc.gy"
    )
    dialog.demo_table.itemClicked.emit(dialog.demo_table.item(0, 0))  # fills the fields
    assert dialog.password_edit.text() == "Demo-Viewer-2024!"
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    with qtbot.waitSignal(dialog.signedIn, timeout=20_000):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.context.role_name == "Viewer" and dialog.context.tenant_code == "alpha"
    assert app_settings.load_profile().last_email == "viewer@alpha.gy"


def test_wrong_password_keeps_the_dialog_and_says_so(qtbot, firms: Firms) -> None:
    dialog = make_dialog(qtbot, firms.profile)
    type_credentials(qtbot, dialog, "viewer@alpha.gy", "wrong-password")
    dialog.ok_button.click()
    wait_idle(qtbot, dialog)
    assert dialog.banner.isVisible() and dialog.banner.text() == auth.BAD_CREDENTIALS
    assert dialog.isVisible() and dialog.email_edit.text() == "viewer@alpha.gy"
    assert not dialog.retry_button.isVisible()


def test_lockout_message(qtbot, firms: Firms) -> None:
    dialog = make_dialog(qtbot, firms.profile)
    for _ in range(5):
        type_credentials(qtbot, dialog, "viewer@alpha.gy", "wrong-password")
        dialog.ok_button.click()
        wait_idle(qtbot, dialog)
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    dialog.ok_button.click()
    wait_idle(qtbot, dialog)
    assert "Too many failed sign-in attempts" in dialog.banner.text()


def test_unreachable_server_offers_retry(qtbot) -> None:
    nowhere = URL.create("postgresql+psycopg", host="127.0.0.1", port=1, database="x")
    dialog = make_dialog(qtbot, ServerProfile(nowhere, nowhere.set(username="gcmc_login")))
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    dialog.ok_button.click()
    wait_idle(qtbot, dialog)
    assert "cannot be reached" in dialog.banner.text()
    assert dialog.retry_button.isVisible()
    dialog.retry_button.click()  # tries again, same answer, nothing lost
    wait_idle(qtbot, dialog)
    assert dialog.password_edit.text() == PASSWORD


def test_user_without_firm_is_told(qtbot, firms: Firms, engine) -> None:
    with engine.begin() as conn:
        users.create_user(conn, firms.alpha, "lonely@alpha.gy", "Lonely", "Viewer", PASSWORD)
        conn.execute(
            text(
                'DELETE FROM tenant_users WHERE "userId" = '
                "(SELECT _id FROM \"user\" WHERE email = 'lonely@alpha.gy')"
            )
        )
    dialog = make_dialog(qtbot, firms.profile)
    type_credentials(qtbot, dialog, "lonely@alpha.gy", PASSWORD)
    dialog.ok_button.click()
    wait_idle(qtbot, dialog)
    assert dialog.banner.text() == auth.NoMembership.default_message


def test_choose_firm_and_role(qtbot, firms: Firms, engine) -> None:
    with engine.begin() as conn:
        users.create_user(conn, firms.beta, "viewer@alpha.gy", "x", "FirmAdmin", PASSWORD)
    dialog = make_dialog(qtbot, firms.profile)
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=20_000)
    labels = [dialog.membership_list.item(i).text() for i in range(dialog.membership_list.count())]
    assert labels == ["Alpha Tax — Viewer", "Beta Books — FirmAdmin"]
    dialog.membership_list.setCurrentRow(1)
    with qtbot.waitSignal(dialog.signedIn, timeout=20_000):
        dialog.ok_button.click()
    assert (dialog.context.tenant_code, dialog.context.role_name) == ("beta", "FirmAdmin")


def test_remember_me_keeps_a_token_not_the_password(qtbot, firms: Firms, memory_keyring, engine):
    dialog = make_dialog(qtbot, firms.profile)
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    dialog.remember_check.setChecked(True)
    with qtbot.waitSignal(dialog.signedIn, timeout=20_000):
        dialog.ok_button.click()
    saved = "".join(memory_keyring.values())
    assert PASSWORD not in saved and "viewer@alpha.gy" in saved
    remembered = auth.RememberedLogin.from_json(
        memory_keyring[(app_settings.KEYRING_SERVICE, "remembered:embedded")]
    )
    # Next start: signed in without typing anything.
    again = make_dialog(qtbot, firms.profile, remembered=remembered)
    qtbot.waitUntil(lambda: again.context is not None, timeout=20_000)
    assert again.context.user_id == dialog.context.user_id

    # Once the remembered session has expired, the dialog says so and asks for the password.
    with engine.begin() as conn:
        conn.execute(text("UPDATE session SET \"expiresAt\" = now() - interval '1 minute'"))
    expired = make_dialog(qtbot, firms.profile, remembered=remembered)
    wait_idle(qtbot, expired)
    assert expired.banner.text() == auth.REMEMBERED_EXPIRED
    assert expired.email_edit.text() == "viewer@alpha.gy" and expired.context is None
    assert (app_settings.KEYRING_SERVICE, "remembered:embedded") not in memory_keyring


def test_escape_cancels_and_missing_fields_are_named(qtbot, firms: Firms) -> None:
    dialog = make_dialog(qtbot, firms.profile)
    dialog.email_edit.clear()
    dialog.ok_button.click()
    assert dialog.banner.text() == "Enter your e-mail address and password."
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected


# -- issue 9 #1, #6, #14 -------------------------------------------------------------------------


def shown_active(qtbot, dialog: LoginDialog) -> LoginDialog:
    # Offscreen, a new window is not activated by itself; keyboard focus needs an active one.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def tab_chain(dialog: LoginDialog, start) -> list:
    """The visible, enabled widgets Tab visits from `start`, once round."""
    chain, widget = [start], start.nextInFocusChain()
    while widget is not start and len(chain) < 200:
        if (
            widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisibleTo(dialog)
            and widget.isEnabled()
            and widget.window() is dialog
            and not isinstance(widget.parentWidget(), QSpinBox)
        ):
            chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def test_login_opens_on_the_email_and_tabs_down_the_form(qtbot, firms: Firms) -> None:
    dialog = shown_active(qtbot, make_dialog(qtbot, firms.profile))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.email_edit)
    qtbot.keyClicks(QApplication.focusWidget(), "viewer@alpha.gy")
    assert dialog.email_edit.text() == "viewer@alpha.gy"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.password_edit
    # Top to bottom as the form reads, the buttons last, then round to the database choice.
    assert tab_chain(dialog, dialog.local_radio) == [
        dialog.local_radio,
        dialog.server_radio,
        dialog.email_edit,
        dialog.password_edit,
        dialog.remember_check,
        dialog.demo_table,
        dialog.ok_button,
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel),
    ]
    dialog.server_radio.setChecked(True)
    chain = tab_chain(dialog, dialog.local_radio)
    assert chain[: chain.index(dialog.email_edit)] == [
        dialog.local_radio,
        dialog.server_radio,
        dialog.host_edit,
        dialog.port_spin,
        dialog.database_edit,
        dialog.gateway_edit,
    ]


def test_login_with_a_known_email_opens_on_the_password(qtbot, firms: Firms) -> None:
    profile = app_settings.ConnectionProfile(last_email="viewer@alpha.gy")
    dialog = LoginDialog(profile, lambda _p, _g: firms.profile)
    qtbot.addWidget(dialog)
    dialog.show()
    shown_active(qtbot, dialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.password_edit)
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    with qtbot.waitSignal(dialog.signedIn, timeout=20_000):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)


@pytest.fixture
def failing_keyring():
    """A machine without a usable OS keyring: keyring's own 'fail' backend."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_remember_me_says_so_when_there_is_no_keyring(qtbot, firms: Firms, failing_keyring):
    dialog = make_dialog(qtbot, firms.profile)
    assert not dialog.keyring_note.isVisible()
    qtbot.keyClick(dialog.remember_check, Qt.Key.Key_Space)
    assert not dialog.remember_check.isChecked()
    assert not dialog.remember_check.isEnabled()
    assert dialog.keyring_note.isVisible()
    assert "password store" in dialog.keyring_note.text()
    # Signing in still works; nothing is remembered.
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    with qtbot.waitSignal(dialog.signedIn, timeout=20_000):
        dialog.ok_button.click()
    assert dialog.remembered is None


def test_remember_me_with_a_working_keyring_shows_no_note(qtbot, firms: Firms) -> None:
    dialog = make_dialog(qtbot, firms.profile)
    qtbot.keyClick(dialog.remember_check, Qt.Key.Key_Space)
    assert dialog.remember_check.isChecked() and not dialog.keyring_note.isVisible()


def test_switching_back_to_embedded_clears_the_server_error(qtbot) -> None:
    nowhere = URL.create("postgresql+psycopg", host="127.0.0.1", port=1, database="x")
    dialog = make_dialog(qtbot, ServerProfile(nowhere, nowhere.set(username="gcmc_login")))
    dialog.server_radio.setChecked(True)
    dialog.host_edit.setText("127.0.0.1")
    dialog.database_edit.setText("x")
    type_credentials(qtbot, dialog, "viewer@alpha.gy", PASSWORD)
    dialog.ok_button.click()
    wait_idle(qtbot, dialog)
    assert dialog.banner.isVisible() and dialog.retry_button.isVisible()
    dialog.local_radio.setChecked(True)
    assert not dialog.banner.isVisible()
    assert not dialog.retry_button.isVisible()
    assert dialog.password_edit.text() == PASSWORD  # nothing typed is lost
