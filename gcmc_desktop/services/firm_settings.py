"""The firm's own settings (issue 15), in the platform's columns: `tenants.name`,
`tenants.contactInfo` (email, phone, address, website) and `tenants.settings` (timezone, date
format, default storage for new workstations). Keys the platform or others wrote stay as they
are; the Desktop's are camelCase like the platform's (`timezone`, `dateFormat`,
`defaultStorage` = {kind, endpoint, bucket}; never a secret — keys stay in each workstation's
keyring). Reading needs `settings:view`, saving `settings:edit` (row-level security agrees).

SuperAdmin (`tenants:view` / `tenants:create`, only the `*` grant) lists every firm and
creates one through `desktop_tenants` / `desktop_create_tenant` (migration 0020): staff have
no INSERT on tenants, and the new firm gets the nine standard roles and its creator as
SuperAdmin member."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..models import Tenant
from . import records
from .context import Context, require
from .errors import PermissionDenied, ValidationError
from .tenancy import CODE_PATTERN

DEFAULT_TIMEZONE = "America/Guyana"
DATE_FORMATS = ("DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "D MMM YYYY")
DEFAULT_DATE_FORMAT = "DD/MM/YYYY"
STORAGE_KINDS = ("local", "s3")
CONTACT_KEYS = ("email", "phone", "address", "website")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FirmSummary:
    id: int
    code: str
    name: str
    members: int
    plan: str | None


def timezones() -> list[str]:
    return sorted(available_timezones())


def _form(tenant: Tenant) -> dict[str, Any]:
    contact = tenant.contact_info if isinstance(tenant.contact_info, dict) else {}
    settings = tenant.settings if isinstance(tenant.settings, dict) else {}
    storage = settings.get("defaultStorage")
    storage = storage if isinstance(storage, dict) else {}
    return {
        "id": tenant.id,
        "name": tenant.name,
        "code": tenant.code,
        **{key: str(contact.get(key) or "") for key in CONTACT_KEYS},
        "timezone": settings.get("timezone") or DEFAULT_TIMEZONE,
        "date_format": settings.get("dateFormat") or DEFAULT_DATE_FORMAT,
        "storage_kind": storage.get("kind") if storage.get("kind") in STORAGE_KINDS else "local",
        "storage_endpoint": str(storage.get("endpoint") or ""),
        "storage_bucket": str(storage.get("bucket") or ""),
        "updated_at": tenant.updated_at,
    }


def get_firm(ctx: Context, _ident: Any = None) -> dict[str, Any]:
    """The signed-in firm's settings as a flat form (see `_form`)."""
    require(ctx, "settings", "view")
    return _form(records.get(ctx, Tenant, ctx.tenant_id))


def validate_firm(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    lengths = {"address": records.ADDRESS_LENGTH, "email": records.EMAIL_LENGTH}
    for key in ("name", *CONTACT_KEYS, "storage_endpoint", "storage_bucket"):
        if key not in data:
            continue
        rule = records.FieldRule("text", lengths.get(key, records.NAME_LENGTH))
        value, problem = records.check_text(data[key] if data[key] is not None else "", rule)
        if problem:
            errors[key] = problem
        cleaned[key] = value or ""
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = "Enter the firm's name."
    if cleaned.get("email") and not EMAIL.match(cleaned["email"]):
        errors["email"] = "Enter a valid e-mail address (e.g. office@firm.gy)."
    if "timezone" in data:
        zone = str(data["timezone"] or "").strip()
        try:
            ZoneInfo(zone)
            if zone not in available_timezones():
                raise ValueError(zone)
            cleaned["timezone"] = zone
        except (ValueError, KeyError, OSError):
            errors["timezone"] = f'"{zone}" is not a time zone. Choose one, e.g. America/Guyana.'
    if "date_format" in data:
        if data["date_format"] not in DATE_FORMATS:
            errors["date_format"] = "Choose one of: " + ", ".join(DATE_FORMATS) + "."
        cleaned["date_format"] = data["date_format"]
    if "storage_kind" in data:
        if data["storage_kind"] not in STORAGE_KINDS:
            errors["storage_kind"] = "Choose a local or network folder, or S3-compatible storage."
        cleaned["storage_kind"] = data["storage_kind"]
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def update_firm(ctx: Context, _ident: Any, changes: dict[str, Any], expected: Any) -> dict:
    """Save the changed settings unless someone saved the firm since `expected`."""
    require(ctx, "settings", "edit")
    values = validate_firm(dict(changes))
    tenant = records.get(ctx, Tenant, ctx.tenant_id)
    contact = dict(tenant.contact_info) if isinstance(tenant.contact_info, dict) else {}
    settings = dict(tenant.settings) if isinstance(tenant.settings, dict) else {}
    for key in CONTACT_KEYS:
        if key in values:
            contact[key] = values[key]
    if "timezone" in values:
        settings["timezone"] = values["timezone"]
    if "date_format" in values:
        settings["dateFormat"] = values["date_format"]
    storage = settings.get("defaultStorage")
    storage = dict(storage) if isinstance(storage, dict) else {}
    for key, stored in (("storage_kind", "kind"), ("storage_endpoint", "endpoint")):
        if key in values:
            storage[stored] = values[key]
    if "storage_bucket" in values:
        storage["bucket"] = values["storage_bucket"]
    if storage:
        settings["defaultStorage"] = storage
    update: dict[str, Any] = {"contact_info": contact, "settings": settings}
    if "name" in values:
        update["name"] = values["name"]
    ctx.session.rollback()  # the row is read again, locked, by records.update
    saved = records.update(ctx, Tenant, ctx.tenant_id, update, expected)
    if "name" in update:
        ctx.tenant_name = saved.name
    return _form(saved)


# --------------------------------------------------------------------------------------------
# Firms (SuperAdmin)


def can_manage_firms(ctx: Context) -> bool:
    return ctx.can("tenants", "view")


def list_firms(ctx: Context) -> list[FirmSummary]:
    if not ctx.can("tenants", "view"):
        raise PermissionDenied(
            f"Your role ({ctx.role_name}) may not list the firms: only a SuperAdmin can."
        )
    rows = ctx.session.execute(text("SELECT id, code, name, members, plan FROM desktop_tenants()"))
    return [FirmSummary(*row) for row in rows]


def create_firm(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A new firm with the standard roles; the creator becomes its SuperAdmin member."""
    if not ctx.can("tenants", "create"):
        raise PermissionDenied(
            f"Your role ({ctx.role_name}) may not create firms: only a SuperAdmin can."
        )
    name = str(data.get("name") or "").strip()
    code = str(data.get("code") or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Enter the firm's name."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    if not CODE_PATTERN.match(code):
        errors["code"] = "Use 1–50 lower-case letters, digits or hyphens (e.g. acme-tax)."
    if errors:
        raise ValidationError(field_errors=errors)
    with records.guarded(ctx.session):
        try:
            tenant_id = ctx.session.scalar(
                text("SELECT desktop_create_tenant(:n, :c)"), {"n": name, "c": code}
            )
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "23505":
                ctx.session.rollback()
                raise ValidationError(
                    field_errors={"code": f'A firm with the code "{code}" already exists.'}
                ) from exc
            raise
        ctx.session.commit()
    return {"id": tenant_id, "name": name, "code": code}
