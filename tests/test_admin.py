"""Administration on real PostgreSQL as signed-in staff (issue 15): members (list, create,
invite, change role, disable / enable, reset password) and each refusal; roles (matrix, create
from a template, rename, delete refused while used, one's own role refused — in the service and
in the database); firm settings; SuperAdmin's firms; plan limits for users, clients and storage;
raw-SQL attacks on migration 0020's functions over a staff user's own connection."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import Engine, select, text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import (
    DocumentType,
    Plan,
    Role,
    Subscription,
    Tenant,
    TenantUser,
    User,
    utcnow,
)
from gcmc_desktop.services import (
    admin_roles,
    admin_users,
    auth,
    clients,
    documents,
    firm_settings,
    plans,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import (
    ConflictError,
    InUseError,
    PermissionDenied,
    ServiceError,
    ValidationError,
)

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect

ROLES = ("FirmAdmin", "SuperAdmin", "Viewer")
NEW_PASSWORD = "Another-Horse-77"


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str, password: str = PASSWORD) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], password))


def members(ctx: Context) -> dict[str, dict]:
    with ctx.reading() as session:
        rows = admin_users.member_list_query(ctx).first_page(session, 50).dicts()
    return {row["email"]: row for row in rows}


def role_id(ctx: Context, name: str) -> int:
    found = admin_roles.role_id_by_name(ctx, name)
    assert found is not None
    return found


def test_members_create_role_disable_enable_reset(engine: Engine, firms: Firms) -> None:
    admin = sign_in(firms, "FirmAdmin")
    listed = members(admin)
    assert set(listed) == set(firms.emails.values())
    assert listed["viewer@alpha.gy"]["role"] == "Viewer"
    assert listed["viewer@alpha.gy"]["access"] == admin_users.ACTIVE
    # Every fixture user signed in through the gateway once: the last sign-in is known.
    assert listed["firmadmin@alpha.gy"]["last_sign_in"] is not None
    assert "boss@beta.gy" not in listed  # another firm's member

    created = admin_users.create_member(
        admin,
        {
            "email": " New.Clerk@Alpha.gy ",
            "name": "New Clerk",
            "role_id": role_id(admin, "FilingClerk"),
            "password": NEW_PASSWORD,
        },
    )
    assert created["email"] == "new.clerk@alpha.gy" and created["role"] == "FilingClerk"
    assert created["access"] == admin_users.ACTIVE and created["last_sign_in"] is None
    clerk = auth.open_context(auth.sign_in(firms.profile, "new.clerk@alpha.gy", NEW_PASSWORD))
    assert clerk.role_name == "FilingClerk"
    clerk.session.close()

    with pytest.raises(ValidationError) as bad:
        admin_users.create_member(
            admin, {"email": "nope", "name": "", "role_id": None, "password": "short"}
        )
    assert set(bad.value.field_errors) == {"email", "name", "role_id", "password"}
    with pytest.raises(ValidationError, match="already a member"):
        admin_users.create_member(
            admin, {"email": "viewer@alpha.gy", "name": "x", "role_id": role_id(admin, "Viewer")}
        )
    # Beta's boss is invited without a password: the membership only, their login untouched.
    invited = admin_users.create_member(
        admin, {"email": "boss@beta.gy", "name": "", "role_id": role_id(admin, "Viewer")}
    )
    assert invited["role"] == "Viewer"
    auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD).engine.dispose()

    # Change role (with the conflict check), and a name.
    changed = admin_users.update_member(
        admin, created["id"], {"role_id": role_id(admin, "DocumentOfficer")}, created["updated_at"]
    )
    assert changed["role"] == "DocumentOfficer"
    with pytest.raises(ConflictError):
        admin_users.change_role(
            admin, created["id"], role_id(admin, "Viewer"), created["updated_at"]
        )
    renamed = admin_users.update_member(admin, created["id"], {"name": "Clerk Renamed"})
    assert renamed["name"] == "Clerk Renamed"

    # Disable: no sign-in; enable: signs in again with the same password.
    disabled = admin_users.disable_member(admin, created["id"])
    assert disabled["access"] == admin_users.DISABLED
    with pytest.raises(ServiceError):
        auth.sign_in(firms.profile, "new.clerk@alpha.gy", NEW_PASSWORD)
    assert admin_users.enable_member(admin, created["id"])["access"] == admin_users.ACTIVE
    auth.sign_in(firms.profile, "new.clerk@alpha.gy", NEW_PASSWORD).engine.dispose()

    # Reset password: the new one works on the desktop (the web hash is written with it).
    with pytest.raises(ValidationError) as weak:
        admin_users.reset_password(admin, created["id"], "password")
    assert "password" in weak.value.field_errors
    admin_users.reset_password(admin, created["id"], "Third-Horse-99x")
    auth.sign_in(firms.profile, "new.clerk@alpha.gy", "Third-Horse-99x").engine.dispose()
    with session_factory(engine)() as s:
        user_id = s.scalar(select(User.id).where(User.email == "new.clerk@alpha.gy"))
        stored = s.scalar(
            text(
                'SELECT password FROM account WHERE "userId" = :u AND "providerId" = \'credential\''
            ),
            {"u": user_id},
        )
    assert len(stored) == 32 + 1 + 128

    # One's own membership: never (the service says why; the database refuses too).
    me = listed["firmadmin@alpha.gy"]["id"]
    for action in (
        lambda: admin_users.change_role(admin, me, role_id(admin, "Viewer")),
        lambda: admin_users.disable_member(admin, me),
        lambda: admin_users.reset_password(admin, me, NEW_PASSWORD),
    ):
        with pytest.raises(PermissionDenied, match=r"yourself|own password"):
            action()


def test_member_actions_refused_without_permission(engine: Engine, firms: Firms) -> None:
    viewer = sign_in(firms, "Viewer")
    admin = sign_in(firms, "FirmAdmin")
    target = members(admin)["superadmin@alpha.gy"]["id"]
    with pytest.raises(PermissionDenied):
        admin_users.member_list_query(viewer)
    with pytest.raises(PermissionDenied):
        admin_users.get_member(viewer, target)
    for action in (
        lambda: admin_users.create_member(
            viewer, {"email": "x@alpha.gy", "name": "X", "role_id": 1, "password": NEW_PASSWORD}
        ),
        lambda: admin_users.change_role(viewer, target, role_id(admin, "Viewer")),
        lambda: admin_users.disable_member(viewer, target),
        lambda: admin_users.enable_member(viewer, target),
        lambda: admin_users.reset_password(viewer, target, NEW_PASSWORD),
    ):
        with pytest.raises(PermissionDenied):
            action()
    # A FirmAdmin cannot touch a SuperAdmin (a role beyond their own): the database refuses.
    for action in (
        lambda: admin_users.change_role(admin, target, role_id(admin, "Viewer")),
        lambda: admin_users.disable_member(admin, target),
        lambda: admin_users.reset_password(admin, target, NEW_PASSWORD),
    ):
        with pytest.raises(PermissionDenied):
            action()
    # Nor give anyone the SuperAdmin role.
    viewer_member = members(admin)["viewer@alpha.gy"]["id"]
    with pytest.raises(PermissionDenied):
        admin_users.change_role(admin, viewer_member, role_id(admin, "SuperAdmin"))
    # Another firm's member id is not found.
    with session_factory(engine)() as s:
        beta_member = s.scalar(select(TenantUser.id).where(TenantUser.tenant_id == firms.beta))
    with pytest.raises(ServiceError, match="no longer in this firm"):
        admin_users.disable_member(admin, beta_member)


def test_roles_matrix_templates_rename_delete(engine: Engine, firms: Firms) -> None:
    admin = sign_in(firms, "FirmAdmin")
    superadmin = sign_in(firms, "SuperAdmin")
    viewer = sign_in(firms, "Viewer")

    intern = admin_roles.create_role(admin, "Intern", template="Viewer")
    assert intern.grants == admin_roles.template_grants("Viewer") and not intern.from_template
    assert intern.description and not intern.locked
    matrix = admin_roles.save_matrix(
        admin, intern.id, [("clients", "view"), ("clients", "edit"), ("documents", "view")]
    )
    assert matrix.grants == {("clients", "view"), ("clients", "edit"), ("documents", "view")}
    assert admin_roles.role_matrix(admin, intern.id).grants == matrix.grants
    with pytest.raises(ValidationError, match="Unknown permissions: bogus:view"):
        admin_roles.save_matrix(admin, intern.id, [("bogus", "view")])
    # Beyond the editor's own rights: the database refuses (a FirmAdmin may give any named
    # permission, never the "everything" of SuperAdmin).
    with pytest.raises(PermissionDenied):
        admin_roles.save_matrix(admin, intern.id, [("*", "*")])
    copy = admin_roles.create_role(admin, "Intern 2", copy_of=intern.id)
    assert copy.grants == matrix.grants
    with pytest.raises(ValidationError):
        admin_roles.create_role(admin, "  ")
    with pytest.raises(ServiceError, match="already exists"):
        admin_roles.create_role(admin, "Intern")

    renamed = admin_roles.rename_role(admin, intern.id, "Trainee", "Learns", intern.updated_at)
    assert renamed.name == "Trainee" and renamed.description == "Learns"
    with pytest.raises(ConflictError):
        admin_roles.rename_role(admin, intern.id, "Again", None, intern.updated_at)

    # The own role: locked in the matrix, refused by the service and by the database.
    own = admin_roles.role_matrix(admin, admin.role_id)
    assert "your own role" in own.locked
    with pytest.raises(PermissionDenied, match="your own role"):
        admin_roles.save_matrix(admin, admin.role_id, own.grants - {("users", "edit")})
    with pytest.raises(PermissionDenied, match="your own role"):
        admin_roles.rename_role(admin, admin.role_id, "Boss")
    with pytest.raises(PermissionDenied, match="your own role"):
        admin_roles.delete_role(superadmin, superadmin.role_id)
    conn = connect(firms.user_url(firms.emails["FirmAdmin"]))
    conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="own role"):
        conn.execute(
            "DELETE FROM permissions WHERE \"roleId\" = %s AND module = 'users'", (admin.role_id,)
        )
    conn.close()

    # Delete: settings:delete (SuperAdmin), refused while members hold the role.
    with pytest.raises(PermissionDenied):
        admin_roles.delete_role(admin, copy.id)
    with pytest.raises(InUseError, match="1 member still holds it"):
        admin_roles.delete_role(superadmin, role_id(superadmin, "Viewer"))
    admin_roles.delete_role(superadmin, copy.id)
    assert admin_roles.role_id_by_name(superadmin, "Intern 2") is None

    # A Viewer sees nothing of roles and changes nothing.
    for action in (
        lambda: admin_roles.list_roles(viewer),
        lambda: admin_roles.role_matrix(viewer, intern.id),
        lambda: admin_roles.save_matrix(viewer, intern.id, []),
        lambda: admin_roles.create_role(viewer, "Sneaky", template="SuperAdmin"),
        lambda: admin_roles.rename_role(viewer, intern.id, "Sneaky"),
        lambda: admin_roles.delete_role(viewer, intern.id),
    ):
        with pytest.raises(PermissionDenied):
            action()


def test_firm_settings_and_superadmin_firms(engine: Engine, firms: Firms) -> None:
    admin = sign_in(firms, "FirmAdmin")
    firm = firm_settings.get_firm(admin)
    assert firm["timezone"] == "America/Guyana" and firm["date_format"] == "DD/MM/YYYY"
    saved = firm_settings.update_firm(
        admin,
        None,
        {
            "name": "Alpha Tax & Co",
            "email": "office@alpha.gy",
            "phone": "+592 225 0000",
            "address": "1 Main St, Georgetown",
            "timezone": "America/Port_of_Spain",
            "date_format": "YYYY-MM-DD",
            "storage_kind": "s3",
            "storage_bucket": "alpha-docs",
        },
        firm["updated_at"],
    )
    assert saved["name"] == "Alpha Tax & Co" and saved["storage_kind"] == "s3"
    with session_factory(engine)() as s:
        tenant = s.get(Tenant, firms.alpha)
        assert tenant.contact_info["email"] == "office@alpha.gy"
        assert tenant.settings["timezone"] == "America/Port_of_Spain"
        assert tenant.settings["dateFormat"] == "YYYY-MM-DD"
        assert tenant.settings["defaultStorage"] == {"kind": "s3", "bucket": "alpha-docs"}
    with pytest.raises(ConflictError):
        firm_settings.update_firm(admin, None, {"phone": "1"}, firm["updated_at"])
    with pytest.raises(ValidationError) as bad:
        firm_settings.update_firm(
            admin,
            None,
            {"name": " ", "email": "x", "timezone": "Mars/Base", "date_format": "??"},
            None,
        )
    assert set(bad.value.field_errors) == {"name", "email", "timezone", "date_format"}

    viewer = sign_in(firms, "Viewer")
    with pytest.raises(PermissionDenied):
        firm_settings.get_firm(viewer)
    with pytest.raises(PermissionDenied):
        firm_settings.update_firm(viewer, None, {"name": "Mine"}, None)
    for ctx in (admin, viewer):
        with pytest.raises(PermissionDenied, match="only a SuperAdmin"):
            firm_settings.list_firms(ctx)
        with pytest.raises(PermissionDenied, match="only a SuperAdmin"):
            firm_settings.create_firm(ctx, {"name": "Gamma", "code": "gamma"})

    superadmin = sign_in(firms, "SuperAdmin")
    codes = {f.code for f in firm_settings.list_firms(superadmin)}
    assert {"alpha", "beta"} <= codes  # every firm, Beta included
    created = firm_settings.create_firm(superadmin, {"name": "Gamma Books", "code": "gamma"})
    with session_factory(engine)() as s:
        names = set(s.scalars(select(Role.name).where(Role.tenant_id == created["id"])))
        assert {"SuperAdmin", "FirmAdmin", "Viewer"} <= names and len(names) == 9
        member = s.execute(
            select(User.email, Role.name)
            .join(TenantUser, TenantUser.user_id == User.id)
            .join(Role, Role.id == TenantUser.role_id)
            .where(TenantUser.tenant_id == created["id"])
        ).all()
        assert member == [("superadmin@alpha.gy", "SuperAdmin")]
        assert s.get(Tenant, created["id"]).settings["timezone"] == "America/Guyana"
    assert {"gamma"} <= {f.code for f in firm_settings.list_firms(superadmin)}
    with pytest.raises(ValidationError, match="already exists"):
        firm_settings.create_firm(superadmin, {"name": "Again", "code": "gamma"})
    with pytest.raises(ValidationError) as bad:
        firm_settings.create_firm(superadmin, {"name": "", "code": "Bad Code"})
    assert set(bad.value.field_errors) == {"name", "code"}
    # The creator can work in the new firm at once: e.g. invite its first FirmAdmin there.
    signed = auth.sign_in(firms.profile, firms.emails["SuperAdmin"], PASSWORD)
    gamma = next(m for m in signed.memberships if m.tenant_code == "gamma")
    gamma_ctx = auth.open_context(signed, gamma)
    first = admin_users.create_member(
        gamma_ctx,
        {
            "email": "boss@gamma.gy",
            "name": "Gamma Boss",
            "role_id": role_id(gamma_ctx, "FirmAdmin"),
            "password": NEW_PASSWORD,
        },
    )
    assert first["role"] == "FirmAdmin"


def _subscribe(engine: Engine, tenant: int, limits: dict) -> int:
    with session_factory(engine)() as s:
        plan = Plan(name="Starter", description="Small firms", monthly_price=5000, limits=limits)
        s.add(plan)
        s.flush()
        s.add(
            Subscription(
                tenant_id=tenant,
                plan_id=plan.id,
                status="active",
                start_date=utcnow() - timedelta(days=1),
            )
        )
        s.add(DocumentType(tenant_id=tenant, name="TIN certificate", category="identification"))
        s.commit()
        return plan.id


def test_plan_limits_and_subscription(engine: Engine, firms: Firms) -> None:
    admin = sign_in(firms, "FirmAdmin")
    summary = plans.plan_summary(admin)
    assert summary.plan_name is None and summary.limits == dict.fromkeys(plans.LIMIT_KINDS)
    assert summary.usage.users == 3 and summary.usage.clients == 1

    starter = _subscribe(engine, firms.alpha, {"users": 4, "clients": 1, "storageMb": 1})
    summary = plans.plan_summary(admin)
    assert summary.plan_name == "Starter" and summary.status == "active"
    assert summary.limits == {"users": 4, "clients": 1, "storage": plans.MIB}

    # Users: one more fits, the next is refused with a clear message, nothing written.
    viewer_role = role_id(admin, "Viewer")
    admin_users.create_member(
        admin,
        {
            "email": "four@alpha.gy",
            "name": "Four",
            "role_id": viewer_role,
            "password": NEW_PASSWORD,
        },
    )
    with pytest.raises(plans.PlanLimitReached) as full:
        admin_users.create_member(
            admin,
            {
                "email": "five@alpha.gy",
                "name": "Five",
                "role_id": viewer_role,
                "password": NEW_PASSWORD,
            },
        )
    assert full.value.message.startswith("The firm's plan allows 4 users and the firm has 4")
    assert "Admin → Plan" in full.value.message
    with session_factory(engine)() as s:
        assert s.scalar(select(User.id).where(User.email == "five@alpha.gy")) is None

    # Clients: the firm has one, the plan allows one.
    with pytest.raises(plans.PlanLimitReached, match="allows 1 clients"):
        clients.create_client(admin, {"name": "Second", "type": "company"})

    # Storage: a 2 MB file does not fit into 1 MB.
    with session_factory(engine)() as s:
        doc_type = s.scalar(select(DocumentType.id).where(DocumentType.tenant_id == firms.alpha))
    version = documents.VersionInput(
        file_url="k/1", storage_provider="local", file_size=2 * plans.MIB, sha256="a" * 64
    )
    with pytest.raises(plans.PlanLimitReached, match=r"allows 1\.0 MB of documents"):
        documents.create_document(
            admin,
            client_id=firms.alpha_client,
            document_type_id=doc_type,
            title="Big scan",
            first_version=version,
        )
    small = documents.VersionInput(
        file_url="k/2", storage_provider="local", file_size=1000, sha256="b" * 64
    )
    documents.create_document(
        admin,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="Small scan",
        first_version=small,
    )
    assert plans.plan_summary(admin).usage.storage_bytes == 1000

    # Only SuperAdmin changes the subscription; the database agrees.
    with pytest.raises(PermissionDenied, match="only a SuperAdmin"):
        plans.change_subscription(admin, starter)
    conn = connect(firms.user_url(firms.emails["FirmAdmin"]))
    conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
    assert conn.execute("UPDATE subscriptions SET status = 'active'").rowcount == 0
    conn.close()
    superadmin = sign_in(firms, "SuperAdmin")
    with session_factory(engine)() as s:
        pro = Plan(name="Professional", limits={"users": 50, "clients": 5000, "storageGb": 10})
        s.add(pro)
        s.commit()
        pro_id = pro.id
    assert [name for name, _ in plans.plan_choices(superadmin)] == ["Professional", "Starter"]
    with pytest.raises(ValidationError):
        plans.change_subscription(superadmin, pro_id, status="whatever")
    changed = plans.change_subscription(superadmin, pro_id)
    assert changed.plan_name == "Professional" and changed.limits["clients"] == 5000
    assert changed.limits["storage"] == 10 * 1024 * plans.MIB
    clients.create_client(admin, {"name": "Second", "type": "company"})  # now it fits
    with session_factory(engine)() as s:
        history = s.scalars(
            select(Subscription.status).where(Subscription.tenant_id == firms.alpha)
        ).all()
    assert sorted(history) == ["active", "ended"]


def test_limits_read_tolerantly() -> None:
    assert plans.parse_limits(None) == dict.fromkeys(plans.LIMIT_KINDS)
    assert plans.parse_limits({"users": "5", "clients": -1, "storageMb": "x"}) == {
        "users": 5,
        "clients": None,
        "storage": None,
    }
    assert plans.parse_limits([1, 2]) == dict.fromkeys(plans.LIMIT_KINDS)


def test_new_functions_attacked_as_staff(engine: Engine, firms: Firms) -> None:
    """Migration 0020's functions over the staff users' own connections, with NULL, empty,
    quoted and other firms' values."""
    with session_factory(engine)() as s:
        beta_boss = s.scalar(select(User.id).where(User.email == "boss@beta.gy"))
        viewer_id = s.scalar(select(User.id).where(User.email == "viewer@alpha.gy"))
        admin_id = s.scalar(select(User.id).where(User.email == "firmadmin@alpha.gy"))
    admin = connect(firms.user_url(firms.emails["FirmAdmin"]))
    viewer = connect(firms.user_url(firms.emails["Viewer"]))
    superadmin = connect(firms.user_url(firms.emails["SuperAdmin"]))
    for conn in (admin, viewer, superadmin):
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))

    def one(conn, sql, *args):
        return conn.execute(sql, args).fetchone()[0]

    # Last sign-in: only members of the chosen firm, only with users:view.
    assert one(admin, "SELECT desktop_member_last_sign_in(%s)", viewer_id) is not None
    for value in (None, "", beta_boss, "'; DROP TABLE tenants; --"):
        assert one(admin, "SELECT desktop_member_last_sign_in(%s)", value) is None
    assert one(viewer, "SELECT desktop_member_last_sign_in(%s)", admin_id) is None

    # Enable: never oneself, never without users:edit, never another firm's user.
    for conn, value in (
        (admin, None),
        (admin, ""),
        (admin, admin_id),
        (admin, beta_boss),
        (admin, "x' OR '1'='1"),
        (viewer, admin_id),
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT gcmc_enable_user(%s)", (value,))

    # Plan usage: only the chosen firm.
    assert one(admin, "SELECT desktop_plan_usage(%s, 'users')", firms.alpha) == 3
    for value in (None, firms.beta, -1):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("SELECT desktop_plan_usage(%s, 'users')", (value,))
    for kind in (None, "", "users'; --"):
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            admin.execute("SELECT desktop_plan_usage(%s, %s)", (firms.alpha, kind))

    # Firms: SuperAdmin only; bad input refused cleanly.
    for conn in (admin, viewer):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM desktop_tenants()")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT desktop_create_tenant('Evil', 'evil')")
    assert one(superadmin, "SELECT count(*) FROM desktop_tenants()") >= 2
    for name, code in ((None, "ok"), ("", "ok"), ("Ok", None), ("Ok", ""), ("Ok", "x'; --")):
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            superadmin.execute("SELECT desktop_create_tenant(%s, %s)", (name, code))
    with pytest.raises(psycopg.errors.UniqueViolation):
        superadmin.execute("SELECT desktop_create_tenant('Beta again', 'beta')")

    # The bootstrap marker cannot be forged: the guards still refuse one's own membership.
    for conn in (admin, superadmin):
        conn.execute("SELECT set_config('gcmc.bootstrap', 'guess', false)")
        assert one(conn, "SELECT desktop__bootstrapping()") is False
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                'UPDATE tenant_users SET "roleId" = "roleId" '
                'WHERE "userId" = gcmc_current_user_id()'
            )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        admin.execute("SELECT value FROM desktop_secrets")
    for conn in (admin, viewer, superadmin):
        conn.close()


def test_plan_cli(database_url, engine, capsys) -> None:
    from gcmc_desktop.cli import main

    from .test_cli_db import platform_form

    def run(*args: str) -> int:
        return main(["--database-url", platform_form(database_url), *args])

    with session_factory(engine)() as s:
        from gcmc_desktop.services.tenancy import create_tenant

        create_tenant(s, "Acme Tax", "acme")
        s.commit()
    assert run("plan", "create", "--name", "Starter", "--users", "5", "--storage-mb", "2048") == 0
    assert "users 5, storage 2.0 GB" in capsys.readouterr().out
    assert run("plan", "list") == 0
    assert "Starter" in capsys.readouterr().out
    assert run("plan", "assign", "--tenant", "acme", "--plan", "Starter") == 0
    assert 'acme is on the plan "Starter"' in capsys.readouterr().out
    assert run("plan", "assign", "--tenant", "acme", "--plan", "Nope") == 1
    assert "no plan named" in capsys.readouterr().err
    with session_factory(engine)() as s:
        tenant = s.scalar(select(Tenant.id).where(Tenant.code == "acme"))
        assert plans.current_subscription(s, tenant).status == "active"
