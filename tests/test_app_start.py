"""The whole start-up path a user takes: application → login dialog → main window → sign out
→ login dialog again, on a demo database reached through DATABASE_URL."""

from __future__ import annotations

import pytest


@pytest.mark.gui
def test_sign_in_main_window_sign_out(qtbot, template_url, monkeypatch) -> None:
    from gcmc_desktop.app import Application
    from gcmc_desktop.db import make_engine, session_factory
    from gcmc_desktop.services.seed import demo_credentials, seed_demo
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
