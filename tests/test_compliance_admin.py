"""Compliance rule sets, rules and requirement bundles as signed-in staff (issue 14, part 2):
every rule kind with its target and condition, applies-to vocabularies, weights; another firm's
ids refused; bundle items exactly one of a document or filing type, numbered 1..n through add,
move and delete; permissions per role (create and delete are `compliance:edit`)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, select, text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import (
    ComplianceRuleSet,
    DocumentType,
    FilingType,
    RequirementBundle,
)
from gcmc_desktop.services import auth, compliance_rules, requirement_bundles
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import ConflictError, PermissionDenied, ValidationError

from .security_fixtures import PASSWORD, Firms, build_firms, raw

ROLES = ("FirmAdmin", "ComplianceManager", "ComplianceOfficer", "Viewer")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def _types(engine: Engine, firms: Firms) -> dict[str, int]:
    """Alpha's document and filing types, and Beta's document type and a Beta filing type."""
    with session_factory(engine)() as session:
        vat = DocumentType(tenant_id=firms.alpha, name="VAT certificate", category="tax")
        tin = DocumentType(tenant_id=firms.alpha, name="TIN certificate", category="tax")
        paye = FilingType(
            tenant_id=firms.alpha,
            name="PAYE monthly",
            code="PAYE",
            authority="GRA",
            frequency="monthly",
        )
        theirs = FilingType(
            tenant_id=firms.beta, name="Beta VAT", code="VAT", authority="GRA", frequency="monthly"
        )
        session.add_all([vat, tin, paye, theirs])
        session.commit()
        beta_doc = session.scalar(
            select(DocumentType.id).where(DocumentType.tenant_id == firms.beta)
        )
        return {
            "vat": vat.id,
            "tin": tin.id,
            "paye": paye.id,
            "beta_filing": theirs.id,
            "beta_doc": beta_doc,
        }


def test_rule_sets_and_every_rule_kind(engine: Engine, firms: Firms) -> None:
    ids = _types(engine, firms)
    ctx = sign_in(firms, "ComplianceManager")  # ve: creates and deletes with edit
    created = compliance_rules.create_rule_set(
        ctx,
        {
            "name": "  Companies in mining ",
            "applies_to": {"clientTypes": ["partnership", "company", "company"], "sectors": []},
        },
    )
    assert created["name"] == "Companies in mining" and created["active"] is True
    # Vocabulary order, no repeats, an empty list = all (key dropped).
    assert created["applies_to"] == {"clientTypes": ["company", "partnership"]}
    assert compliance_rules.applies_to_text(created["applies_to"]) == "Company, Partnership"
    assert compliance_rules.applies_to_text(None) == "All clients"
    # The platform's rows read tolerantly: a string, other case, a lone value, unknown keys.
    read = compliance_rules.read_applies_to
    assert read('{"clientTypes": "Company", "regions": ["x"]}') == {"clientTypes": ["company"]}
    assert read({"client_types": ["PARTNERSHIP", "trust"], "sectors": ["mining"]}) == {
        "clientTypes": ["partnership"],
        "sectors": ["Mining"],
    }
    assert read({}) is None and read("not json") is None and read([1]) is None
    for bad, field in (
        ({"name": ""}, "name"),
        ({"applies_to": {"clientTypes": ["trust"]}}, "applies_to"),
        ({"applies_to": {"sectors": "Mining"}}, "applies_to"),
        ({"applies_to": {"regions": ["Berbice"]}}, "applies_to"),
        ({"applies_to": "all"}, "applies_to"),
        ({"active": "maybe"}, "active"),
    ):
        with pytest.raises(ValidationError) as err:
            compliance_rules.create_rule_set(ctx, {"name": "X", **bad})
        assert field in err.value.field_errors, bad
    set_id = created["id"]
    updated = compliance_rules.update_rule_set(
        ctx,
        set_id,
        {"applies_to": {"sectors": ["Mining", "Retail"]}, "active": False},
        created["updated_at"],
    )
    assert updated["applies_to"] == {"sectors": ["Mining", "Retail"]} and not updated["active"]
    with pytest.raises(ConflictError):
        compliance_rules.update_rule_set(ctx, set_id, {"name": "Y"}, created["updated_at"])

    # Every rule kind: its target kind, its condition.
    scope = {"rule_set_id": set_id}
    required_doc = compliance_rules.create_rule(
        ctx,
        {"rule_type": "document_required", "target_id": ids["vat"], "weight": "10"},
        **scope,
    )
    assert required_doc["weight"] == 10.0 and required_doc["condition"] is None
    required_filing = compliance_rules.create_rule(
        ctx, {"rule_type": "filing_required", "target_id": ids["paye"], "weight": 5}, **scope
    )
    assert required_filing["target_id"] == ids["paye"]
    expiring = compliance_rules.create_rule(
        ctx,
        {"rule_type": "document_expiring", "target_id": "", "within_days": "45", "weight": 2.5},
        **scope,
    )
    assert expiring["condition"] == {"withinDays": 45} and expiring["within_days"] == 45
    assert expiring["target_id"] is None  # any document type
    overdue = compliance_rules.create_rule(
        ctx, {"rule_type": "filing_overdue", "weight": 15, "within_days": 9}, **scope
    )
    assert overdue["condition"] is None and overdue["within_days"] is None
    default_days = compliance_rules.create_rule(
        ctx, {"rule_type": "document_expiring", "weight": 1}, **scope
    )
    assert default_days["condition"] == {"withinDays": 30}

    for bad, field in (
        ({"rule_type": "document_missing"}, "rule_type"),
        ({"weight": 0}, "weight"),
        ({"weight": -3}, "weight"),
        ({"weight": "ten"}, "weight"),
        ({"weight": 101}, "weight"),
        ({"within_days": 0, "rule_type": "document_expiring"}, "within_days"),
        ({"target_id": None}, "target_id"),  # a required document needs its type
        ({"target_id": ids["paye"]}, "target_id"),  # a filing type for a document rule
        ({"target_id": ids["beta_doc"]}, "target_id"),  # another firm's document type
        ({"rule_set_id": 999_999}, "rule_set_id"),
    ):
        data = {"rule_type": "document_required", "target_id": ids["tin"], "weight": 5, **bad}
        with pytest.raises(ValidationError) as err:
            compliance_rules.create_rule(ctx, data, **scope)
        assert field in err.value.field_errors, bad
    with pytest.raises(ValidationError) as err:
        compliance_rules.create_rule(
            ctx,
            {"rule_type": "filing_required", "target_id": ids["beta_filing"], "weight": 5},
            **scope,
        )
    assert err.value.field_errors["target_id"] == "Choose one of this firm's filing types."

    # Changing the type re-checks the target; the expiring window changes alone.
    with pytest.raises(ValidationError) as err:
        compliance_rules.update_rule(
            ctx, required_doc["id"], {"rule_type": "filing_required"}, None
        )
    assert "target_id" in err.value.field_errors
    changed = compliance_rules.update_rule(ctx, expiring["id"], {"within_days": 60}, None)
    assert changed["condition"] == {"withinDays": 60}
    moved = compliance_rules.update_rule(
        ctx, expiring["id"], {"rule_type": "filing_overdue", "target_id": ids["paye"]}, None
    )
    assert moved["condition"] is None and moved["within_days"] is None

    # The lists: labels, targets by name, counts.
    query = compliance_rules.rule_list_query(ctx, set_id)
    rows = query.first_page(ctx.session, 50).dicts()
    assert len(rows) == 5
    texts = {(r["rule_type"], r["target"]) for r in rows}
    assert ("document_required", "VAT certificate") in texts
    assert ("filing_required", "PAYE monthly") in texts
    assert ("filing_overdue", "Any") in texts
    assert compliance_rules.rule_type_label("filing_overdue") == "Filing overdue"
    assert compliance_rules.rule_type_label("bonus_points") == "Bonus points"
    with session_factory(engine)() as session:  # a target deleted behind the rule's back
        session.execute(
            text('UPDATE compliance_rules SET "targetId" = 999999 WHERE id = :i'),
            {"i": required_filing["id"]},
        )
        session.commit()
    rows = compliance_rules.rule_list_query(ctx, set_id).first_page(ctx.session, 50).dicts()
    assert ("filing_required", "(type deleted)") in {(r["rule_type"], r["target"]) for r in rows}
    sets = compliance_rules.rule_set_list_query(ctx).first_page(ctx.session, 10).dicts()
    assert [(s["name"], s["rules"]) for s in sets] == [("Companies in mining", 5)]
    assert compliance_rules.target_choices(ctx, {"rule_type": "filing_overdue"}) == [
        ("PAYE monthly (GRA)", ids["paye"])
    ]
    assert [
        n for n, _ in compliance_rules.target_choices(ctx, {"rule_type": "document_required"})
    ] == [
        "TIN certificate",
        "VAT certificate",
    ]

    assert compliance_rules.delete_impact(ctx, set_id) == "Its 5 rules will be deleted with it."
    compliance_rules.delete_rule(ctx, default_days["id"])
    compliance_rules.delete_rule_set(ctx, set_id)
    assert compliance_rules.list_rule_sets(ctx) == []
    auth.sign_out(ctx)


def test_bundles_items_order_and_permissions(engine: Engine, firms: Firms) -> None:
    ids = _types(engine, firms)
    ctx = sign_in(firms, "FirmAdmin")
    bundle = requirement_bundles.create_bundle(
        ctx, {"name": "GRA tax compliance", "authority": "GRA", "category": "tax"}
    )
    for bad, field in (
        ({"authority": "IRS"}, "authority"),
        ({"authority": None}, "authority"),
        ({"category": " "}, "category"),
        ({"name": ""}, "name"),
    ):
        with pytest.raises(ValidationError) as err:
            requirement_bundles.create_bundle(
                ctx, {"name": "B", "authority": "NIS", "category": "tax", **bad}
            )
        assert field in err.value.field_errors, bad

    scope = {"bundle_id": bundle["id"]}
    tin = requirement_bundles.create_item(ctx, {"requirement": f"document:{ids['tin']}"}, **scope)
    vat = requirement_bundles.create_item(
        ctx, {"document_type_id": ids["vat"], "required": False}, **scope
    )
    paye = requirement_bundles.create_item(
        ctx, {"requirement": f"filing:{ids['paye']}", "description": "Monthly"}, **scope
    )
    assert (tin["order"], vat["order"], paye["order"]) == (1, 2, 3)
    assert tin["required"] is True and vat["required"] is False
    assert paye["requirement"] == f"filing:{ids['paye']}" and paye["document_type_id"] is None
    for bad in (
        {"document_type_id": ids["tin"], "filing_type_id": ids["paye"]},  # both
        {},  # neither
        {"requirement": "client:3"},
        {"requirement": f"document:{ids['beta_doc']}"},  # another firm's
        {"filing_type_id": ids["beta_filing"]},
        {"requirement": f"document:{ids['tin']}", "bundle_id": 999_999},
    ):
        with pytest.raises(ValidationError) as err:
            requirement_bundles.create_item(ctx, bad, **scope)
        assert set(err.value.field_errors) & {"requirement", "bundle_id"}, bad

    def order() -> list[int]:
        return [i["id"] for i in requirement_bundles.list_items(ctx, bundle["id"])]

    requirement_bundles.move_item(ctx, paye["id"], -1)
    assert order() == [tin["id"], paye["id"], vat["id"]]
    requirement_bundles.move_item(ctx, paye["id"], -5)  # clamped to the top
    assert order() == [paye["id"], tin["id"], vat["id"]]
    requirement_bundles.move_item(ctx, paye["id"], 1)
    requirement_bundles.delete_item(ctx, paye["id"])
    items = requirement_bundles.list_items(ctx, bundle["id"])
    assert [(i["id"], i["order"]) for i in items] == [(tin["id"], 1), (vat["id"], 2)]
    switched = requirement_bundles.update_item(
        ctx, vat["id"], {"requirement": f"filing:{ids['paye']}", "order": 9}, None
    )
    assert switched["document_type_id"] is None and switched["filing_type_id"] == ids["paye"]
    assert switched["order"] == 2  # order changes by moving only
    rows = requirement_bundles.item_list_query(ctx, bundle["id"]).first_page(ctx.session, 9)
    assert [(r["order"], r["kind"], r["name"]) for r in rows.dicts()] == [
        (1, "Document", "TIN certificate"),
        (2, "Filing", "PAYE monthly"),
    ]
    labels = [label for label, _ in requirement_bundles.requirement_choices(ctx)]
    assert labels == [
        "Document — TIN certificate",
        "Document — VAT certificate",
        "Filing — PAYE monthly (GRA)",
    ]
    listed = requirement_bundles.bundle_list_query(ctx).first_page(ctx.session, 9).dicts()
    assert [(b["name"], b["items"]) for b in listed] == [("GRA tax compliance", 2)]
    rule_set = compliance_rules.create_rule_set(ctx, {"name": "Default"})
    auth.sign_out(ctx)

    # Viewer reads; ComplianceOfficer has no compliance permissions at all.
    viewer = sign_in(firms, "Viewer")
    assert [b["name"] for b in requirement_bundles.list_bundles(viewer)] == ["GRA tax compliance"]
    assert compliance_rules.get_rule_set(viewer, rule_set["id"])["name"] == "Default"
    for attempt in (
        lambda c: requirement_bundles.create_bundle(
            c, {"name": "N", "authority": "NIS", "category": "tax"}
        ),
        lambda c: requirement_bundles.move_item(c, tin["id"], 1),
        lambda c: requirement_bundles.delete_item(c, tin["id"]),
        lambda c: requirement_bundles.delete_bundle(c, bundle["id"]),
        lambda c: compliance_rules.create_rule_set(c, {"name": "Mine"}),
        lambda c: compliance_rules.update_rule_set(c, rule_set["id"], {"name": "Z"}, None),
        lambda c: compliance_rules.delete_rule_set(c, rule_set["id"]),
    ):
        with pytest.raises(PermissionDenied):
            attempt(viewer)
    auth.sign_out(viewer)
    officer = sign_in(firms, "ComplianceOfficer")
    with pytest.raises(PermissionDenied):
        compliance_rules.list_rule_sets(officer)
    with pytest.raises(PermissionDenied):
        requirement_bundles.bundle_list_query(officer)
    auth.sign_out(officer)

    # ComplianceManager (ve) deletes with edit.
    manager = sign_in(firms, "ComplianceManager")
    assert "2 items" in requirement_bundles.delete_impact(manager, bundle["id"])
    requirement_bundles.delete_bundle(manager, bundle["id"])
    compliance_rules.delete_rule_set(manager, rule_set["id"])
    assert requirement_bundles.list_bundles(manager) == []
    auth.sign_out(manager)

    # By hand, as the manager's own database login: Beta's rule set and bundle are out of reach.
    with session_factory(engine)() as session:
        theirs = ComplianceRuleSet(tenant_id=firms.beta, name="Beta's")
        their_bundle = RequirementBundle(
            tenant_id=firms.beta, name="Beta's", authority="GRA", category="tax"
        )
        session.add_all([theirs, their_bundle])
        session.commit()
        targets = (theirs.id, their_bundle.id)
    with raw(firms.user_url(firms.emails["ComplianceManager"])) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        for sql in (
            'INSERT INTO compliance_rules ("ruleSetId", "ruleType", weight, "updatedAt") '
            "VALUES (%s, 'document_required', 5, now())",
            'INSERT INTO requirement_bundle_items ("bundleId", "documentTypeId", "updatedAt") '
            "VALUES (%s, NULL, now())",
        ):
            target = targets[0] if "compliance_rules" in sql else targets[1]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, (target,))
        assert conn.execute(
            "SELECT count(*) FROM compliance_rule_sets WHERE name = %s", ("Beta's",)
        ).fetchone() == (0,)
