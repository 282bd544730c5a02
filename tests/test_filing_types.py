"""Filing types as signed-in staff (issue 12): validation, codes unique per firm, plain-dict
results, conflicts, permissions, and the "still used by N filings" refusal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from gcmc_desktop.services import auth, filing_types, filings, recurring
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import (
    ConflictError,
    DuplicateError,
    InUseError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from gcmc_desktop.services.filings import period_for
from gcmc_desktop.services.integrity import constraint_message

from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("FirmAdmin", "FilingClerk", "Viewer")
VAT = {
    "name": "VAT return (14%)",
    "code": "vat_monthly",
    "authority": "GRA",
    "frequency": "monthly",
    "default_due_day": 21,
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
    ctx.session.close()


def test_create_returns_plain_data(admin_ctx: Context) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    assert isinstance(created, dict)
    assert created["code"] == "VAT_MONTHLY"  # codes are upper-case
    assert created["id"] and created["updated_at"]
    assert created["default_due_day"] == 21 and created["default_due_month"] is None
    assert filing_types.get_filing_type(admin_ctx, created["id"]) == created
    assert [t["code"] for t in filing_types.list_filing_types(admin_ctx)] == ["VAT_MONTHLY"]
    assert filing_types.list_filing_types(admin_ctx, authority="NIS") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"code": ""}, "code"),
        ({"code": "VAT MONTHLY"}, "code"),
        ({"authority": "IRS"}, "authority"),
        ({"frequency": "weekly"}, "frequency"),
        ({"default_due_day": 0}, "default_due_day"),
        ({"default_due_day": 32}, "default_due_day"),
        ({"default_due_month": 13}, "default_due_month"),
        ({"default_due_day": "x"}, "default_due_day"),
        ({"name": "a" * 300}, "name"),
    ],
)
def test_validation(admin_ctx: Context, changes, field) -> None:
    with pytest.raises(ValidationError) as err:
        filing_types.create_filing_type(admin_ctx, {**VAT, **changes})
    assert field in err.value.field_errors


def test_code_unique_per_firm(firms: Firms, admin_ctx: Context) -> None:
    filing_types.create_filing_type(admin_ctx, VAT)
    with pytest.raises(DuplicateError) as err:
        filing_types.create_filing_type(admin_ctx, {**VAT, "code": "VAT_Monthly", "name": "x"})
    assert err.value.message == (
        'A filing type with the code "VAT_MONTHLY" already exists in this firm.'
    )
    other = filing_types.create_filing_type(admin_ctx, {**VAT, "code": "PAYE_MONTHLY"})
    with pytest.raises(DuplicateError):
        filing_types.update_filing_type(
            admin_ctx, other["id"], {"code": "vat_monthly"}, other["updated_at"]
        )
    # Another firm may use the same code.
    beta = auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))
    try:
        assert filing_types.create_filing_type(beta, VAT)["code"] == "VAT_MONTHLY"
    finally:
        beta.session.close()


def test_database_unique_index_message(admin_ctx: Context, monkeypatch) -> None:
    """A type created meanwhile by someone else (no pre-check sees it): the index's message is
    the module's."""
    created = filing_types.create_filing_type(admin_ctx, VAT)
    monkeypatch.setattr(filing_types, "_check_unique", lambda *a, **k: None)
    with pytest.raises(DuplicateError) as err:
        filing_types.create_filing_type(admin_ctx, {**VAT, "name": "again"})
    assert err.value.constraint == filing_types.UNIQUE_INDEX
    assert "VAT_MONTHLY" in err.value.message
    assert constraint_message(filing_types.UNIQUE_INDEX, {"code": "X"}) == (
        filing_types.duplicate_message("X")
    )
    assert filing_types.get_filing_type(admin_ctx, created["id"])["name"] == VAT["name"]


def test_update_and_conflict(admin_ctx: Context) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    updated = filing_types.update_filing_type(
        admin_ctx, created["id"], {"default_due_day": 25}, created["updated_at"]
    )
    assert updated["default_due_day"] == 25
    with pytest.raises(ConflictError) as conflict:
        filing_types.update_filing_type(
            admin_ctx, created["id"], {"default_due_day": 14}, created["updated_at"]
        )
    assert conflict.value.current["default_due_day"] == 25


def test_permissions(firms: Firms, admin_ctx: Context) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    viewer = sign_in(firms, "Viewer")
    clerk = sign_in(firms, "FilingClerk")
    try:
        assert filing_types.list_filing_types(viewer)
        with pytest.raises(PermissionDenied):
            filing_types.create_filing_type(viewer, {**VAT, "code": "X"})
        with pytest.raises(PermissionDenied):
            filing_types.update_filing_type(viewer, created["id"], {"name": "y"}, None)
        # filings:create/edit but no delete
        clerk_type = filing_types.create_filing_type(clerk, {**VAT, "code": "CLERK"})
        with pytest.raises(PermissionDenied):
            filing_types.delete_filing_type(clerk, clerk_type["id"])
    finally:
        viewer.session.close()
        clerk.session.close()


def test_delete_refused_while_used(firms: Firms, admin_ctx: Context) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    for month in (1, 2):
        filings.create_filing(
            admin_ctx,
            {"client_id": firms.alpha_client, "filing_type_id": created["id"]},
            period=period_for("month", 2024, month),
        )
    with pytest.raises(InUseError) as err:
        filing_types.delete_filing_type(admin_ctx, created["id"])
    assert err.value.message == (
        'Cannot delete filing type "VAT return (14%)" (VAT_MONTHLY): it is still used by '
        "2 filings. Delete or move them first."
    )
    assert err.value.users == {"filings": 2}
    assert filing_types.get_filing_type(admin_ctx, created["id"])


def test_delete_refused_while_a_schedule_uses_it(firms: Firms, admin_ctx: Context) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    recurring.create_recurring(
        admin_ctx,
        {"client_id": firms.alpha_client, "filing_type_id": created["id"], "schedule": "monthly"},
    )
    with pytest.raises(InUseError) as err:
        filing_types.delete_filing_type(admin_ctx, created["id"])
    assert "still used by 1 recurring schedule" in err.value.message


def test_delete_unused(admin_ctx: Context, engine: Engine) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    filing_types.delete_filing_type(admin_ctx, created["id"])
    with pytest.raises(NotFoundError):
        filing_types.get_filing_type(admin_ctx, created["id"])
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM filing_types")) == 0


def test_new_defaults_redate_open_filings_only(firms: Firms, admin_ctx: Context) -> None:
    created = filing_types.create_filing_type(admin_ctx, VAT)
    open_one = filings.create_filing(
        admin_ctx,
        {"client_id": firms.alpha_client, "filing_type_id": created["id"]},
        period=period_for("month", 2024, 1),
    )
    filed = filings.create_filing(
        admin_ctx,
        {
            "client_id": firms.alpha_client,
            "filing_type_id": created["id"],
            "status": "submitted",
            "submission_date": "2024-03-20",
            "reference_number": "R-1",
        },
        period=period_for("month", 2024, 2),
    )
    made = [open_one, filed]
    assert filed["due_date"] == date(2024, 3, 21)
    filing_types.update_filing_type(
        admin_ctx, created["id"], {"default_due_day": 14}, created["updated_at"]
    )
    assert filings.get_filing(admin_ctx, made[0]["id"])["due_date"] == date(2024, 2, 14)
    assert filings.get_filing(admin_ctx, made[1]["id"])["due_date"] == date(2024, 3, 21)
