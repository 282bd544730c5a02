"""`gcmc tenant|user|role|maintenance …` on a real database, as an administrator."""

from __future__ import annotations

import io

from sqlalchemy import text
from sqlalchemy.engine import URL

from gcmc_desktop.cli import main
from gcmc_desktop.services import auth

from .test_cli_db import platform_form


def run(url: URL, *args: str, stdin: str | None = None, monkeypatch=None) -> int:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--database-url", platform_form(url), *args])


def test_tenant_user_role_lifecycle(database_url: URL, engine, capsys, monkeypatch) -> None:
    assert run(database_url, "tenant", "create", "--name", "Acme Tax", "--code", "acme") == 0
    assert 'Tenant "Acme Tax" (acme' in capsys.readouterr().out
    assert run(database_url, "tenant", "create", "--name", "Again", "--code", "acme") == 1
    assert 'code "acme" already exists' in capsys.readouterr().err
    assert run(database_url, "tenant", "create", "--name", "Bad", "--code", "Not OK") == 1
    assert "lower-case" in capsys.readouterr().err

    args = ("user", "create", "--tenant", "acme", "--email", "Ann@Acme.gy", "--name", "Ann")
    assert (
        run(
            database_url,
            *args,
            "--role",
            "FirmAdmin",
            "--password-stdin",
            stdin="Acme-Pass-123\n",
            monkeypatch=monkeypatch,
        )
        == 0
    )
    assert "ann@acme.gy" in capsys.readouterr().out
    assert (
        run(
            database_url,
            *args,
            "--role",
            "Boss",
            "--password-stdin",
            stdin="Acme-Pass-123\n",
            monkeypatch=monkeypatch,
        )
        == 1
    )
    assert 'no role "Boss"' in capsys.readouterr().err
    assert (
        run(
            database_url,
            *args,
            "--role",
            "Viewer",
            "--password-stdin",
            stdin="short\n",
            monkeypatch=monkeypatch,
        )
        == 1
    )
    assert "password" in capsys.readouterr().err

    assert run(database_url, "user", "list", "--tenant", "acme") == 0
    listing = capsys.readouterr().out
    assert "ann@acme.gy" in listing and "FirmAdmin" in listing and "yes" in listing

    assert run(database_url, "role", "list", "--tenant", "acme") == 0
    roles = capsys.readouterr().out
    for name in ("FirmAdmin", "Admin", "ComplianceManager", "Viewer", "SuperAdmin"):
        assert name in roles
    assert run(database_url, "role", "show", "Viewer", "--tenant", "acme") == 0
    shown = capsys.readouterr().out
    assert "clients" in shown and "view" in shown and "delete" not in shown

    assert (
        run(
            database_url,
            "user",
            "set-password",
            "--email",
            "ann@acme.gy",
            "--password-stdin",
            stdin="Newer-Pass-456\n",
            monkeypatch=monkeypatch,
        )
        == 0
    )
    capsys.readouterr()
    assert (
        run(
            database_url,
            "db",
            "login-gateway",
            "--password-stdin",
            stdin="gateway-secret-123\n",
            monkeypatch=monkeypatch,
        )
        == 0
    )
    profile = auth.ServerProfile(
        database_url.set(username=None, password=None),
        database_url.set(username="gcmc_login", password="gateway-secret-123"),
    )
    ctx = auth.open_context(auth.sign_in(profile, "ann@acme.gy", "Newer-Pass-456"))
    assert ctx.tenant_code == "acme"

    assert run(database_url, "user", "disable", "--email", "ann@acme.gy") == 0
    capsys.readouterr()
    try:
        auth.sign_in(profile, "ann@acme.gy", "Newer-Pass-456")
    except auth.LoginFailed:
        pass
    else:
        raise AssertionError("a disabled user signed in")

    with engine.begin() as conn:
        conn.execute(text("UPDATE session SET \"expiresAt\" = now() - interval '1 hour'"))
    assert run(database_url, "maintenance", "sessions") == 0
    assert "Deleted 0 expired" in capsys.readouterr().out  # disabling already ended them
