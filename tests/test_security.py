"""Security on real PostgreSQL: sign-in, lockout, sessions, row-level security, provisioning,
audit trail and optimistic concurrency."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession

from gcmc_desktop.models import AuditLog, Client, User
from gcmc_desktop.models import Session as LoginSession
from gcmc_desktop.services import auth, clients, passwords, users
from gcmc_desktop.services.errors import (
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)

from .security_fixtures import PASSWORD, Firms, build_firms, raw


@pytest.fixture
def firms(engine, database_url) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin", "Viewer", "ComplianceOfficer"))


def sign_in(firms: Firms, email: str, password: str = PASSWORD, **kwargs):
    signed = auth.sign_in(firms.profile, email, password)
    return auth.open_context(signed, **kwargs)


# ---------------------------------------------------------------------------------- sign-in


def test_right_password_opens_a_context_with_a_session_row(firms: Firms, engine) -> None:
    ctx = sign_in(firms, "FirmAdmin@Alpha.gy ", ip_address="10.1.2.3", user_agent="pytest")
    assert (ctx.tenant_id, ctx.role_name, ctx.email) == (
        firms.alpha,
        "FirmAdmin",
        "firmadmin@alpha.gy",
    )
    assert ctx.can("users", "create") and ctx.can("clients", "delete")
    with OrmSession(engine) as orm:
        row = orm.scalars(select(LoginSession).where(LoginSession.token == ctx.session_token)).one()
    assert len(row.token) == 32 and row.token.isalnum()
    assert row.ip_address == "10.1.2.3" and row.user_agent == "pytest"
    hours = (row.expires_at - row.created_at).total_seconds() / 3600
    assert 11.9 < hours <= 12
    auth.sign_out(ctx)


def test_wrong_password_and_unknown_email_say_the_same(firms: Firms) -> None:
    with pytest.raises(auth.LoginFailed) as wrong:
        auth.sign_in(firms.profile, "viewer@alpha.gy", "not-the-password")
    with pytest.raises(auth.LoginFailed) as unknown:
        auth.sign_in(firms.profile, "nobody@alpha.gy", "not-the-password")
    assert wrong.value.message == unknown.value.message == auth.BAD_CREDENTIALS


def test_lockout_after_five_failures_and_its_expiry(firms: Firms, engine) -> None:
    for _ in range(5):
        with pytest.raises(auth.LoginFailed):
            auth.sign_in(firms.profile, "viewer@alpha.gy", "wrong-password")
    with pytest.raises(auth.LockedOut) as locked:
        auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD)  # even the right password
    assert "Try again in 15 minutes" in locked.value.message
    # Another e-mail is not affected.
    auth.sign_in(firms.profile, "firmadmin@alpha.gy", PASSWORD).engine.dispose()
    with engine.begin() as conn:  # 16 minutes pass
        conn.execute(
            text(
                "UPDATE desktop_login_attempts "
                'SET "attemptedAt" = "attemptedAt" - interval \'16 minutes\''
            )
        )
    signed = auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD)
    assert signed.email == "viewer@alpha.gy"
    signed.engine.dispose()


def test_expired_session_is_refused_and_maintenance_deletes_it(firms: Firms, engine) -> None:
    ctx = sign_in(firms, "viewer@alpha.gy", session_hours=-1)
    with pytest.raises(auth.SessionExpired):
        auth.check_session(ctx)
    live = sign_in(firms, "viewer@alpha.gy")
    auth.check_session(live)
    assert auth.delete_expired_sessions(engine) == 1
    with engine.connect() as conn:
        tokens = set(conn.scalars(select(LoginSession.token)))
    assert ctx.session_token not in tokens and live.session_token in tokens


def test_user_without_membership_is_told_so(firms: Firms, engine) -> None:
    with engine.begin() as conn:
        users.create_user(conn, firms.alpha, "temp@alpha.gy", "Temp", "Viewer", PASSWORD)
        conn.execute(
            text(
                'DELETE FROM tenant_users WHERE "userId" = '
                "(SELECT _id FROM \"user\" WHERE email = 'temp@alpha.gy')"
            )
        )
    signed = auth.sign_in(firms.profile, "temp@alpha.gy", PASSWORD)
    with pytest.raises(auth.NoMembership):
        auth.open_context(signed)


def test_member_of_two_firms_chooses_one(firms: Firms, engine) -> None:
    with engine.begin() as conn:
        users.create_user(conn, firms.beta, "viewer@alpha.gy", "ignored", "Viewer", PASSWORD)
    signed = auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD)
    assert {m.tenant_code for m in signed.memberships} == {"alpha", "beta"}
    beta = next(m for m in signed.memberships if m.tenant_code == "beta")
    ctx = auth.open_context(signed, beta)
    assert [c.name for c in ctx.session.scalars(select(Client))] == ["Beta Client"]


def test_web_created_user_enables_desktop_access_with_web_password(firms: Firms, engine) -> None:
    web_password = "Web-Created-Pa55"
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (_id, name, email, "emailVerified", "updatedAt") '
                "VALUES ('WebUser0000000000000000000000001', 'Web User', 'web@alpha.gy', "
                "true, now())"
            )
        )
        conn.execute(
            text(
                'INSERT INTO account (_id, "accountId", "providerId", "userId", password, '
                '"updatedAt") '
                "VALUES ('acc1', 'WebUser0000000000000000000000001', 'credential', "
                "'WebUser0000000000000000000000001', :h, now())"
            ),
            {"h": passwords.hash_password(web_password)},
        )
        role_id = conn.scalar(
            text("SELECT id FROM roles WHERE \"tenantId\" = :t AND name = 'Viewer'"),
            {"t": firms.alpha},
        )
        conn.execute(
            text(
                'INSERT INTO tenant_users ("tenantId", "userId", "roleId", "updatedAt") '
                "VALUES (:t, 'WebUser0000000000000000000000001', :r, now())"
            ),
            {"t": firms.alpha, "r": role_id},
        )
    with pytest.raises(auth.LoginFailed):
        auth.sign_in(firms.profile, "web@alpha.gy", "wrong-web-password")
    ctx = auth.open_context(auth.sign_in(firms.profile, "web@alpha.gy", web_password))
    assert ctx.user_id == "WebUser0000000000000000000000001"
    assert ctx.role_name == "Viewer"
    # Now a desktop role exists; the same password keeps working.
    auth.sign_in(firms.profile, "web@alpha.gy", web_password).engine.dispose()


def test_desktop_password_is_accepted_by_the_web_format(firms: Firms, engine) -> None:
    """The hash the desktop writes verifies with an independent Better-Auth computation."""
    import hashlib
    import hmac
    import unicodedata

    with engine.connect() as conn:
        stored = conn.scalar(
            text(
                'SELECT a.password FROM account a JOIN "user" u ON u._id = a."userId" '
                "WHERE u.email = 'viewer@alpha.gy' AND a.\"providerId\" = 'credential'"
            )
        )
    salt, key = stored.split(":")
    expected = hashlib.scrypt(
        unicodedata.normalize("NFKC", PASSWORD).encode(),
        salt=salt.encode(),
        n=16384,
        r=16,
        p=1,
        dklen=64,
        maxmem=128 * 1024 * 1024,
    ).hex()
    assert hmac.compare_digest(expected, key)


# ------------------------------------------------------------------------ row-level security


def test_staff_sql_with_forged_tenant_sees_and_writes_nothing(firms: Firms) -> None:
    with raw(firms.user_url("viewer@alpha.gy")) as conn:
        assert conn.execute("SELECT count(*) FROM clients").fetchone()[0] == 0  # no tenant set
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute("SELECT count(*) FROM clients").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "VALUES (%s, 'Injected', 'company', now())",
                (firms.beta,),
            )
        assert (
            conn.execute(
                "UPDATE clients SET name = 'x' WHERE \"tenantId\" = %s", (firms.beta,)
            ).rowcount
            == 0
        )
        assert conn.execute("DELETE FROM clients WHERE id = %s", (firms.beta_client,)).rowcount == 0


def test_staff_sql_in_own_tenant_sees_only_own_rows(firms: Firms) -> None:
    with raw(firms.user_url("viewer@alpha.gy")) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        names = [r[0] for r in conn.execute("SELECT name FROM clients")]
        assert names == ["Alpha Client"]
        tenants = [r[0] for r in conn.execute("SELECT code FROM tenants")]
        assert tenants == ["alpha"]
        emails = {r[0] for r in conn.execute('SELECT email FROM "user"')}
        assert "boss@beta.gy" not in emails and "viewer@alpha.gy" in emails


def test_child_tables_are_guarded_through_their_parent(firms: Firms) -> None:
    with raw(firms.user_url("firmadmin@alpha.gy")) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute("SELECT count(*) FROM document_versions").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider") '
                "VALUES (%s, 'evil', 'local')",
                (firms.beta_document,),
            )
        assert conn.execute("SELECT count(*) FROM permissions").fetchone()[0] > 0  # own roles'
        beta_roles = conn.execute(
            'SELECT count(*) FROM permissions p WHERE p."roleId" IN '
            '(SELECT id FROM roles WHERE "tenantId" = %s)',
            (firms.beta,),
        ).fetchone()[0]
        assert beta_roles == 0


def test_orm_queries_without_filter_are_scoped_twice(firms: Firms) -> None:
    ctx = sign_in(firms, "firmadmin@alpha.gy")
    assert [c.name for c in ctx.session.scalars(select(Client))] == ["Alpha Client"]
    # Even with the application's criterion switched off, the database still filters.
    unscoped = select(Client).execution_options(gcmc_unscoped=True)
    assert [c.name for c in ctx.session.scalars(unscoped)] == ["Alpha Client"]
    assert ctx.session.get(Client, firms.beta_client) is None


def test_audit_rows_cannot_be_changed_or_deleted(firms: Firms) -> None:
    ctx = sign_in(firms, "firmadmin@alpha.gy")
    clients.create_client(ctx, {"name": "Audited", "type": "individual"})
    with raw(firms.user_url("firmadmin@alpha.gy")) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute("SELECT count(*) FROM audit_logs").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit_logs SET action = 'nothing'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_logs")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # forged actor
            conn.execute(
                'INSERT INTO audit_logs ("tenantId", "actorUserId", "entityType", '
                "\"entityId\", action) VALUES (%s, NULL, 'client', 1, 'delete')",
                (firms.alpha,),
            )


def test_credentials_are_unreadable_and_provisioning_needs_permission(firms: Firms) -> None:
    with raw(firms.user_url("viewer@alpha.gy")) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT password FROM account")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "SELECT gcmc_provision_user(%s, 'x@alpha.gy', 'X', "
                "(SELECT id FROM roles WHERE name = 'FirmAdmin' AND \"tenantId\" = %s), "
                "'SCRAM-SHA-256$4096:x', NULL)",
                (firms.alpha, firms.alpha),
            )
        promoted = conn.execute(  # self-promotion: the row is simply not writable
            'UPDATE tenant_users SET "roleId" = (SELECT id FROM roles '
            'WHERE name = \'FirmAdmin\' AND "tenantId" = %s) WHERE "tenantId" = %s',
            (firms.alpha, firms.alpha),
        )
        assert promoted.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER ROLE gcmc_staff CREATEROLE")
    engine = create_engine(firms.user_url("viewer@alpha.gy"))
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('gcmc.tenant_id', :t, true)"), {"t": str(firms.alpha)})
        admin_id = conn.scalar(select(User.id).where(User.email == "firmadmin@alpha.gy"))
        assert admin_id is not None
        with pytest.raises(PermissionDenied):
            users.set_password(conn, admin_id, "Hijacked-Pass-1")
    engine.dispose()


def test_firm_admin_provisions_users_through_the_database_function(firms: Firms, engine) -> None:
    admin_engine = engine
    with admin_engine.connect() as conn:
        beta_admin_role = conn.scalar(
            text("SELECT id FROM roles WHERE \"tenantId\" = :t AND name = 'FirmAdmin'"),
            {"t": firms.beta},
        )
    engine = create_engine(firms.user_url("firmadmin@alpha.gy"))
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('gcmc.tenant_id', :t, true)"), {"t": str(firms.alpha)})
        users.create_user(
            conn, firms.alpha, "new@alpha.gy", "New Person", "FilingClerk", "Fresh-Pass-99"
        )
        with pytest.raises(NotFoundError):  # Beta's roles are invisible from Alpha
            users.create_user(conn, firms.beta, "spy@beta.gy", "Spy", "FirmAdmin", "Agent-Pass-999")
    with engine.begin() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(  # and the database refuses even with Beta's real role id
            text("SELECT gcmc_provision_user(:t, 'spy@beta.gy', 'Spy', :r, :v, NULL)"),
            {"t": firms.beta, "r": beta_admin_role, "v": "SCRAM-SHA-256$4096:x"},
        )
    assert refused.value.orig.sqlstate == "42501"
    engine.dispose()
    ctx = sign_in(firms, "new@alpha.gy", "Fresh-Pass-99")
    assert ctx.role_name == "FilingClerk"
    # Disabled users can no longer sign in.
    engine = create_engine(firms.user_url("firmadmin@alpha.gy"))
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('gcmc.tenant_id', :t, true)"), {"t": str(firms.alpha)})
        users.disable_user(conn, users.user_id_by_email(conn, "new@alpha.gy"))
    engine.dispose()
    with pytest.raises(auth.LoginFailed):
        auth.sign_in(firms.profile, "new@alpha.gy", "Fresh-Pass-99")


def test_own_password_change_works_for_both_clients(firms: Firms) -> None:
    ctx = sign_in(firms, "viewer@alpha.gy")
    users.set_password(ctx.session.connection(), ctx.user_id, "Brand-New-Pass-1")
    ctx.session.commit()
    with pytest.raises(auth.LoginFailed):
        auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD)
    auth.sign_in(firms.profile, "viewer@alpha.gy", "Brand-New-Pass-1").engine.dispose()
    with pytest.raises(ValidationError):
        users.set_password(ctx.session.connection(), ctx.user_id, "short")


# ------------------------------------------------------------------ audit and concurrency


def test_audit_trail_records_create_update_delete(firms: Firms, engine) -> None:
    ctx = sign_in(firms, "firmadmin@alpha.gy", ip_address="192.0.2.7", user_agent="ua-test")
    client = clients.create_client(
        ctx, {"name": "Kaieteur Mining", "type": "company", "tin": "123456789"}
    )
    clients.update_client(ctx, client["id"], {"name": "Kaieteur Mining Inc."}, client["updated_at"])
    clients.delete_client(ctx, client["id"])
    with OrmSession(engine) as orm:
        rows = orm.scalars(
            select(AuditLog)
            .where(AuditLog.entity_id == client["id"], AuditLog.entity_type == "client")
            .order_by(AuditLog.id)
        ).all()
    assert [r.action for r in rows] == ["create", "update", "delete"]
    created, updated, deleted = rows
    assert created.changes["name"] == [None, "Kaieteur Mining"]
    assert created.changes["tin"] == [None, "123456789"]
    assert updated.changes == {"name": ["Kaieteur Mining", "Kaieteur Mining Inc."]}
    assert deleted.changes["name"] == ["Kaieteur Mining Inc.", None]
    for row in rows:
        assert row.actor_user_id == ctx.user_id
        assert (row.ip_address, row.user_agent) == ("192.0.2.7", "ua-test")
        assert row.tenant_id == firms.alpha
    assert created.client_id is None  # the client is gone; its audit link is nulled


def test_secrets_are_never_in_the_audit_trail(firms: Firms, engine) -> None:
    sign_in(firms, "firmadmin@alpha.gy")
    with engine.connect() as conn:
        dumped = conn.scalar(
            text("SELECT coalesce(string_agg(changes::text, ' '), '') FROM audit_logs")
        )
    assert PASSWORD not in dumped and "token" not in dumped


def test_stale_update_raises_conflict_with_current_values(firms: Firms) -> None:
    first = sign_in(firms, "firmadmin@alpha.gy")
    second = sign_in(firms, "complianceofficer@alpha.gy")
    mine = clients.get_client(first, firms.alpha_client)
    theirs = clients.get_client(second, firms.alpha_client)
    read_at = theirs["updated_at"]
    clients.update_client(first, mine["id"], {"sector": "Mining"}, mine["updated_at"])
    with pytest.raises(ConflictError) as conflict:
        clients.update_client(second, theirs["id"], {"sector": "Retail"}, read_at)
    assert conflict.value.current["sector"] == "Mining"
    assert clients.get_client(first, mine["id"])["sector"] == "Mining"  # no silent overwrite


def test_validation_errors_name_the_fields(firms: Firms) -> None:
    ctx = sign_in(firms, "firmadmin@alpha.gy")
    with pytest.raises(ValidationError) as invalid:
        clients.create_client(
            ctx, {"name": " ", "type": "trust", "email": "nope", "tin": "12", "nis_number": "??"}
        )
    assert set(invalid.value.field_errors) == {"name", "type", "email", "tin", "nis_number"}
    with ctx.session.begin():
        assert ctx.session.scalar(select(func.count()).select_from(Client)) == 1


def test_login_session_expiry_default_is_configurable(firms: Firms, engine) -> None:
    ctx = sign_in(firms, "viewer@alpha.gy", session_hours=2)
    with OrmSession(engine) as orm:
        row = orm.scalars(select(LoginSession).where(LoginSession.token == ctx.session_token)).one()
    assert abs((row.expires_at - row.created_at) - timedelta(hours=2)) < timedelta(seconds=5)


# ------------------------------------------------------------------------ remembered devices


def test_remembered_device_resumes_without_the_password(firms: Firms, engine) -> None:
    ctx = sign_in(firms, "viewer@alpha.gy")
    remembered = auth.remember_device(ctx)
    stored = remembered.to_json()
    assert PASSWORD not in stored
    again = auth.resume(firms.profile, auth.RememberedLogin.from_json(stored))
    assert (again.user_id, again.tenant_id, again.role_name) == (ctx.user_id, firms.alpha, "Viewer")
    assert [c.name for c in again.session.scalars(select(Client))] == ["Alpha Client"]
    # Signing out ends the remembered device too.
    auth.sign_out(again)
    with pytest.raises(auth.SessionExpired) as expired:
        auth.resume(firms.profile, remembered)
    assert expired.value.message == auth.REMEMBERED_EXPIRED


def test_remembered_session_expires(firms: Firms, engine) -> None:
    ctx = sign_in(firms, "viewer@alpha.gy")
    remembered = auth.remember_device(ctx)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE session SET \"expiresAt\" = now() - interval '1 minute' WHERE token = :t"),
            {"t": remembered.token},
        )
    with pytest.raises(auth.SessionExpired):
        auth.resume(firms.profile, remembered)
    forged = auth.RememberedLogin(
        remembered.email, remembered.user_id, remembered.tenant_id, remembered.token, "guess"
    )
    with pytest.raises(auth.SessionExpired):
        auth.resume(firms.profile, forged)


def test_switching_firm_never_touches_the_old_session(firms: Firms, engine) -> None:
    """Issue 10: switch_tenant runs on a worker thread; the old Context's session belongs to the
    GUI thread and must see no statement from it."""
    from sqlalchemy import event

    with engine.begin() as conn:
        users.create_user(conn, firms.beta, "viewer@alpha.gy", "ignored", "Viewer", PASSWORD)
    signed = auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD)
    alpha = next(m for m in signed.memberships if m.tenant_code == "alpha")
    beta = next(m for m in signed.memberships if m.tenant_code == "beta")
    ctx = auth.open_context(signed, alpha)
    used: list[object] = []
    event.listen(ctx.session, "after_begin", lambda *args: used.append(args))
    switched = auth.switch_tenant(ctx, beta)
    assert used == []
    assert switched.tenant_id == firms.beta
    assert [c.name for c in switched.session.scalars(select(Client))] == ["Beta Client"]
    with engine.connect() as conn:  # the old login session ended
        assert (
            conn.scalar(
                select(func.count())
                .select_from(LoginSession)
                .where(LoginSession.token == ctx.session_token)
            )
            == 0
        )
