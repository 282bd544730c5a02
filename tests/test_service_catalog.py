"""The service catalog and workflow templates as signed-in staff (issue 13): prices in cents,
never negative; "still used by N service requests"; permissions per role; templates written by
the web platform open and save; another firm's document and filing types refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import FilingType, ServiceRequest, ServiceRequestTemplate
from gcmc_desktop.services import (
    auth,
    document_types,
    filing_types,
    service_catalog,
    workflow_templates,
)
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import (
    ConflictError,
    InUseError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)

from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("FirmAdmin", "ComplianceManager", "ComplianceOfficer", "Viewer")
AUDIT = {
    "name": "Audit of NGO or co-operative",
    "category": "Audit",
    "description": "Annual audit.",
    "base_price": "250,000.005",
    "estimated_days": 45,
}


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def admin_ctx(firms: Firms):
    ctx = sign_in(firms, "FirmAdmin")
    yield ctx
    auth.sign_out(ctx)


def test_catalog_create_edit_list_and_delete(engine: Engine, firms: Firms, admin_ctx) -> None:
    ctx = admin_ctx
    created = service_catalog.create_service(ctx, AUDIT)
    assert created["base_price"] == Decimal("250000.01")  # rounded half up to the cent
    assert created["active"] is True and created["estimated_days"] == 45
    assert service_catalog.get_service(ctx, created["id"]) == created
    assert service_catalog.format_price(created["base_price"]) == "G$ 250,000.01"

    # Validation: per field, the price never negative.
    for changes, field in (
        ({"base_price": "-1"}, "base_price"),
        ({"base_price": "lots"}, "base_price"),
        ({"category": "Farming"}, "category"),
        ({"name": "  "}, "name"),
        ({"estimated_days": -2}, "estimated_days"),
        ({"estimated_days": "x"}, "estimated_days"),
        ({"active": "maybe"}, "active"),
    ):
        with pytest.raises(ValidationError) as err:
            service_catalog.create_service(ctx, {**AUDIT, **changes})
        assert field in err.value.field_errors, changes
    with pytest.raises(ValidationError) as err:
        service_catalog.create_service(ctx, {**AUDIT, "base_price": -0.5})
    assert err.value.field_errors["base_price"] == "A price cannot be negative."

    updated = service_catalog.update_service(
        ctx, created["id"], {"base_price": 99.999, "active": False}, created["updated_at"]
    )
    assert updated["base_price"] == Decimal("100.00") and updated["active"] is False
    with pytest.raises(ConflictError):  # a stale edit
        service_catalog.update_service(ctx, created["id"], {"name": "X"}, created["updated_at"])
    second = service_catalog.create_service(
        ctx, {"name": "PAYE returns", "category": "Tax", "base_price": None}
    )
    assert second["base_price"] is None and second["active"] is True
    assert [s["name"] for s in service_catalog.list_services(ctx, active=True)] == ["PAYE returns"]
    assert service_catalog.service_choices(ctx)[0][0].endswith("— inactive")

    # The paged list: search over name/category, filters, sort by price.
    query = service_catalog.service_list_query(ctx)
    query.set_sort("base_price")
    rows = query.first_page(ctx.session, 10).dicts()
    assert [r["name"] for r in rows] == [AUDIT["name"], "PAYE returns"]  # no price: last
    query.set_sort("base_price", descending=True)
    assert query.first_page(ctx.session, 10).dicts()[0]["name"] == "PAYE returns"
    query.set_search("tax")
    query.set_filter("active", True)
    assert query.count(ctx.session) == 1
    query.set_filter("active", False)
    assert query.count(ctx.session) == 0
    query.set_search("")
    query.set_filter("category", "Audit")
    assert query.count(ctx.session) == 1

    # Delete: refused with the count while requests use it; its templates go with it.
    template = workflow_templates.create_template(
        ctx,
        {"name": "Standard", "steps_definition": [{"order": 1, "title": "Engagement"}]},
        service_id=created["id"],
    )
    assert template["service_id"] == created["id"]
    assert "1 workflow template" in service_catalog.delete_impact(ctx, created["id"])
    with session_factory(engine)() as admin:
        for _ in range(2):
            admin.add(
                ServiceRequest(
                    tenant_id=firms.alpha,
                    client_id=firms.alpha_client,
                    service_id=created["id"],
                    status="new",
                )
            )
        admin.commit()
    with pytest.raises(InUseError) as used:
        service_catalog.delete_service(ctx, created["id"])
    assert "Still used by 2 service requests" in used.value.message
    assert used.value.users == {"service_requests": 2}
    with pytest.raises(InUseError):
        service_catalog.delete_impact(ctx, created["id"])
    service_catalog.delete_service(ctx, second["id"])
    with pytest.raises(NotFoundError):
        service_catalog.get_service(ctx, second["id"])
    with session_factory(engine)() as admin:
        admin.execute(
            text('DELETE FROM service_requests WHERE "serviceId" = :s'), {"s": created["id"]}
        )
        admin.commit()
    service_catalog.delete_service(ctx, created["id"])
    with pytest.raises(NotFoundError):
        workflow_templates.get_template(ctx, template["id"])


def test_permissions_per_role(firms: Firms, admin_ctx) -> None:
    service = service_catalog.create_service(admin_ctx, AUDIT)
    manager = sign_in(firms, "ComplianceManager")
    officer = sign_in(firms, "ComplianceOfficer")
    viewer = sign_in(firms, "Viewer")
    try:
        # ComplianceManager: view, create, edit — not delete.
        made = service_catalog.create_service(manager, {"name": "Will", "category": "Paralegal"})
        service_catalog.update_service(manager, made["id"], {"estimated_days": 7}, None)
        with pytest.raises(PermissionDenied):
            service_catalog.delete_service(manager, made["id"])
        # ComplianceOfficer: no services at all (DOMAIN.md §1).
        for call in (
            lambda: service_catalog.list_services(officer),
            lambda: service_catalog.service_list_query(officer),
            lambda: workflow_templates.list_templates(officer),
            lambda: workflow_templates.template_list_query(officer),
        ):
            with pytest.raises(PermissionDenied):
                call()
        # Viewer: reads only.
        assert service_catalog.get_service(viewer, service["id"])["name"] == AUDIT["name"]
        assert workflow_templates.list_templates(viewer) == []
        with pytest.raises(PermissionDenied):
            service_catalog.create_service(viewer, AUDIT)
        with pytest.raises(PermissionDenied):
            service_catalog.update_service(viewer, service["id"], {"name": "X"}, None)
        with pytest.raises(PermissionDenied):
            workflow_templates.create_template(
                viewer,
                {
                    "name": "T",
                    "service_id": service["id"],
                    "steps_definition": [{"order": 1, "title": "A"}],
                },
            )
        # Another firm's admin sees none of it.
        beta = auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))
        try:
            assert service_catalog.list_services(beta) == []
            with pytest.raises(NotFoundError):
                service_catalog.get_service(beta, service["id"])
        finally:
            auth.sign_out(beta)
    finally:
        for ctx in (manager, officer, viewer):
            auth.sign_out(ctx)


def test_templates_round_trip_platform_forms_and_refuse_foreign_types(
    engine: Engine, firms: Firms, admin_ctx
) -> None:
    ctx = admin_ctx
    service = service_catalog.create_service(ctx, AUDIT)
    tin = document_types.create_document_type(ctx, {"name": "TIN", "category": "identification"})
    vat = filing_types.create_filing_type(
        ctx, {"name": "VAT", "code": "VAT", "authority": "GRA", "frequency": "monthly"}
    )
    with session_factory(engine)() as admin:
        beta_doc = admin.scalars(
            text('SELECT id FROM document_types WHERE "tenantId" = :t').bindparams(t=firms.beta)
        ).one()
        beta_filing = FilingType(
            tenant_id=firms.beta, name="VAT", code="VAT", authority="GRA", frequency="monthly"
        )
        admin.add(beta_filing)
        admin.flush()
        beta_filing_id = beta_filing.id
        # What the web platform writes: the wizard's {"steps": [...]} with no dependencies or
        # due days, a bare array, and a JSON string.
        wrapped = ServiceRequestTemplate(
            tenant_id=firms.alpha,
            service_id=service["id"],
            name="Web wizard",
            steps_definition={
                "steps": [
                    {"title": "Collect records", "order": 1, "requiredDocTypeIds": [tin["id"]]},
                    {"title": "Draft report", "order": 2, "requiredDocTypeIds": []},
                ]
            },
        )
        bare = ServiceRequestTemplate(
            tenant_id=firms.alpha,
            service_id=service["id"],
            name="Bare",
            steps_definition=[{"order": 1, "title": "Only", "description": 'It\'s "quoted"'}],
        )
        stringly = ServiceRequestTemplate(
            tenant_id=firms.alpha,
            service_id=service["id"],
            name="String",
            steps_definition=json.dumps([{"order": "1", "title": "From text"}]),
        )
        admin.add_all([wrapped, bare, stringly])
        admin.commit()
        ids = wrapped.id, bare.id, stringly.id
    wizard = workflow_templates.get_template(ctx, ids[0])
    assert wizard["service_name"] == AUDIT["name"]
    assert wizard["steps_definition"] == [
        {"order": 1, "title": "Collect records", "requiredDocTypeIds": [tin["id"]]},
        {"order": 2, "title": "Draft report", "requiredDocTypeIds": []},
    ]
    # Saved unchanged: stored as the Desktop convention's bare array.
    saved = workflow_templates.update_template(
        ctx, ids[0], {"steps_definition": wizard["steps_definition"]}, wizard["updated_at"]
    )
    assert saved["steps_definition"] == wizard["steps_definition"]
    with session_factory(engine)() as admin:
        stored = admin.get(ServiceRequestTemplate, ids[0]).steps_definition
    assert stored == wizard["steps_definition"]
    assert workflow_templates.get_template(ctx, ids[1])["steps_definition"][0]["description"] == (
        'It\'s "quoted"'
    )
    string_form = workflow_templates.get_template(ctx, ids[2])
    assert string_form["steps_definition"] == [
        {"order": 1, "title": "From text", "requiredDocTypeIds": []}
    ]
    workflow_templates.update_template(ctx, ids[2], {"name": "String (fixed)"}, None)
    assert [t["name"] for t in workflow_templates.list_templates(ctx, service["id"])] == [
        "Bare",
        "String (fixed)",
        "Web wizard",
    ]
    query = workflow_templates.template_list_query(ctx)
    query.set_search("wizard")
    assert query.count(ctx.session) == 1
    query.set_search("audit")  # the service's name
    assert query.count(ctx.session) == 3

    # Another firm's (or a missing) document type or filing type: refused, naming the step.
    good = {"order": 1, "title": "Collect", "requiredDocTypeIds": [tin["id"]]}
    for step, needle in (
        (
            {"order": 2, "title": "Borrowed", "requiredDocTypeIds": [beta_doc]},
            f'Step 2 ("Borrowed"): the required document type #{beta_doc}',
        ),
        (
            {"order": 2, "title": "File", "filingTypeId": beta_filing_id},
            f'Step 2 ("File"): filing type #{beta_filing_id}',
        ),
        ({"order": 2, "title": "Gone", "filingTypeId": 999999}, "#999999"),
    ):
        with pytest.raises(ValidationError) as err:
            workflow_templates.create_template(
                ctx,
                {"name": "Bad", "service_id": service["id"], "steps_definition": [good, step]},
            )
        assert needle in err.value.field_errors["steps_definition"]
    # Strict step rules and the service must be this firm's.
    for steps, needle in (
        ([good, {"order": 2, "title": "B", "dependsOnOrder": 3}], "earlier step"),
        ([{**good, "dependsOnOrder": 1}], "earlier step"),
        ([], "at least one step"),
        ([{"order": 1, "title": ""}], "title is required"),
        ("not steps", "list of steps"),
    ):
        with pytest.raises(ValidationError) as err:
            workflow_templates.create_template(
                ctx, {"name": "Bad", "service_id": service["id"], "steps_definition": steps}
            )
        assert needle in err.value.field_errors["steps_definition"]
    with pytest.raises(ValidationError) as err:
        workflow_templates.create_template(
            ctx, {"name": "Bad", "service_id": 999999, "steps_definition": [good]}
        )
    assert "service_id" in err.value.field_errors
    made = workflow_templates.create_template(
        ctx,
        {
            "name": "Full",
            "service_id": service["id"],
            "steps_definition": [
                good,
                {
                    "order": 2,
                    "title": "File VAT",
                    "dependsOnOrder": 1,
                    "dueInDays": 5,
                    "filingTypeId": vat["id"],
                },
            ],
        },
    )
    assert made["steps_definition"][1] == {
        "order": 2,
        "title": "File VAT",
        "requiredDocTypeIds": [],
        "dependsOnOrder": 1,
        "dueInDays": 5,
        "filingTypeId": vat["id"],
    }
    choices = workflow_templates.step_choices(ctx)
    assert choices["document_types"] == [("TIN", tin["id"])]
    assert choices["filing_types"] == [("VAT (GRA)", vat["id"])]
    workflow_templates.delete_template(ctx, made["id"])
    with pytest.raises(NotFoundError):
        workflow_templates.get_template(ctx, made["id"])
