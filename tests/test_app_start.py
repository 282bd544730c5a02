"""The whole start-up path a user takes: application → login dialog → main window → sign out
→ login dialog again, on a demo database reached through DATABASE_URL."""

from __future__ import annotations

import pytest


@pytest.mark.gui
def test_sign_in_main_window_sign_out(qtbot, template_url, monkeypatch) -> None:
    from gcmc_desktop.app import Application
    from gcmc_desktop.db import make_engine, session_factory
    from gcmc_desktop.services.demo.seed import demo_credentials, seed_demo
    from gcmc_desktop.services.users import ensure_login_roles

    from .conftest import create_database, drop_database

    server = template_url.set(database="postgres")
    url = create_database(server, "gcmc_test_app_start", template="gcmc_test_template")
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            seed_demo(session)
            assert ensure_login_roles(session.connection(), demo_credentials(True)) >= 1
            session.commit()

        app = Application()
        app.show_login()
        dialog = app.dialog
        qtbot.addWidget(dialog)
        assert "DATABASE_URL" in dialog.local_radio.text()
        assert not dialog.demo_box.isVisible()  # a real server: no demo passwords shown
        _role, email, password = demo_credentials()[1]  # FirmAdmin
        dialog.email_edit.setText(email)
        dialog.password_edit.setText(password)
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: app.window is not None, timeout=30_000)
        window = app.window
        qtbot.addWidget(window)
        assert window.ctx.tenant_name == "Demo Company" and window.ctx.role_name == "FirmAdmin"
        qtbot.waitUntil(lambda: window.tabs.count() > 0, timeout=10_000)

        window.sign_out()
        assert app.window is None
        qtbot.addWidget(app.dialog)
        assert app.dialog is not dialog and app.dialog.isVisible()
        assert app.dialog.email_edit.text() == email  # remembered for convenience
    finally:
        engine.dispose()
        drop_database(server, "gcmc_test_app_start")


def test_missing_x11_libraries_are_named_instead_of_a_qt_plugin_error(monkeypatch, capsys):
    """Issue 9 #21: on Linux with xcb, a missing libxcb-cursor0 is named with the packages
    to install, and Qt is never started."""
    import ctypes

    from gcmc_desktop import app

    def fake_cdll(name, *args, **kwargs):
        if name == "libxcb-cursor.so.0":
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    monkeypatch.setattr(ctypes, "CDLL", fake_cdll)
    monkeypatch.setattr(app.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert app.main(["gcmc-desktop"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err
    assert "sudo apt install libxcb-cursor0" in err
    assert "sudo dnf install xcb-util-cursor" in err
    assert "Traceback" not in err and "plugin" not in err


def test_library_check_only_when_qt_uses_xcb(monkeypatch):
    from gcmc_desktop import app

    monkeypatch.setattr(app.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not app._uses_xcb(["gcmc-desktop"])
    assert app._uses_xcb(["gcmc-desktop", "-platform", "xcb"])
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert app._uses_xcb(["gcmc-desktop"])
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert not app._uses_xcb(["gcmc-desktop"])
    monkeypatch.setattr(app.sys, "platform", "darwin")
    assert not app._uses_xcb(["gcmc-desktop", "-platform", "xcb"])
    assert app.missing_system_libraries(lambda _soname: True) == []
