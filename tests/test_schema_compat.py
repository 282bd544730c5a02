"""A workstation older or newer than the database's schema (migration 0015, db/compat.py):
signed in as real staff users, on the real server."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from gcmc_desktop.db import migrate
from gcmc_desktop.db.compat import BEHIND, CURRENT, NEWER, NEWER_INCOMPATIBLE, compare
from gcmc_desktop.services import auth, clients
from gcmc_desktop.services.errors import PermissionDenied, SchemaOutdated
from gcmc_desktop.services.integrity import READ_ONLY_MESSAGE

from .security_fixtures import PASSWORD, build_firms

FUTURE = "0099_from_a_newer_version"


@pytest.fixture
def firms(engine: Engine, database_url: URL):
    return build_firms(engine, database_url, ("FirmAdmin",))


def sign_in(firms):
    return auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))


def set_schema(engine: Engine, revision: str, oldest: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        if oldest:
            conn.execute(
                text('UPDATE desktop_schema_compat SET "oldestCompatible" = :o'), {"o": oldest}
            )


def test_the_four_cases() -> None:
    head = migrate.head_revision()
    assert compare(head, None).state == CURRENT
    assert compare("0014_scoring", None).state == BEHIND
    assert compare(None, None).state == BEHIND
    assert compare(FUTURE, "0001_baseline").state == NEWER
    assert compare(FUTURE, FUTURE).state == NEWER_INCOMPATIBLE
    assert "gcmc db upgrade" in compare("0014_scoring", None).message()


def test_same_schema_says_nothing(firms) -> None:
    ctx = sign_in(firms)
    try:
        assert ctx.notice == "" and not ctx.read_only
    finally:
        auth.sign_out(ctx)


def test_a_newer_compatible_schema_keeps_working_and_says_so(firms, engine: Engine) -> None:
    set_schema(engine, FUTURE)
    ctx = sign_in(firms)
    try:
        assert not ctx.read_only
        assert "newer GCMC Desktop" in ctx.notice and "still works" in ctx.notice
        created = clients.create_client(ctx, {"name": "Works On", "type": "individual"})
        assert created["id"]
    finally:
        auth.sign_out(ctx)


def test_a_newer_incompatible_schema_opens_read_only(firms, engine: Engine) -> None:
    set_schema(engine, FUTURE, FUTURE)
    ctx = sign_in(firms)
    try:
        assert ctx.read_only and "read-only" in ctx.notice
        assert clients.get_client(ctx, firms.alpha_client)["name"] == "Alpha Client"
        with pytest.raises(PermissionDenied) as refused:
            clients.create_client(ctx, {"name": "Must Not Land", "type": "individual"})
        assert refused.value.message == READ_ONLY_MESSAGE
        # Background sessions (worker threads) are read-only too.
        with ctx.worker() as wctx, pytest.raises(PermissionDenied):
            clients.update_client(wctx, firms.alpha_client, {"name": "Nope"}, None)
    finally:
        auth.sign_out(ctx)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM clients WHERE name = 'Must Not Land'")) == 0
        name = conn.scalar(
            text("SELECT name FROM clients WHERE id = :i"), {"i": firms.alpha_client}
        )
        assert name == "Alpha Client"


def test_an_older_schema_refuses_sign_in_with_the_command_to_run(firms, engine: Engine) -> None:
    migrate.downgrade(engine, "0014_scoring")
    with pytest.raises(SchemaOutdated, match="gcmc db upgrade"):
        sign_in(firms)


def test_staff_cannot_change_what_is_compatible(firms) -> None:
    url = firms.user_url(firms.emails["FirmAdmin"])
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        revision, oldest = conn.execute("SELECT * FROM desktop_schema_state()").fetchone()
        assert revision == migrate.head_revision() and oldest == "0001_baseline"
        for attack in (
            "SELECT * FROM desktop_schema_compat",
            """UPDATE desktop_schema_compat SET "oldestCompatible" = 'x'""",
            "DELETE FROM desktop_schema_compat",
            "UPDATE alembic_version SET version_num = 'x'",
            "SELECT * FROM desktop_schema_state(NULL)",
        ):
            with pytest.raises(psycopg.Error):
                conn.execute(attack)


@pytest.mark.gui
def test_the_main_window_says_it_is_read_only(qtbot, firms, engine: Engine) -> None:
    from gcmc_desktop.views.main_window import MainWindow

    set_schema(engine, FUTURE, FUTURE)
    ctx = sign_in(firms)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.tabs.count() > 0, timeout=10_000)
    assert window.schema_notice.isVisible()
    assert "read-only" in window.schema_notice.text()
    assert window.windowTitle().endswith("(read-only)")
    window.grab().save("/tmp/read_only_window.png")
    window.close()
