"""Clients and their businesses: validation (DOMAIN.md), permission gates, tenant scope,
optimistic concurrency and audit through the shared record plumbing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..models import Client, ClientBusiness, Document, Filing
from . import crud, plans, records
from .catalog import CLIENT_TYPES, RISK_LEVELS
from .context import Context, require
from .errors import ValidationError
from .integrity import quoted, register_constraint_message

CLIENT_FIELDS = (
    "name",
    "type",
    "email",
    "phone",
    "address",
    "tin",
    "nis_number",
    "sector",
    "risk_level",
    "notes",
)
# Types and longest lengths (issue 9 #11); TIN, NIS and phone are also checked by format below,
# so theirs only stop absurd input before the format check.
CLIENT_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "type": records.FieldRule(max_length=records.CODE_LENGTH),
    "email": records.FieldRule(max_length=records.EMAIL_LENGTH),
    "phone": records.FieldRule(max_length=40),
    "address": records.FieldRule(max_length=records.ADDRESS_LENGTH),
    "tin": records.FieldRule(max_length=40),
    "nis_number": records.FieldRule(max_length=40),
    "sector": records.TEXT,
    "risk_level": records.FieldRule(max_length=records.CODE_LENGTH),
    "notes": records.FieldRule(max_length=records.NOTES_LENGTH),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# GRA TINs are quoted as 9 or 10 digits; NIS numbers as 9 digits or 2 letters + 8 (DOMAIN.md §4):
# validate loosely so no real number is refused.
TIN = re.compile(r"^\d{9,10}$")
NIS = re.compile(r"^(?:[A-Z]{1,2}\d{6,9}|\d{9})$")
PHONE = re.compile(r"^\+?[\d\s()-]{7,20}$")


def _clean(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    cleaned = records.clean_fields(data, CLIENT_RULES, "client", errors=errors)
    if cleaned.get("tin"):
        cleaned["tin"] = re.sub(r"[\s-]", "", cleaned["tin"])
    if cleaned.get("nis_number"):
        cleaned["nis_number"] = re.sub(r"[\s-]", "", cleaned["nis_number"]).upper()
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
    return cleaned


def validate_client(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check client fields; raises ValidationError with a message per field."""
    errors: dict[str, str] = {}
    data = _clean(data, errors)
    if (not partial or "name" in data) and not data.get("name"):
        errors.setdefault("name", "Enter the client's name.")
    if (not partial or "type" in data) and data.get("type") not in CLIENT_TYPES:
        errors.setdefault("type", "Choose individual, company or partnership.")
    if data.get("risk_level") is not None and data["risk_level"] not in RISK_LEVELS:
        errors["risk_level"] = "Choose low, medium or high."
    if data.get("email") and not EMAIL.match(data["email"]):
        errors["email"] = "Enter an e-mail address like name@example.com."
    if data.get("tin") and not TIN.match(data["tin"]):
        errors["tin"] = "A TIN has 9 or 10 digits."
    if data.get("nis_number") and not NIS.match(data["nis_number"]):
        errors["nis_number"] = "An NIS number has 9 digits, or 1–2 letters and 6–9 digits."
    if data.get("phone") and not PHONE.match(data["phone"]):
        errors["phone"] = "Enter a phone number like +592 600 1234."
    if errors:
        raise ValidationError(field_errors=errors)
    return data


def _within_plan(ctx: Context, _values: dict[str, Any]) -> None:
    plans.check_limit(ctx, "clients")  # the firm's plan (issue 15)


CLIENTS = crud.Entity(Client, "clients", validate_client, check_create=_within_plan)


def get_client(ctx: Context, client_id: int) -> crud.Record:
    """The client's fields as plain data (with "id" and "updated_at")."""
    return CLIENTS.get(ctx, client_id)


def create_client(ctx: Context, data: dict[str, Any]) -> crud.Record:
    return CLIENTS.create(ctx, data)


def update_client(
    ctx: Context, client_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> crud.Record:
    return CLIENTS.update(ctx, client_id, changes, expected_updated_at)


@dataclass(frozen=True)
class DeletionImpact:
    businesses: int
    documents: int
    filings: int

    def describe(self) -> str:
        parts = [
            f"{n} {label}{'' if n == 1 else 's'}"
            for n, label in (
                (self.businesses, "business"),
                (self.documents, "document"),
                (self.filings, "filing"),
            )
            if n
        ]
        return ", ".join(parts).replace("businesss", "businesses") or "nothing else"


def deletion_impact(ctx: Context, client_id: int) -> DeletionImpact:
    """What deleting the client deletes with it, for the confirmation message."""
    require(ctx, "clients", "view")

    def count(model: type) -> int:
        return ctx.session.scalar(
            select(func.count()).select_from(model).where(model.client_id == client_id)
        )

    return DeletionImpact(count(ClientBusiness), count(Document), count(Filing))


def delete_client(ctx: Context, client_id: int) -> None:
    CLIENTS.delete(ctx, client_id)


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_portal_access(v: dict[str, str]) -> str:
    who = quoted(v["userId"]) if "userId" in v else "This user"
    client = f"the client {quoted(v['clientId'])}" if "clientId" in v else "this client"
    return f"{who} already has portal access to {client}."


register_constraint_message(
    "client_portal_access_tenantId_userId_clientId_key", _duplicate_portal_access
)
