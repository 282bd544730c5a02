"""The start window against the embedded demo database: demo data and desktop sign-in ready."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.mark.gui
def test_start_window_shows_database_and_demo_counts(qtbot, template_url, monkeypatch) -> None:
    from PySide6.QtWidgets import QLabel

    from gcmc_desktop.app import open_start_window
    from gcmc_desktop.services import auth
    from gcmc_desktop.services.seed import demo_credentials

    from .conftest import create_database, drop_database

    server = template_url.set(database="postgres")
    url = create_database(server, "gcmc_test_app_start", template="gcmc_test_template")
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    try:
        from gcmc_desktop.db import make_engine, session_factory
        from gcmc_desktop.services.seed import seed_demo
        from gcmc_desktop.services.users import ensure_login_roles

        engine = make_engine(url)
        with session_factory(engine)() as session:
            seed_demo(session)
            assert ensure_login_roles(session.connection(), demo_credentials(True)) >= 1
            session.commit()

        window = open_start_window()
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.tenant_box.isVisible(), timeout=30_000)
        assert "Demo Company" in window.tenant_box.title()
        database_texts = [label.text() for label in window.database_box.findChildren(QLabel)]
        assert any(t.startswith("PostgreSQL ") for t in database_texts)
        texts = [label.text() for label in window.tenant_box.findChildren(QLabel)]
        assert any(t.replace(",", "").isdigit() and int(t.replace(",", "")) >= 40 for t in texts)

        # Every demo user can sign in on this database with the documented password.
        profile = auth.ServerProfile(url.set(username=None, password=None), url)
        for role, email, password in demo_credentials():
            ctx = auth.open_context(auth.sign_in(profile, email, password))
            assert ctx.role_name == role and ctx.tenant_code == "demo"
            auth.sign_out(ctx)
        engine.dispose()
    finally:
        drop_database(server, "gcmc_test_app_start")
