"""Attacks on the database as a curious insider would make them: with psql and their own
credentials (a staff user's own PostgreSQL login, row-level security on), or with only the
login-gateway password. Every test fails if the attack works.

The users sign in through the real sign-in service first (that is how their login role gets
its password); every attack then runs as raw SQL on the user's own connection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import text

from gcmc_desktop.services import auth, clients, passwords, users

from .security_fixtures import GATEWAY_PASSWORD, PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect

ROLES = ("FirmAdmin", "Admin", "Viewer", "DocumentOfficer", "FilingClerk")


@pytest.fixture
def firms(engine, database_url) -> Firms:
    built = build_firms(engine, database_url, ROLES)
    with engine.begin() as conn:
        filing_type = conn.scalar(
            text(
                'INSERT INTO filing_types ("tenantId", name, code, authority, frequency, '
                "\"updatedAt\") VALUES (:t, 'VAT return', 'VAT', 'GRA', 'monthly', now()) "
                "RETURNING id"
            ),
            {"t": built.alpha},
        )
        conn.execute(
            text(
                'INSERT INTO filings ("tenantId", "clientId", "filingTypeId", status, '
                "\"updatedAt\") VALUES (:t, :c, :f, 'draft', now())"
            ),
            {"t": built.alpha, "c": built.alpha_client, "f": filing_type},
        )
    return built


@contextmanager
def staff(firms: Firms, role: str, tenant: int | None = None) -> Iterator[psycopg.Connection]:
    """psql as the Alpha user of `role`, in Alpha (or `tenant`)."""
    with connect(firms.user_url(firms.emails[role])) as conn:
        conn.execute(
            "SELECT set_config('gcmc.tenant_id', %s, false)", (str(tenant or firms.alpha),)
        )
        yield conn


def gateway(firms: Firms) -> psycopg.Connection:
    return connect(firms.profile.gateway_url)


def one(conn: psycopg.Connection, sql: str, params: tuple = ()) -> object:
    return conn.execute(sql, params).fetchone()[0]


def user_id(engine, email: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(text('SELECT _id FROM "user" WHERE email = :e'), {"e": email})


def role_id(engine, tenant: int, name: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            text('SELECT id FROM roles WHERE "tenantId" = :t AND name = :n'),
            {"t": tenant, "n": name},
        )


def add_web_user(engine, tenant: int, email: str, stored_hash: str | None) -> str:
    """A user the web platform (or one of its scripts) created: no desktop login role."""
    uid = hashlib.md5(email.encode()).hexdigest()
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (_id, name, email, "emailVerified", "updatedAt") '
                "VALUES (:u, 'Web User', :e, true, now())"
            ),
            {"u": uid, "e": email},
        )
        conn.execute(
            text(
                'INSERT INTO account (_id, "accountId", "providerId", "userId", password, '
                "\"updatedAt\") VALUES (:a, :u, 'credential', :u, :h, now())"
            ),
            {"a": "acc-" + uid, "u": uid, "h": stored_hash},
        )
        conn.execute(
            text(
                'INSERT INTO tenant_users ("tenantId", "userId", "roleId", "updatedAt") '
                "SELECT :t, :u, id, now() FROM roles WHERE \"tenantId\" = :t AND name = 'Viewer'"
            ),
            {"t": tenant, "u": uid},
        )
    return uid


def has_login_role(engine, uid: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = 'gcmc_u_' || :u"), {"u": uid})
        )


def verifier(conn: psycopg.Connection, password: str) -> str:
    return conn.pgconn.encrypt_password(password.encode(), b"", b"scram-sha-256").decode()


# ------------------------------------------------------------------ account takeover: gateway

BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
SHA256 = hashlib.sha256(b"Web-Password-1").hexdigest()


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        (passwords.hash_password("Web-Password-1"), None),  # NULL key
        (passwords.hash_password("Web-Password-1"), ""),  # empty key
        (BCRYPT, ""),  # a hash not in salt:key form, empty key
        (BCRYPT, None),
        (SHA256, ""),
        ("0123456789abcdef0123456789abcdef:", ""),  # salt with an empty key part
        (None, None),  # no password at all
    ],
)
def test_gateway_never_enables_desktop_without_the_password(firms, engine, stored, key) -> None:
    uid = add_web_user(engine, firms.alpha, "web@alpha.gy", stored)
    with gateway(firms) as conn:
        role, locked, _left = conn.execute(
            "SELECT * FROM gcmc_sign_in(%s, %s, %s)",
            ("web@alpha.gy", key, verifier(conn, "Attacker-Chosen-1")),
        ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the old door is shut
            conn.execute(
                "SELECT gcmc_enable_desktop('web@alpha.gy', NULL, %s)",
                (verifier(conn, "Attacker-Chosen-1"),),
            )
    assert role is None and locked is None
    assert not has_login_role(engine, uid)


def test_unsupported_web_hash_is_refused_like_a_wrong_password(firms, engine) -> None:
    add_web_user(engine, firms.alpha, "bcrypt@alpha.gy", BCRYPT)
    with pytest.raises(auth.LoginFailed) as failed:
        auth.sign_in(firms.profile, "bcrypt@alpha.gy", "Whatever-Pass-1")
    assert failed.value.message == auth.BAD_CREDENTIALS


def test_web_user_enables_desktop_only_with_the_real_password(firms, engine) -> None:
    uid = add_web_user(engine, firms.alpha, "web@alpha.gy", passwords.hash_password("Web-Pass-42"))
    with pytest.raises(auth.LoginFailed):
        auth.sign_in(firms.profile, "web@alpha.gy", "Not-The-Pass-1")
    assert not has_login_role(engine, uid)
    auth.sign_in(firms.profile, "web@alpha.gy", "Web-Pass-42").engine.dispose()
    assert has_login_role(engine, uid)


def test_gateway_can_only_ask_for_a_salt_and_verify(firms) -> None:
    with gateway(firms) as conn:
        for call in (
            "SELECT gcmc_record_login('viewer@alpha.gy', false)",  # lock anyone out
            "SELECT gcmc_record_login('viewer@alpha.gy', true)",  # clear a lock
            "SELECT gcmc_login_role('viewer@alpha.gy')",  # which e-mails exist
            "SELECT gcmc_login_locked_until('viewer@alpha.gy')",
            "SELECT count(*) FROM clients",
            "SELECT count(*) FROM desktop_login_attempts",
            "SELECT value FROM desktop_secrets",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(call)


def test_staff_cannot_lock_out_or_unlock_anyone(firms, engine) -> None:
    with staff(firms, "FirmAdmin") as conn:
        for _ in range(6):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT gcmc_record_login('viewer@alpha.gy', false)")
    auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD).engine.dispose()  # not locked


def test_lockout_counts_only_real_verification_and_a_lock_holds(firms) -> None:
    with gateway(firms) as conn:
        answers = [
            conn.execute(
                "SELECT * FROM gcmc_sign_in('viewer@alpha.gy', %s, %s)",
                ("ab" * 64, verifier(conn, "x")),
            ).fetchone()
            for _ in range(5)
        ]
    assert [a[2] for a in answers] == [4, 3, 2, 1, 0]  # the user is warned before the lock
    with pytest.raises(auth.LockedOut):  # even the right password while locked
        auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD)


def test_failed_sign_in_says_how_many_tries_remain(firms) -> None:
    messages = []
    for _ in range(5):
        with pytest.raises(auth.LoginFailed) as failed:
            auth.sign_in(firms.profile, "viewer@alpha.gy", "Wrong-Password-1")
        messages.append(failed.value.message)
    assert messages[0] == auth.BAD_CREDENTIALS
    assert "2 more tries" in messages[2] and "1 more try" in messages[3]
    assert "now locked for 15 minutes" in messages[4]


def test_unknown_and_known_emails_are_indistinguishable(firms) -> None:
    known, unknown = "viewer@alpha.gy", "nobody@alpha.gy"
    with gateway(firms) as conn:
        salts = {e: one(conn, "SELECT gcmc_credential_salt(%s)", (e,)) for e in (known, unknown)}
        again = one(conn, "SELECT gcmc_credential_salt(%s)", (unknown,))
        answers = {
            e: conn.execute(
                "SELECT * FROM gcmc_sign_in(%s, %s, %s)", (e, "cd" * 64, verifier(conn, "x"))
            ).fetchone()
            for e in (known, unknown)
        }
    for salt in salts.values():
        assert len(salt) == 32 and all(c in "0123456789abcdef" for c in salt)
    assert again == salts[unknown]  # stable, so a second look tells nothing either
    # The old fake salt was computable by anyone: md5 of a fixed prefix.
    assert salts[unknown] != hashlib.md5(f"gcmc-salt:{unknown}".encode()).hexdigest()
    assert answers[known] == answers[unknown] == (None, None, 4)


@pytest.mark.parametrize(
    "args",
    [
        (None, None, None),
        ("", "", ""),
        ("viewer@alpha.gy", "'; DROP TABLE clients; --", "x"),
        ("x' OR '1'='1", "00" * 64, None),
    ],
)
def test_gateway_functions_survive_null_empty_and_quotes(firms, engine, args) -> None:
    with gateway(firms) as conn:
        assert one(conn, "SELECT gcmc_credential_salt(%s)", (args[0],)) is not None
        role, _locked, _left = conn.execute(
            "SELECT * FROM gcmc_sign_in(%s, %s, %s)", args
        ).fetchone()
    assert role is None
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM clients")) == 2


# -------------------------------------------------- account takeover: provisioning, passwords


def test_provisioning_another_firms_user_never_touches_their_password(firms, engine) -> None:
    boss = user_id(engine, "boss@beta.gy")
    with staff(firms, "FirmAdmin") as conn:
        conn.execute(
            "SELECT gcmc_provision_user(%s, 'boss@beta.gy', 'Beta Boss', %s, %s, %s)",
            (
                firms.alpha,
                role_id(engine, firms.alpha, "Viewer"),
                verifier(conn, "Taken-Over-1"),
                passwords.hash_password("Taken-Over-1"),
            ),
        )
        # The membership is an invitation; their credentials stay theirs, everywhere.
        for call in (
            (
                "SELECT gcmc_set_password(%s, %s, %s)",
                (boss, verifier(conn, "Taken-Over-2"), passwords.hash_password("Taken-Over-2")),
            ),
            ("SELECT gcmc_disable_user(%s)", (boss,)),
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(*call)
    with pytest.raises(auth.LoginFailed):
        auth.sign_in(firms.profile, "boss@beta.gy", "Taken-Over-1")
    auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD).engine.dispose()


def test_nobody_resets_the_password_of_a_more_powerful_member(firms, engine) -> None:
    firm_admin = user_id(engine, "firmadmin@alpha.gy")
    with staff(firms, "Admin") as conn:  # users:edit, but not the FirmAdmin's settings rights
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "SELECT gcmc_set_password(%s, %s, %s)",
                (firm_admin, verifier(conn, "Taken-Over-3"), passwords.hash_password("Taken-3x")),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT gcmc_disable_user(%s)", (firm_admin,))
        # A member with less than the Admin is theirs to manage.
        viewer = user_id(engine, "viewer@alpha.gy")
        conn.execute(
            "SELECT gcmc_set_password(%s, %s, %s)",
            (
                viewer,
                verifier(conn, "Reset-By-Admin-1"),
                passwords.hash_password("Reset-By-Admin-1"),
            ),
        )
    auth.sign_in(firms.profile, "viewer@alpha.gy", "Reset-By-Admin-1").engine.dispose()


@pytest.mark.parametrize(
    "call",
    [
        "SELECT gcmc_set_password(NULL, NULL, NULL)",
        "SELECT gcmc_disable_user(NULL)",
        "SELECT gcmc_disable_user('')",
        "SELECT gcmc_provision_user(NULL, NULL, NULL, NULL, NULL, NULL)",
        "SELECT gcmc_provision_user(%(beta)s, 'x@beta.gy', 'X', NULL, NULL, NULL)",
    ],
)
def test_provisioning_functions_refuse_null_and_foreign_ids(firms, engine, call) -> None:
    with staff(firms, "FirmAdmin") as conn, pytest.raises(psycopg.errors.Error):
        conn.execute(call, {"beta": firms.beta})
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM \"user\" WHERE email = 'x@beta.gy'")) == 0


def test_quotes_in_names_and_emails_are_data_not_sql(firms, engine) -> None:
    ctx = auth.open_context(auth.sign_in(firms.profile, "firmadmin@alpha.gy", PASSWORD))
    conn = ctx.session.connection()
    uid = users.create_user(
        conn,
        firms.alpha,
        "o'brien@alpha.gy",
        "O'Brien\"; DROP TABLE clients; --",
        "Viewer",
        "Quote-Safe-Pass-1",
    )
    ctx.session.commit()
    assert has_login_role(engine, uid)
    auth.sign_in(firms.profile, "o'brien@alpha.gy", "Quote-Safe-Pass-1").engine.dispose()
    with engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM clients")) == 2


# ---------------------------------------------------------------------- memberships and roles


def test_nobody_changes_their_own_membership(firms, engine) -> None:
    superadmin = role_id(engine, firms.alpha, "SuperAdmin")
    beta_role = role_id(engine, firms.beta, "FirmAdmin")
    for role in ("Admin", "FirmAdmin"):
        me = user_id(engine, firms.emails[role])
        with staff(firms, role) as conn:
            for target in (superadmin, beta_role):
                with pytest.raises(psycopg.errors.Error) as refused:
                    conn.execute(
                        'UPDATE tenant_users SET "roleId" = %s WHERE "userId" = %s', (target, me)
                    )
                assert refused.value.sqlstate in ("42501", "23503")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute('DELETE FROM tenant_users WHERE "userId" = %s', (me,))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor by provisioning
                conn.execute(
                    "SELECT gcmc_provision_user(%s, %s, 'Me', %s, NULL, NULL)",
                    (firms.alpha, firms.emails[role], superadmin),
                )


def test_nobody_grants_a_role_beyond_their_own(firms, engine) -> None:
    viewer = user_id(engine, "viewer@alpha.gy")
    with staff(firms, "Admin") as conn:
        for role in ("SuperAdmin", "FirmAdmin"):  # FirmAdmin holds settings; the Admin does not
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    'UPDATE tenant_users SET "roleId" = %s WHERE "userId" = %s',
                    (role_id(engine, firms.alpha, role), viewer),
                )
        # Nor remove or demote someone above them.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'DELETE FROM tenant_users WHERE "userId" = %s',
                (user_id(engine, "firmadmin@alpha.gy"),),
            )
        changed = conn.execute(  # within their own rights: allowed
            'UPDATE tenant_users SET "roleId" = %s WHERE "userId" = %s',
            (role_id(engine, firms.alpha, "DocumentOfficer"), viewer),
        )
        assert changed.rowcount == 1
    with staff(firms, "FirmAdmin") as conn:  # the firm's administrator gives the Admin role
        conn.execute(
            'UPDATE tenant_users SET "roleId" = %s WHERE "userId" = %s',
            (role_id(engine, firms.alpha, "Admin"), viewer),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # but never SuperAdmin
            conn.execute(
                'UPDATE tenant_users SET "roleId" = %s WHERE "userId" = %s',
                (role_id(engine, firms.alpha, "SuperAdmin"), viewer),
            )


def test_membership_role_must_belong_to_the_same_firm(firms, engine) -> None:
    viewer = user_id(engine, "viewer@alpha.gy")
    with staff(firms, "FirmAdmin") as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            'UPDATE tenant_users SET "roleId" = %s WHERE "userId" = %s',
            (role_id(engine, firms.beta, "Viewer"), viewer),
        )


def test_roles_cannot_be_escalated_by_rows_or_by_names(firms, engine) -> None:
    viewer_role = role_id(engine, firms.alpha, "Viewer")
    with staff(firms, "FirmAdmin") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # more than they hold
            conn.execute(
                'INSERT INTO permissions ("roleId", module, action, allowed, "updatedAt") '
                "VALUES (%s, '*', '*', true, now())",
                (viewer_role,),
            )
        # Emptying a role makes it fall back to its name's built-in table: SuperAdmin's is *:*.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'DELETE FROM permissions WHERE "roleId" = %s',
                (role_id(engine, firms.alpha, "SuperAdmin"),),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # their own role
            conn.execute(
                'DELETE FROM permissions WHERE "roleId" = %s',
                (role_id(engine, firms.alpha, "FirmAdmin"),),
            )
        conn.execute(  # within their rights: fine
            'INSERT INTO permissions ("roleId", module, action, allowed, "updatedAt") '
            "VALUES (%s, 'clients', 'edit', true, now())",
            (viewer_role,),
        )


# ------------------------------------------------- the database enforces module permissions


def test_viewer_cannot_change_or_delete_anything(firms, engine) -> None:
    with staff(firms, "Viewer") as conn:
        assert conn.execute("UPDATE clients SET name = 'Hacked'").rowcount == 0
        assert conn.execute("DELETE FROM filings").rowcount == 0
        assert conn.execute("DELETE FROM clients").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "VALUES (%s, 'Injected', 'company', now())",
                (firms.alpha,),
            )
        assert one(conn, "SELECT count(*) FROM clients") == 1  # reading is theirs
    with engine.connect() as conn:
        assert (
            conn.scalar(text("SELECT name FROM clients WHERE id = :i"), {"i": firms.alpha_client})
            == "Alpha Client"
        )
        assert conn.scalar(text("SELECT count(*) FROM filings")) == 1


def test_each_command_needs_its_own_permission(firms) -> None:
    with staff(firms, "DocumentOfficer") as conn:  # documents: view, create, edit
        assert conn.execute("DELETE FROM clients").rowcount == 0  # clients: view only
        assert conn.execute("UPDATE clients SET sector = 'x'").rowcount == 0
        assert one(conn, "SELECT count(*) FROM filings") == 0  # no filings permission at all
    with staff(firms, "FilingClerk") as conn:  # filings: view, create, edit
        assert one(conn, "SELECT count(*) FROM filings") == 1
        assert conn.execute("DELETE FROM filings").rowcount == 0
        assert conn.execute("UPDATE filings SET \"referenceNumber\" = 'R1'").rowcount == 1


# ------------------------------------------------------------- the audit trail is unbypassable


def audit_rows(engine, entity: str, entity_id: int) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text(
                'SELECT action, changes, "actorUserId", "ipAddress", "userAgent", "clientId" '
                'FROM audit_logs WHERE "entityType" = :t AND "entityId" = :i ORDER BY id'
            ),
            {"t": entity, "i": entity_id},
        ).all()


def test_raw_sql_writes_are_audited_with_before_and_after(firms, engine) -> None:
    admin = user_id(engine, "firmadmin@alpha.gy")
    with staff(firms, "FirmAdmin") as conn:
        conn.execute(
            "UPDATE clients SET name = 'Renamed by psql' WHERE id = %s", (firms.alpha_client,)
        )
        new_id = one(
            conn,
            'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
            "VALUES (%s, 'Made by psql', 'company', now()) RETURNING id",
            (firms.alpha,),
        )
        conn.execute("DELETE FROM clients WHERE id = %s", (new_id,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # and no forged rows
            conn.execute(
                'INSERT INTO audit_logs ("tenantId", "actorUserId", "entityType", "entityId", '
                "action) VALUES (%s, %s, 'client', 1, 'delete')",
                (firms.alpha, admin),
            )
    (update,) = audit_rows(engine, "client", firms.alpha_client)
    assert update[0] == "update" and update[2] == admin
    assert update[1] == {"name": ["Alpha Client", "Renamed by psql"]}
    created, deleted = audit_rows(engine, "client", new_id)
    assert created[0] == "create" and created[1]["name"] == [None, "Made by psql"]
    assert deleted[0] == "delete" and deleted[1]["name"] == ["Made by psql", None]


def test_one_statement_of_many_rows_audits_each_row(firms, engine) -> None:
    """The trail is written once per statement (0011): still one row per changed row, with
    its own id, client and changes; rows an update leaves unchanged get none."""
    with staff(firms, "FirmAdmin") as conn:
        ids = [
            r[0]
            for r in conn.execute(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "SELECT %s, 'Bulk ' || n, 'company', now() FROM generate_series(1, 3) n "
                "RETURNING id",
                (firms.alpha,),
            ).fetchall()
        ]
        conn.execute(
            "UPDATE clients SET name = CASE WHEN id = %s THEN 'Bulk renamed' ELSE name END, "
            "\"updatedAt\" = now() + interval '1 second' WHERE id = ANY(%s)",
            (ids[0], ids),
        )
        conn.execute(
            'INSERT INTO tasks ("tenantId", "clientId", title, status, priority, "updatedAt") '
            "SELECT %s, id, 'Call ' || name, 'open', 'low', now() FROM clients "
            "WHERE id = ANY(%s)",
            (firms.alpha, ids),
        )
        conn.execute("DELETE FROM clients WHERE id = ANY(%s)", (ids[1:],))
    first = audit_rows(engine, "client", ids[0])
    assert [r[0] for r in first] == ["create", "update"]
    assert first[0][1]["name"] == [None, "Bulk 1"] and first[0][5] == ids[0]
    assert first[1][1] == {"name": ["Bulk 1", "Bulk renamed"]}  # updatedAt alone is no change
    for n, client_id in enumerate(ids[1:], start=2):
        created, deleted = audit_rows(engine, "client", client_id)
        assert created[1]["name"] == [None, f"Bulk {n}"]
        assert deleted[0] == "delete" and deleted[5] is None  # the client is gone
    with engine.connect() as conn:
        tasks = conn.execute(
            text(
                "SELECT \"clientId\", changes -> 'title' ->> 1 FROM audit_logs "
                "WHERE \"entityType\" = 'task' AND action = 'create' AND \"clientId\" = :c"
            ),
            {"c": ids[0]},
        ).all()
    assert tasks == [(ids[0], "Call Bulk renamed")]


def test_app_writes_one_audit_row_with_address_and_agent(firms, engine) -> None:
    signed = auth.sign_in(firms.profile, "firmadmin@alpha.gy", PASSWORD)
    ctx = auth.open_context(signed, ip_address="192.0.2.9", user_agent="pytest-agent")
    client = clients.create_client(ctx, {"name": "Audited Once", "type": "individual"})
    rows = audit_rows(engine, "client", client["id"])
    assert len(rows) == 1
    assert rows[0][3:5] == ("192.0.2.9", "pytest-agent")
    assert rows[0][5] == client["id"]


def test_failed_save_leaves_no_phantom_audit_row(firms, engine) -> None:
    """Issue 9 #22: an aborted flush must leave no audit state behind for the next save."""
    from sqlalchemy.exc import IntegrityError

    from gcmc_desktop.models import Client

    ctx = auth.open_context(auth.sign_in(firms.profile, "firmadmin@alpha.gy", PASSWORD))
    ctx.session.add(Client(tenant_id=firms.alpha, name="Never saved", type=None))
    with pytest.raises(IntegrityError):
        ctx.session.flush()
    ctx.session.rollback()
    clients.create_client(ctx, {"name": "Saved", "type": "company"})
    with engine.connect() as conn:
        created = conn.scalars(
            text(
                "SELECT changes->'name'->>1 FROM audit_logs "
                "WHERE action = 'create' AND \"entityType\" = 'client'"
            )
        ).all()
    assert created == ["Saved"]


def alpha_document_type(engine, firms: Firms) -> int:
    with engine.begin() as conn:
        return conn.scalar(
            text(
                'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, 'ID card', 'identification', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )


# ------------------------------------------------------------------ cross-tenant references


def test_references_to_another_firm_look_like_missing_ids(firms, engine) -> None:
    alpha_type = alpha_document_type(engine, firms)
    insert = (
        'INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, '
        "\"updatedAt\") VALUES (%s, %s, %s, 'Smuggled', 'valid', now())"
    )
    errors = []
    with staff(firms, "FirmAdmin") as conn:
        for client in (firms.beta_client, 987654321):
            with pytest.raises(psycopg.errors.ForeignKeyViolation) as refused:
                conn.execute(insert, (firms.alpha, client, alpha_type))
            errors.append(refused.value.diag.message_primary)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # a member of another firm
            conn.execute(
                'INSERT INTO tasks ("tenantId", title, status, "assignedToId", "updatedAt") '
                "VALUES (%s, 'Spy', 'open', %s, now())",
                (firms.alpha, user_id(engine, "boss@beta.gy")),
            )
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # an update, too
            conn.execute('UPDATE filings SET "clientId" = %s', (firms.beta_client,))
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as bulk:  # one bad row of many
            conn.execute(
                'INSERT INTO tasks ("tenantId", "clientId", title, status, "updatedAt") '
                "SELECT %s, c, 'Bulk', 'open', now() FROM unnest(%s::int[]) AS c",
                (firms.alpha, [firms.alpha_client, firms.beta_client, firms.alpha_client]),
            )
        assert bulk.value.diag.constraint_name == "tasks_clientId_fkey"
        assert one(conn, "SELECT count(*) FROM tasks WHERE title = 'Bulk'") == 0
    assert errors[0] == errors[1]  # a foreign id and a nonexistent one say the same


def test_authorship_cannot_be_forged(firms, engine) -> None:
    doc_type = alpha_document_type(engine, firms)
    with staff(firms, "FirmAdmin") as conn:
        doc = one(
            conn,
            'INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, '
            "\"updatedAt\") VALUES (%s, %s, %s, 'Mine', 'valid', now()) RETURNING id",
            (firms.alpha, firms.alpha_client, doc_type),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", '
                "\"uploadedById\") VALUES (%s, 'k', 'local', %s)",
                (doc, user_id(engine, "viewer@alpha.gy")),
            )


# --------------------------------------------------------------- caps on what staff may set


def test_sessions_and_remembered_devices_are_capped(firms, engine) -> None:
    me = user_id(engine, "viewer@alpha.gy")
    with staff(firms, "Viewer") as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute(
                'INSERT INTO session (_id, "expiresAt", token, "updatedAt", "userId") '
                "VALUES ('s1', '2100-01-01', 'forever', now(), %s)",
                (me,),
            )
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute(
                "SELECT gcmc_remember_device(%s, '2999-01-01')", (verifier(conn, "secret-1"),)
            )
        conn.execute(
            'INSERT INTO session (_id, "expiresAt", token, "updatedAt", "userId") '
            "VALUES ('s2', now() + interval '1 hour', 'short', now(), %s)",
            (me,),
        )
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("UPDATE session SET \"expiresAt\" = '2100-01-01' WHERE _id = 's2'")


def test_password_changed_outside_the_app_cannot_log_in(firms) -> None:
    url = firms.user_url("viewer@alpha.gy")
    with connect(url) as conn:
        if not one(
            conn, "SELECT count(*) FROM pg_event_trigger WHERE evtname = 'gcmc_login_check'"
        ):
            pytest.skip("login event triggers need PostgreSQL 17 and a superuser migration")
        conn.execute(f"ALTER ROLE \"{url.username}\" PASSWORD 'weak'")
    with pytest.raises(psycopg.OperationalError):
        connect(url.set(password="weak"))
    # Signing in through the application sets it right again.
    auth.sign_in(firms.profile, "viewer@alpha.gy", PASSWORD).engine.dispose()
    connect(url).close()


def test_sequences_reveal_no_totals(firms) -> None:
    with staff(firms, "FirmAdmin") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT last_value FROM clients_id_seq")
        conn.execute(  # nextval (USAGE) still works for inserts
            'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
            "VALUES (%s, 'Numbered', 'company', now())",
            (firms.alpha,),
        )


def test_gateway_password_alone_reads_nothing(firms) -> None:
    url = firms.profile.gateway_url
    assert url.password == GATEWAY_PASSWORD
    with gateway(firms) as conn:
        for table in ("clients", '"user"', "account", "tenant_users", "audit_logs"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1")


def test_staff_cannot_ask_about_other_users_or_create_objects(firms, engine) -> None:
    boss = user_id(engine, "boss@beta.gy")
    with staff(firms, "FirmAdmin") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # who holds what, elsewhere
            conn.execute(
                "SELECT gcmc_user_has_permission(%s, %s, 'users', 'edit')", (boss, firms.beta)
            )
        assert one(conn, "SELECT gcmc_has_permission('clients', 'delete')") is True  # own
        for ddl in (
            "CREATE TABLE public.stash (x text)",
            "CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(ddl)
    with staff(firms, "Viewer") as conn:
        assert one(conn, "SELECT gcmc_has_permission('clients', 'delete')") is False


def test_guessing_a_login_roles_password_directly_is_slowed(firms, server_url) -> None:
    """PostgreSQL counts no failures for a wrong password sent straight to a gcmc_u_ role; the
    embedded server makes each one wait (auth_delay) so guessing is slow."""
    import os
    import time

    if os.environ.get("GCMC_TEST_DATABASE_URL"):
        pytest.skip("auth_delay is configured for the embedded server only")
    url = firms.user_url(firms.emails["Viewer"])
    with connect(server_url) as admin:
        assert one(admin, "SHOW auth_delay.milliseconds") == "500ms"
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        connect(url.set(password="Guess-Number-1"))
    assert time.monotonic() - started >= 0.45
