"""Demo data: complete, consistent with the domain rules, and idempotent."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, create_engine, delete, func, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from gcmc_desktop.db import make_engine, session_factory
from gcmc_desktop.models import (
    Account,
    Base,
    Client,
    ClientTask,
    ComplianceRule,
    ComplianceRuleSet,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    Permission,
    RequirementBundle,
    Role,
    Service,
    ServiceRequest,
    ServiceRequestTemplate,
    ServiceStep,
    Task,
    Tenant,
    TenantUser,
    User,
    utcnow,
)
from gcmc_desktop.services import catalog as ref
from gcmc_desktop.services.demo.seed import (
    TWO_FIRM_USER,
    SeedSummary,
    demo_credentials,
    seed_demo,
    write_demo_files,
)
from gcmc_desktop.services.passwords import validate_password, verify_password
from gcmc_desktop.services.storage import LocalFolderStorage, object_key

# --------------------------------------------------------------------------------------------
# Reference data (no database)
# --------------------------------------------------------------------------------------------


def test_nine_roles_everywhere():
    assert len(ref.ROLE_NAMES) == 9
    assert set(ref.ROLE_PERMISSIONS) == set(ref.ROLE_NAMES)
    assert set(ref.ROLE_DESCRIPTIONS) == set(ref.ROLE_NAMES)
    assert [u["role"] for u in ref.DEMO_USERS] == list(ref.ROLE_NAMES)
    assert ref.ROLE_PERMISSIONS["SuperAdmin"] == {"*": ("*",)}
    assert ref.ROLE_PERMISSIONS["ClientPortalUser"] == {
        "client_portal": ("view", "upload", "message")
    }


def test_firm_admin_gets_the_desktop_grants():
    firm_admin = ref.ROLE_PERMISSIONS["FirmAdmin"]
    assert firm_admin["messages"] == ("*",)
    assert firm_admin["reports"] == ("*",)
    assert firm_admin["audit"] == ("view",)
    assert "assign" in firm_admin["tasks"]
    assert firm_admin["notifications"] == ("view", "send")
    assert "manage" in ref.ROLE_PERMISSIONS["Admin"]["compliance"]
    assert "settings" not in ref.ROLE_PERMISSIONS["Admin"]


def test_permission_actions_are_unique():
    for role, modules in ref.ROLE_PERMISSIONS.items():
        for module, actions in modules.items():
            assert len(set(actions)) == len(actions), (role, module)


def test_reference_names_resolve():
    doc_names = set(ref.DOCUMENT_TYPE_NAMES)
    codes = set(ref.FILING_TYPE_CODES)
    assert len(doc_names) == len(ref.DOCUMENT_TYPES)
    assert len(codes) == len(ref.FILING_TYPES)
    for t in ref.DOCUMENT_TYPES:
        assert t["category"] in ref.DOCUMENT_CATEGORIES
        assert t["authority"] in (*ref.AUTHORITIES, None)
        assert "typicalValidityMonths" in t["metadata"]
    for t in ref.FILING_TYPES:
        assert t["authority"] in ref.AUTHORITIES
        assert t["frequency"] in ref.FILING_FREQUENCIES
    for service in ref.SERVICES:
        assert service["category"] in ref.SERVICE_CATEGORIES
        steps = service["template"]["steps"]
        orders = [s["order"] for s in steps]
        assert orders == sorted(set(orders))
        for step in steps:
            assert step["requiredDocTypeIds"] == []
            assert set(step["requiredDocTypes"]) <= doc_names
            assert step.get("filingTypeCode") in (None, *codes)
            assert step["dependsOnOrder"] in (None, *[o for o in orders if o < step["order"]])
    for bundle in ref.REQUIREMENT_BUNDLES:
        for item in bundle["items"]:
            assert item.get("document") in (None, *doc_names)
            assert item.get("filing") in (None, *codes)
    assert 15 <= len(ref.SERVICES) <= 20
    assert {s["category"] for s in ref.SERVICES} == set(ref.SERVICE_CATEGORIES)
    assert {b["authority"] for b in ref.REQUIREMENT_BUNDLES} == set(ref.AUTHORITIES)


def test_demo_credentials_are_valid_passwords():
    credentials = demo_credentials(include_second_firm=True)
    assert len(credentials) == 11
    assert credentials[1] == ("FirmAdmin", "firmadmin@demo.gcmc.gy", "Demo-FirmAdmin-2024!")
    for _role, email, password in credentials:
        assert email == email.lower()
        validate_password(password)
    assert len({email for _, email, _ in credentials}) == 11
    # Issue 9 #19: the login dialog's list shows a user who can switch firms, with a password.
    label, email, password = credentials[-1]
    assert (email, password) == (TWO_FIRM_USER["email"], TWO_FIRM_USER["password"])
    assert label == "Both firms"


# --------------------------------------------------------------------------------------------
# One seeded database shared by the read-only tests of this module
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_storage(tmp_path_factory: pytest.TempPathFactory) -> LocalFolderStorage:
    return LocalFolderStorage(tmp_path_factory.mktemp("demo-files"))


@pytest.fixture(scope="module")
def seeded(
    server_url: URL, template_url: URL, demo_storage: LocalFolderStorage
) -> Iterator[tuple[Engine, SeedSummary]]:
    name = f"gcmc_test_seeded_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(
            text(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.database}" STRATEGY FILE_COPY')
        )
    engine = make_engine(server_url.set(database=name))
    with session_factory(engine)() as session:
        summary = seed_demo(session, storage=demo_storage)
    yield engine, summary
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(seeded: tuple[Engine, SeedSummary]) -> Iterator[Session]:
    with session_factory(seeded[0])() as session:
        yield session
        session.rollback()


def _demo(db: Session) -> Tenant:
    return db.scalars(select(Tenant).where(Tenant.code == "demo")).one()


def test_seed_reports_what_it_did(seeded):
    # How long it takes is measured, not asserted (shared machines are noisy): see README.
    _, summary = seeded
    assert summary.seconds > 0
    assert summary.tenants == 2
    assert summary.roles == 18
    assert summary.users == 11
    assert summary.accounts == 11
    assert "clients" in str(summary)
    assert summary.total == sum(summary.counts().values())


def test_demo_tenant(db):
    tenant = _demo(db)
    assert tenant.name == "Demo Company"
    assert tenant.settings == {
        "timezone": "America/Guyana",
        "dateFormat": "DD/MM/YYYY",
        "currency": "GYD",
    }
    assert tenant.subscriptions and tenant.subscriptions[0].plan.name == "Professional"


def test_one_user_per_role(db):
    tenant = _demo(db)
    rows = db.execute(
        select(Role.name, User.email, User.email_verified)
        .join(TenantUser, TenantUser.role_id == Role.id)
        .join(User, User.id == TenantUser.user_id)
        .where(TenantUser.tenant_id == tenant.id)
    ).all()
    rows = [r for r in rows if r.email != TWO_FIRM_USER["email"]]
    assert sorted(r.name for r in rows) == sorted(ref.ROLE_NAMES)
    assert all(r.email_verified for r in rows)
    assert {r.email for r in rows} == {u["email"] for u in ref.DEMO_USERS}
    roles = db.scalars(select(Role.name).where(Role.tenant_id == tenant.id)).all()
    assert sorted(roles) == sorted(ref.ROLE_NAMES)


def test_demo_passwords_verify(db):
    for _role, email, password in demo_credentials(include_second_firm=True):
        user = db.scalars(select(User).where(User.email == email)).one()
        account = db.scalars(
            select(Account).where(Account.user_id == user.id, Account.provider_id == "credential")
        ).one()
        assert account.account_id == user.id
        assert len(user.id) == 32 and user.id.isalnum()
        assert verify_password(password, account.password)
        assert not verify_password(password + "x", account.password)


def test_permission_rows_match_reference_exactly(db):
    roles = db.scalars(select(Role)).all()
    assert len(roles) == 18
    for role in roles:
        rows = db.execute(
            select(Permission.module, Permission.action, Permission.allowed).where(
                Permission.role_id == role.id
            )
        ).all()
        expected = {
            (module, action)
            for module, actions in ref.ROLE_PERMISSIONS[role.name].items()
            for action in actions
        }
        assert {(r.module, r.action) for r in rows} == expected, role.name
        assert len(rows) == len(expected)
        assert all(r.allowed for r in rows)


def test_all_reference_types_and_services(db):
    tenant = _demo(db)
    doc_types = db.scalars(select(DocumentType).where(DocumentType.tenant_id == tenant.id)).all()
    assert {(t.name, t.category) for t in doc_types} == {
        (t["name"], t["category"]) for t in ref.DOCUMENT_TYPES
    }
    passport = next(t for t in doc_types if t.name == "Passport")
    assert passport.meta["typicalValidityMonths"] == 120
    codes = db.scalars(select(FilingType.code).where(FilingType.tenant_id == tenant.id)).all()
    assert sorted(codes) == sorted(ref.FILING_TYPE_CODES)
    services = db.scalars(select(Service).where(Service.tenant_id == tenant.id)).all()
    assert sorted(s.name for s in services) == sorted(ref.SERVICE_NAMES)
    assert all(len(s.templates) == 1 for s in services)
    bundles = db.scalars(select(RequirementBundle).where(RequirementBundle.tenant_id == tenant.id))
    assert {b.authority for b in bundles} == set(ref.AUTHORITIES)
    rule_sets = db.scalars(
        select(ComplianceRuleSet).where(ComplianceRuleSet.tenant_id == tenant.id)
    ).all()
    assert {r.name for r in rule_sets} == {r["name"] for r in ref.RULE_SETS}
    assert db.scalar(select(func.count(ComplianceRule.id))) >= 4


def test_templates_follow_the_steps_convention(db):
    tenant = _demo(db)
    doc_ids = set(db.scalars(select(DocumentType.id).where(DocumentType.tenant_id == tenant.id)))
    filing_ids = set(db.scalars(select(FilingType.id).where(FilingType.tenant_id == tenant.id)))
    templates = db.scalars(
        select(ServiceRequestTemplate).where(ServiceRequestTemplate.tenant_id == tenant.id)
    ).all()
    resolved = 0
    for template in templates:
        steps = template.steps_definition
        assert isinstance(steps, list) and steps
        for step in steps:
            assert set(step) <= {
                "order",
                "title",
                "description",
                "requiredDocTypeIds",
                "dependsOnOrder",
                "dueInDays",
                "filingTypeId",
            }
            assert set(step["requiredDocTypeIds"]) <= doc_ids
            resolved += len(step["requiredDocTypeIds"])
            assert step.get("filingTypeId", next(iter(filing_ids))) in filing_ids
    assert resolved > 0


def test_seeded_catalog_passes_the_catalog_services_checks(db):
    """What the demo seeds is what a user could save through the catalog's services: prices,
    categories, and every template's steps (strictly, with this firm's types only)."""
    from gcmc_desktop.services.context import Context
    from gcmc_desktop.services.service_catalog import service_values, validate_service
    from gcmc_desktop.services.workflow_steps import read_steps
    from gcmc_desktop.services.workflow_templates import (
        reference_problems,
        template_values,
        validate_template,
    )

    tenant = _demo(db)
    ctx = Context(db, "", "", "", tenant.id, tenant.name, tenant.code, 0, "FirmAdmin")
    services = db.scalars(select(Service).where(Service.tenant_id == tenant.id)).all()
    assert services
    for service in services:
        values = service_values(service)
        fields = ("name", "category", "description", "base_price", "estimated_days", "active")
        cleaned = validate_service({k: values[k] for k in fields})
        assert cleaned["base_price"] == service.base_price
        for template in service.templates:
            shown = template_values(ctx, template)
            again = validate_template(
                {k: shown[k] for k in ("name", "service_id", "description", "steps_definition")}
            )
            assert again["steps_definition"] == template.steps_definition  # saves unchanged
            assert reference_problems(ctx, read_steps(template.steps_definition)) == []


def test_clients_of_every_type(db):
    tenant = _demo(db)
    counts = dict(
        db.execute(
            select(Client.type, func.count())
            .where(Client.tenant_id == tenant.id)
            .group_by(Client.type)
        ).all()
    )
    assert set(counts) == set(ref.CLIENT_TYPES)
    assert 45 <= sum(counts.values()) <= 55
    clients = db.scalars(select(Client).where(Client.tenant_id == tenant.id)).all()
    assert len({c.name for c in clients}) == len(clients)
    for client in clients:
        assert client.tin and len(client.tin) == 9 and client.tin.isdigit()
        assert client.phone.startswith("+592 6")
        assert client.risk_level in ref.RISK_LEVELS
        assert 0 <= len(client.businesses) <= 3
    assert {c.sector for c in clients} >= {"Mining", "Agriculture", "Retail", "Oil & Gas Services"}


def test_statuses_cover_every_vocabulary(db):
    tenant = _demo(db)

    def values(column, model):
        return set(db.scalars(select(column).where(model.tenant_id == tenant.id).distinct()))

    assert values(Filing.status, Filing) == set(ref.FILING_STATUSES)
    assert values(ServiceRequest.status, ServiceRequest) == set(ref.SERVICE_REQUEST_STATUSES)
    assert values(Task.status, Task) == set(ref.TASK_STATUSES)
    assert values(ClientTask.status, ClientTask) == set(ref.CLIENT_TASK_STATUSES)
    assert values(Document.status, Document) == set(ref.DOCUMENT_STATUSES)
    steps = set(db.scalars(select(ServiceStep.status).distinct()))
    assert steps == set(ref.SERVICE_STEP_STATUSES)
    labels = set(db.scalars(select(Filing.period_label).where(Filing.tenant_id == tenant.id)))
    year = utcnow().year
    assert str(year - 1) in labels
    assert any(label.startswith("Q") for label in labels)
    assert any(label.split()[0] in ("January", "February", "March", "April", "May", "June",
                                    "July", "August", "September", "October", "November",
                                    "December") for label in labels)  # fmt: skip


def test_documents_expired_expiring_and_valid(db):
    now = utcnow()
    latest = db.execute(
        select(Document.status, DocumentVersion.expiry_date).join(
            DocumentVersion, DocumentVersion.id == Document.latest_version_id
        )
    ).all()
    expired = [r for r in latest if r.expiry_date is not None and r.expiry_date < now]
    expiring = [
        r
        for r in latest
        if r.status == "valid"
        and r.expiry_date is not None
        and now <= r.expiry_date <= now + timedelta(days=30)
    ]
    assert expired and all(r.status == "expired" for r in expired)
    assert expiring
    assert any(r.expiry_date is None for r in latest)
    assert any(r.expiry_date and r.expiry_date > now + timedelta(days=90) for r in latest)


def test_latest_version_pointers_are_consistent(db):
    documents = db.scalars(select(Document)).all()
    assert documents
    for document in documents:
        latest = [v for v in document.versions if v.is_latest]
        assert len(latest) == 1, document.id
        assert document.latest_version_id == latest[0].id
        assert latest[0].storage_provider == "local"


def test_service_steps_follow_the_template(db):
    requests = db.scalars(select(ServiceRequest).where(ServiceRequest.template_id.is_not(None)))
    checked = 0
    for request in requests:
        steps = request.steps
        definition = request.template.steps_definition
        assert [s.order for s in steps] == sorted(d["order"] for d in definition)
        by_order = {s.order: s for s in steps}
        for d in definition:
            step = by_order[d["order"]]
            assert step.required_doc_type_ids == d["requiredDocTypeIds"]
            depends = d.get("dependsOnOrder")
            assert step.depends_on_step_id == (by_order[depends].id if depends else None)
            assert step.due_date == request.created_at + timedelta(days=d["dueInDays"])
            if step.status in ("in_progress", "done") and step.depends_on is not None:
                assert step.depends_on.status == "done"
        not_done = [s.order for s in steps if s.status != "done"]
        if request.status == "completed":
            assert not not_done
        else:
            assert request.current_step_order == min(not_done)
        checked += 1
    assert checked >= 10


def test_tasks_are_assigned_to_tenant_members(db):
    tenant = _demo(db)
    members = set(db.scalars(select(TenantUser.user_id).where(TenantUser.tenant_id == tenant.id)))
    tasks = db.scalars(select(Task).where(Task.tenant_id == tenant.id)).all()
    assert len(tasks) >= 20
    assert all(t.assigned_to_id in members for t in tasks)


def test_seeded_tasks_pass_the_tasks_validation(db):
    """Every demo task and client task is one the task forms would accept: known statuses and
    priorities, and links (request, filing) of the task's own client."""
    from gcmc_desktop.services.client_tasks import CLIENT_TASK_FIELDS, validate_client_task
    from gcmc_desktop.services.tasks import TASK_FIELDS, validate_task

    checked = 0
    for model, fields, validate in (
        (Task, TASK_FIELDS, validate_task),
        (ClientTask, CLIENT_TASK_FIELDS, validate_client_task),
    ):
        for row in db.scalars(select(model)):
            validate({key: getattr(row, key) for key in fields})
            if row.service_request is not None:
                assert row.service_request.client_id == row.client_id
            if getattr(row, "filing", None) is not None:
                assert row.filing.client_id == row.client_id
            checked += 1
    assert checked >= 30


def test_second_tenant_is_separate(db):
    second = db.scalars(select(Tenant).where(Tenant.code == "second-firm")).one()
    assert second.name == "Second Firm"
    clients = db.scalars(select(Client).where(Client.tenant_id == second.id)).all()
    assert len(clients) == 3
    demo_names = set(db.scalars(select(Client.name).where(Client.tenant_id == _demo(db).id)))
    assert not demo_names & {c.name for c in clients}
    membership = db.execute(
        select(User.email, Role.name, Role.tenant_id)
        .join(TenantUser, TenantUser.user_id == User.id)
        .join(Role, Role.id == TenantUser.role_id)
        .where(TenantUser.tenant_id == second.id)
    ).all()
    assert sorted(tuple(m) for m in membership) == [
        ("admin@second.gcmc.gy", "FirmAdmin", second.id),
        (TWO_FIRM_USER["email"], "FirmAdmin", second.id),  # the one user in both firms
    ]
    roles = db.scalars(select(Role.name).where(Role.tenant_id == second.id)).all()
    assert sorted(roles) == sorted(ref.ROLE_NAMES)


# --------------------------------------------------------------------------------------------
# Idempotency (fresh database per test)
# --------------------------------------------------------------------------------------------


def _snapshot(session: Session) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every row of every table."""
    result = {}
    for table in Base.metadata.sorted_tables:
        row = session.execute(
            text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{table.name}" t'
            )
        ).one()
        result[table.name] = (row[0], row[1])
    return result


def test_seeding_twice_changes_nothing(session):
    first = seed_demo(session)
    assert first.total > 1000
    before = _snapshot(session)
    session.expunge_all()
    second = seed_demo(session)
    assert second.total == 0, second
    assert "nothing inserted" in str(second)
    assert _snapshot(session) == before


def test_reseeding_inserts_only_what_is_missing(session):
    seed_demo(session)
    tenant = session.scalars(select(Tenant).where(Tenant.code == "demo")).one()
    client = session.scalars(
        select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id.desc())
    ).first()
    client_name = client.name
    # What a user may do: delete a client, change a price, revoke a permission.
    session.execute(delete(Client).where(Client.id == client.id))
    session.execute(
        update(Service).where(Service.name == "Will preparation").values(base_price=99.0)
    )
    viewer = session.scalars(
        select(Role).where(Role.tenant_id == tenant.id, Role.name == "Viewer")
    ).one()
    session.execute(
        delete(Permission).where(Permission.role_id == viewer.id, Permission.module == "tasks")
    )
    session.commit()
    session.expunge_all()

    summary = seed_demo(session)
    assert summary.clients == 1
    assert summary.permissions == 0
    assert summary.services == 0 and summary.users == 0
    assert (
        session.scalar(
            select(func.count()).where(Client.tenant_id == tenant.id, Client.name == client_name)
        )
        == 1
    )
    assert (
        session.scalar(select(Service.base_price).where(Service.name == "Will preparation")) == 99.0
    )
    assert not session.scalar(
        select(func.count()).where(Permission.role_id == viewer.id, Permission.module == "tasks")
    )


# --------------------------------------------------------------------------------------------
# Issue 9 #19: a demo user in two firms; #5: demo documents have real files
# --------------------------------------------------------------------------------------------


def test_one_demo_user_belongs_to_both_firms(db):
    rows = db.execute(
        select(Tenant.code, Role.name)
        .join(TenantUser, TenantUser.tenant_id == Tenant.id)
        .join(Role, Role.id == TenantUser.role_id)
        .join(User, User.id == TenantUser.user_id)
        .where(User.email == TWO_FIRM_USER["email"])
    ).all()
    assert dict(rows) == TWO_FIRM_USER["roles"]
    assert set(TWO_FIRM_USER["roles"]) == {"demo", "second-firm"}


def test_two_firm_user_can_sign_in_and_switch_firm(seeded):
    from gcmc_desktop.services import auth
    from gcmc_desktop.services.users import ensure_login_roles

    engine = seeded[0]
    with engine.begin() as conn:
        ensure_login_roles(conn, demo_credentials(True))
    url = engine.url
    profile = auth.ServerProfile(
        database_url=url.set(username=None, password=None), gateway_url=url
    )
    signed_in = auth.sign_in(profile, TWO_FIRM_USER["email"], TWO_FIRM_USER["password"])
    try:
        names = sorted(m.tenant_name for m in signed_in.memberships)
        assert names == ["Demo Company", "Second Firm"]
        first = next(m for m in signed_in.memberships if m.tenant_code == "demo")
        ctx = auth.open_context(signed_in, first)
        other = next(m for m in auth.memberships(ctx) if m.tenant_code == "second-firm")
        switched = auth.switch_tenant(ctx, other)
        assert (switched.tenant_name, switched.role_name) == ("Second Firm", "FirmAdmin")
        for c in (ctx, switched):
            c.session.close()
    finally:
        signed_in.engine.dispose()


def _demo_versions(db: Session) -> list[tuple[DocumentVersion, Document]]:
    return db.execute(
        select(DocumentVersion, Document)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.meta["demo"].as_boolean().is_(True))
    ).all()


def test_every_demo_version_has_a_real_pdf_under_its_content_key(db, seeded, demo_storage):
    import hashlib
    import io

    from pypdf import PdfReader

    versions = _demo_versions(db)
    assert len(versions) > 100
    assert seeded[1].files == len(versions)
    for version, document in versions:
        with demo_storage.open_read(version.file_url) as stream:
            content = stream.read()
        sha = hashlib.sha256(content).hexdigest()
        assert version.file_url == object_key(document.tenant_id, document.id, sha)
        assert version.meta["sha256"] == sha
        assert version.file_size == len(content)
        assert version.storage_provider == "local"
    # Each one is a PDF a viewer can open, one page showing the document's title.
    for version, document in versions[:5]:
        with demo_storage.open_read(version.file_url) as stream:
            reader = PdfReader(io.BytesIO(stream.read()), strict=True)
        assert len(reader.pages) == 1
        shown = " ".join(reader.pages[0].extract_text().split())
        assert " ".join(document.title.split()) in shown


def test_reseeding_restores_missing_demo_files(db, seeded, demo_storage, tmp_path):
    versions = _demo_versions(db)
    lost = versions[3][0].file_url
    demo_storage.delete(lost)
    assert not demo_storage.exists(lost)
    # A database seeded before the files existed, read by a workstation with an empty store.
    empty = LocalFolderStorage(tmp_path)
    assert write_demo_files(db, empty) == len(versions)
    assert write_demo_files(db, empty) == 0
    summary = seed_demo(db, storage=demo_storage, commit=False)
    db.rollback()
    assert summary.files == 1 and summary.total == 1
    assert demo_storage.exists(lost)


def test_cli_seed_writes_the_demo_files_to_the_chosen_folder(database_url, tmp_path, capsys):
    """`gcmc seed demo`, then the filings commands on what it made (one seed for both)."""
    from gcmc_desktop.cli import main

    raw = database_url.set(drivername="postgresql").render_as_string(hide_password=False)
    assert main(["--database-url", raw, "seed", "demo", "--folder", str(tmp_path)]) == 0
    assert "files" in capsys.readouterr().out
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            keys = session.scalars(select(DocumentVersion.file_url)).all()
    finally:
        engine.dispose()
    store = LocalFolderStorage(tmp_path)
    assert keys and all(store.exists(key) for key in keys)

    # Some demo schedules are due: the first run creates last month's drafts, the second none.
    assert main(["--database-url", raw, "filings", "generate"]) == 0
    first = capsys.readouterr().out
    created = int(first.split("Created ")[1].split(" ")[0])
    assert created > 0, first
    assert main(["--database-url", raw, "filings", "generate"]) == 0
    assert "Created 0 filing(s)" in capsys.readouterr().out

    # What falls due in the next 30 days, as CSV for a spreadsheet.
    assert (
        main(["--database-url", raw, "filings", "list", "--due-within", "30", "--format", "csv"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and set(rows[0]) >= {"Firm", "Client", "Filing type", "Due date", "Days left"}
    assert all(0 <= int(r["Days left"]) <= 30 for r in rows)
    assert [r["Due date"] for r in rows] == sorted(r["Due date"] for r in rows)
    assert {r["Status"] for r in rows} <= {"draft", "prepared", "rejected", "overdue"}
    assert main(["--database-url", raw, "filings", "list", "--overdue", "--tenant", "demo"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("FIRM") and "overdue" in table.splitlines()[-1]
    assert main(["--database-url", raw, "filings", "list", "--tenant", "nope"]) == 1
    assert 'no tenant with code "nope"' in capsys.readouterr().err


def test_seeded_rows_pass_the_services_validation(session, monkeypatch):
    """Clients are checked by the clients service's own rules before they are written: a demo
    client the app's form would refuse stops the seed, and nothing is committed."""
    from gcmc_desktop.services.demo import seed as seed_module
    from gcmc_desktop.services.errors import ValidationError

    bad = dict(seed_module._SECOND_FIRM_CLIENTS[0], type="charity")
    monkeypatch.setattr(seed_module, "_SECOND_FIRM_CLIENTS", [bad])
    with pytest.raises(ValidationError) as caught:
        seed_demo(session, files=False)
    assert set(caught.value.field_errors) == {"type"}
    session.rollback()
    assert session.scalar(select(Tenant.id).where(Tenant.code == "demo")) is None


def test_every_demo_client_is_scored_by_the_engine(db):
    """The seed's last step: the compliance engine scores every demo client (desktop form)."""
    from gcmc_desktop.models import ComplianceScore

    demo = _demo(db)
    clients = db.scalar(select(func.count()).select_from(Client).where(Client.tenant_id == demo.id))
    scores = db.scalars(select(ComplianceScore).where(ComplianceScore.tenant_id == demo.id)).all()
    assert clients and len(scores) == clients
    assert {s.level for s in scores} <= {"excellent", "good", "fair", "poor"}
    assert all((s.breakdown or {}).get("version") == 1 for s in scores)
    assert len({s.level for s in scores}) > 1  # the demo firm is not uniform
