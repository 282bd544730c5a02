"""Service requests and their step checklist on real PostgreSQL as signed-in staff (issue 13):
creation from a template in one transaction (steps, due dates, dependencies, current step,
rollback), the request's status moves, step progression (dependencies, required documents,
the audited override, the filing a step creates, completion), the list and its filters, and
the permissions of each role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import (
    AuditLog,
    ClientBusiness,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    Service,
    ServiceRequest,
    ServiceRequestTemplate,
    ServiceStep,
    utcnow,
)
from gcmc_desktop.services import auth, service_requests, service_steps
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import (
    MissingDocuments,
    NotFoundError,
    PermissionDenied,
    ServiceError,
    ValidationError,
)

from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("FirmAdmin", "ComplianceManager", "ComplianceOfficer", "Viewer")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def world(engine: Engine, firms: Firms) -> dict:
    """Alpha's service with a 3-step template (step 2 needs a TIN certificate and waits for
    step 1; step 3 files a VAT return), a business of Alpha Client, a valid TIN document for
    nobody yet; and Beta's own service."""
    with session_factory(engine)() as s:
        tin = DocumentType(tenant_id=firms.alpha, name="TIN certificate", category="id")
        nis = DocumentType(tenant_id=firms.alpha, name="NIS card", category="id")
        vat = FilingType(
            tenant_id=firms.alpha, name="VAT return", code="VAT", authority="GRA",
            frequency="monthly", default_due_day=21,
        )  # fmt: skip
        service = Service(
            tenant_id=firms.alpha, name="Company incorporation", category="Registration"
        )
        beta_service = Service(tenant_id=firms.beta, name="Beta audit", category="Audit")
        s.add_all([tin, nis, vat, service, beta_service])
        s.flush()
        template = ServiceRequestTemplate(
            tenant_id=firms.alpha,
            service_id=service.id,
            name="Standard",
            steps_definition=[
                {"order": 1, "title": "Collect documents", "dueInDays": 3},
                {
                    "order": 2, "title": "Prepare articles", "dependsOnOrder": 1, "dueInDays": 10,
                    "requiredDocTypeIds": [tin.id],
                },
                {
                    "order": 3, "title": "File VAT", "dependsOnOrder": 2,
                    "requiredDocTypeIds": [], "filingTypeId": vat.id,
                },
            ],
        )  # fmt: skip
        bad = ServiceRequestTemplate(
            tenant_id=firms.alpha,
            service_id=service.id,
            name="Broken",
            # Readable, but an id the int[] column cannot hold: fails inside the step insert.
            steps_definition=[
                {"order": 1, "title": "Fine"},
                {"order": 2, "title": "Bad", "requiredDocTypeIds": [3_000_000_000]},
            ],
        )
        business = ClientBusiness(
            tenant_id=firms.alpha, client_id=firms.alpha_client, name="Alpha Shop"
        )
        s.add_all([template, bad, business])
        s.commit()
        return {
            "tin": tin.id, "nis": nis.id, "vat": vat.id, "service": service.id,
            "beta_service": beta_service.id, "template": template.id, "bad": bad.id,
            "business": business.id,
        }  # fmt: skip


def add_document(engine: Engine, firms: Firms, type_id: int, *, expires=None) -> int:
    with session_factory(engine)() as s:
        doc = Document(
            tenant_id=firms.alpha, client_id=firms.alpha_client, document_type_id=type_id,
            title="TIN", status="valid",
        )  # fmt: skip
        version = DocumentVersion(
            document=doc, file_url="k", storage_provider="local", is_latest=True,
            expiry_date=expires,
        )  # fmt: skip
        doc.latest_version = version
        s.add_all([doc, version])
        s.commit()
        return doc.id


def new_request(ctx: Context, firms: Firms, world: dict, **data) -> dict:
    data.setdefault("client_id", firms.alpha_client)
    data.setdefault("service_id", world["service"])
    data.setdefault("template_id", world["template"])
    return service_requests.create_request(ctx, data)


def test_create_from_template_steps_due_dates_dependencies(firms, world, engine) -> None:
    ctx = sign_in(firms, "ComplianceManager")
    before = utcnow()
    request = new_request(
        ctx, firms, world, client_business_id=world["business"], priority="high",
        assigned_to_id=ctx.user_id,
    )  # fmt: skip
    assert request["status"] == "new"
    assert request["template_id"] == world["template"]
    assert request["current_step_order"] == 1
    assert request["priority"] == "high"
    assert request["assigned_to_id"] == ctx.user_id
    assert request["allowed_statuses"] == ["cancelled", "in_progress"]
    steps = service_steps.checklist(ctx, request["id"])["steps"]
    assert [(s["order"], s["title"], s["status"]) for s in steps] == [
        (1, "Collect documents", "not_started"),
        (2, "Prepare articles", "not_started"),
        (3, "File VAT", "not_started"),
    ]
    created = request["created_at"]
    assert before - timedelta(seconds=1) <= created
    assert steps[0]["due_date"] == created + timedelta(days=3)
    assert steps[1]["due_date"] == created + timedelta(days=10)
    assert steps[2]["due_date"] is None
    assert steps[0]["depends_on"] is None
    assert steps[1]["depends_on"]["id"] == steps[0]["id"]
    assert steps[2]["depends_on"]["title"] == "Prepare articles"
    assert steps[1]["documents"] == [
        {"type_id": world["tin"], "name": "TIN certificate", "present": False, "document_id": None}
    ]
    assert steps[2]["files_filing_type_id"] == world["vat"]
    # Audit: one row per request and per step, by the staff user.
    with session_factory(engine)() as s:
        kinds = s.execute(
            select(AuditLog.entity_type, func.count())
            .where(AuditLog.actor_user_id == ctx.user_id)
            .group_by(AuditLog.entity_type)
        ).all()
    assert dict(kinds) == {"service_request": 1, "service_step": 3}
    # The business must be the client's; the template the service's; the service the firm's.
    with pytest.raises(ValidationError) as caught:
        new_request(ctx, firms, world, service_id=world["beta_service"])
    assert "service_id" in caught.value.field_errors
    with pytest.raises(ServiceError):
        new_request(ctx, firms, world, client_id=firms.beta_client)
    with session_factory(engine)() as s:
        other = ClientBusiness(tenant_id=firms.alpha, client_id=firms.alpha_client, name="x")
        s.add(other)
        s.flush()
        from gcmc_desktop.models import Client

        stranger = Client(tenant_id=firms.alpha, name="Stranger", type="individual")
        s.add(stranger)
        s.commit()
        stranger_id = stranger.id
    with pytest.raises(ValidationError) as caught:
        new_request(ctx, firms, world, client_id=stranger_id, client_business_id=world["business"])
    assert caught.value.field_errors == {
        "client_business_id": "Choose one of this client's businesses."
    }
    ctx.session.close()


def test_create_is_one_transaction_and_set_based(firms, world, engine) -> None:
    ctx = sign_in(firms, "FirmAdmin")

    def counts() -> tuple[int, int]:
        with session_factory(engine)() as s:
            return (
                s.scalar(select(func.count()).select_from(ServiceRequest)),
                s.scalar(select(func.count()).select_from(ServiceStep)),
            )

    start = counts()
    with pytest.raises(ServiceError):
        new_request(ctx, firms, world, template_id=world["bad"])
    assert counts() == start  # the request inserted before the failing steps is gone too
    # Many at once: every request with its own steps, dependencies inside its own request.
    ids = service_requests.create_requests(
        ctx, world["service"], world["template"], [{"client_id": firms.alpha_client}] * 50
    )
    assert len(ids) == 50
    assert counts() == (start[0] + 50, start[1] + 150)
    with session_factory(engine)() as s:
        deps = s.execute(
            select(ServiceStep.service_request_id, ServiceStep.depends_on_step_id).where(
                ServiceStep.service_request_id.in_(ids), ServiceStep.depends_on_step_id.is_not(None)
            )
        ).all()
        owner = dict(
            s.execute(select(ServiceStep.id, ServiceStep.service_request_id).where(
                ServiceStep.service_request_id.in_(ids)
            )).all()
        )  # fmt: skip
    assert len(deps) == 100
    assert all(owner[dep] == request for request, dep in deps)
    # A template of another service, and one with a far due date, are refused before writing.
    with pytest.raises(ValidationError):
        service_requests.create_requests(ctx, world["beta_service"], world["template"], [{}])
    ctx.session.close()


def test_request_status_transitions(firms, world) -> None:
    ctx = sign_in(firms, "ComplianceManager")
    request = new_request(ctx, firms, world, template_id=None)
    assert request["current_step_order"] is None
    rid = request["id"]
    with pytest.raises(ValidationError) as caught:
        service_requests.change_status(ctx, rid, "awaiting_client")
    assert caught.value.field_errors["status"] == (
        'A service request that is "new" can only become: cancelled, in progress.'
    )
    for status in ("in_progress", "awaiting_client", "in_progress", "awaiting_authority"):
        request = service_requests.change_status(ctx, rid, status, request["updated_at"])
        assert request["status"] == status
    request = service_requests.change_status(ctx, rid, "completed")
    with pytest.raises(ValidationError) as caught:
        service_requests.change_status(ctx, rid, "cancelled")
    assert "nothing: it is final" in caught.value.field_errors["status"]
    # With steps: completing by hand waits for them; cancelling does not.
    other = new_request(ctx, firms, world)
    service_requests.change_status(ctx, other["id"], "in_progress")
    with pytest.raises(ValidationError) as caught:
        service_requests.change_status(ctx, other["id"], "completed")
    assert "Collect documents, Prepare articles, File VAT" in caught.value.field_errors["status"]
    assert service_requests.change_status(ctx, other["id"], "cancelled")["status"] == "cancelled"
    first = service_steps.checklist(ctx, other["id"])["steps"][0]
    with pytest.raises(ValidationError) as caught:
        service_steps.start_step(ctx, first["id"])
    assert "cancelled" in caught.value.field_errors["status"]
    ctx.session.close()


def test_steps_dependencies_documents_override_filing_completion(firms, world, engine) -> None:
    ctx = sign_in(firms, "FirmAdmin")
    rid = new_request(ctx, firms, world)["id"]
    one, two, three = (s["id"] for s in service_steps.checklist(ctx, rid)["steps"])
    # Step 2 waits for step 1 (named).
    with pytest.raises(ValidationError) as caught:
        service_steps.start_step(ctx, two)
    assert caught.value.field_errors["status"] == (
        "Step 2 “Prepare articles” waits for step 1 “Collect documents”, which is not started."
    )
    # Illegal move named with the allowed ones.
    with pytest.raises(ValidationError) as caught:
        service_steps.complete_step(ctx, one)
    assert caught.value.field_errors["status"] == (
        'A step that is "not started" can only become: in progress.'
    )
    sheet = service_steps.start_step(ctx, one)
    assert sheet["status"] == "in_progress"  # the first step started moves the request
    sheet = service_steps.block_step(ctx, one)
    assert sheet["steps"][0]["status"] == "blocked"
    service_steps.start_step(ctx, one)
    sheet = service_steps.complete_step(ctx, one)
    assert sheet["current_step_order"] == 2
    service_steps.start_step(ctx, two)
    # Done needs the TIN certificate: an expired one does not count.
    add_document(engine, firms, world["tin"], expires=utcnow() - timedelta(days=1))
    with pytest.raises(MissingDocuments) as caught:
        service_steps.complete_step(ctx, two)
    assert caught.value.missing == ["TIN certificate"]
    assert "override_reason" in caught.value.field_errors
    # Overridden with a reason: recorded on the step, in its audit row with the actor.
    sheet = service_steps.complete_step(
        ctx, two, override_reason="Client's TIN 'O'Neil' verified by phone"
    )
    step_two = sheet["steps"][1]
    assert step_two["status"] == "done"
    assert (
        "Done without TIN certificate — Client's TIN 'O'Neil' verified by phone"
        in (step_two["description"])
    )
    with session_factory(engine)() as s:
        row = s.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "service_step", AuditLog.entity_id == two)
            .order_by(AuditLog.id.desc())
        ).first()
    assert row.actor_user_id == ctx.user_id
    assert row.client_id == firms.alpha_client
    assert row.changes["status"] == ["in_progress", "done"]
    assert "verified by phone" in row.changes["description"][1]
    assert sheet["current_step_order"] == 3
    # The last step files: the client's draft VAT filing, linked; the request completes.
    service_steps.start_step(ctx, three)
    sheet = service_steps.complete_step(ctx, three)
    assert sheet["status"] == "completed"
    step_three = sheet["steps"][2]
    assert step_three["filing_id"] is not None
    assert step_three["filing_label"].startswith("VAT return ")
    with session_factory(engine)() as s:
        filing = s.get(Filing, step_three["filing_id"])
        assert (filing.client_id, filing.filing_type_id, filing.status) == (
            firms.alpha_client, world["vat"], "draft",
        )  # fmt: skip
    # A valid document is present: the checklist says so and links it.
    doc = add_document(engine, firms, world["tin"])
    again = new_request(ctx, firms, world)
    docs = service_steps.checklist(ctx, again["id"])["steps"][1]["documents"]
    assert docs == [
        {"type_id": world["tin"], "name": "TIN certificate", "present": True, "document_id": doc}
    ]
    with pytest.raises(ValidationError):
        service_steps.set_step_status(ctx, one, "finished")
    with pytest.raises(NotFoundError):
        service_steps.start_step(ctx, 987654)
    ctx.session.close()


def test_roles_and_the_list(firms, world, engine) -> None:
    manager = sign_in(firms, "ComplianceManager")
    made = [
        new_request(manager, firms, world, priority="urgent", assigned_to_id=manager.user_id),
        new_request(manager, firms, world, template_id=None, priority="low"),
    ]
    service_requests.change_status(manager, made[1]["id"], "cancelled")
    viewer = sign_in(firms, "Viewer")
    query = service_requests.request_list_query(viewer)
    page = query.first_page(viewer.session, 50)
    rows = page.dicts()
    assert [r["id"] for r in rows] == [made[1]["id"], made[0]["id"]]  # newest first
    assert rows[1]["client"] == "Alpha Client"
    assert rows[1]["service"] == "Company incorporation"
    assert query.columns[query.column_index("status")].format("awaiting_client") == (
        "Awaiting client"
    )
    for key, value, expected in (
        ("status", "cancelled", [made[1]["id"]]),
        ("priority", "urgent", [made[0]["id"]]),
        ("assigned_to_id", manager.user_id, [made[0]["id"]]),
        ("open", True, [made[0]["id"]]),
        ("service_id", world["service"], [made[1]["id"], made[0]["id"]]),
    ):
        query.clear_filters()
        query.set_filter(key, value)
        assert query.first_page(viewer.session, 50).ids == expected, key
    query.clear_filters()
    for term, expected in (
        ("alpha cli", 2),
        ("incorporation", 2),
        (str(made[0]["id"]), 1),
        ("nothing like it", 0),
    ):
        query.set_search(term)
        assert len(query.first_page(viewer.session, 50).ids) >= expected, term
        assert query.count(viewer.session) >= expected
    query.set_search("nothing like it")
    assert query.count(viewer.session) == 0
    # Viewer: reads, never writes; the database refuses too.
    assert service_steps.checklist(viewer, made[0]["id"])["steps"]
    step = service_steps.checklist(viewer, made[0]["id"])["steps"][0]["id"]
    for attempt in (
        lambda: new_request(viewer, firms, world),
        lambda: service_requests.change_status(viewer, made[0]["id"], "in_progress"),
        lambda: service_steps.start_step(viewer, step),
        lambda: service_requests.delete_request(viewer, made[0]["id"]),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    # ComplianceOfficer: no services at all.
    officer = sign_in(firms, "ComplianceOfficer")
    with pytest.raises(PermissionDenied):
        service_requests.request_list_query(officer)
    with pytest.raises(PermissionDenied):
        service_steps.checklist(officer, made[0]["id"])
    # Beta's admin cannot see Alpha's request.
    beta = auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))
    with pytest.raises(NotFoundError):
        service_requests.get_request(beta, made[0]["id"])
    with pytest.raises(NotFoundError):
        service_steps.start_step(beta, step)
    # FirmAdmin deletes, with its steps counted first.
    admin = sign_in(firms, "FirmAdmin")
    assert service_requests.deletion_impact(admin, made[0]["id"]) == (
        "This also deletes its 3 steps."
    )
    service_requests.delete_request(admin, made[0]["id"])
    with session_factory(engine)() as s:
        left = s.scalar(select(func.count()).where(ServiceStep.service_request_id == made[0]["id"]))
    assert left == 0
    for c in (manager, viewer, officer, beta, admin):
        c.session.close()
