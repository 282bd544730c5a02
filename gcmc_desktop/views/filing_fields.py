"""The fields a filing and a recurring schedule share: whose it is (the client, found as you
type, and one of that client's businesses) and which filing type."""

from __future__ import annotations

from typing import Any

from ..services.businesses import business_choices
from ..services.client_list import find_clients
from ..services.context import Context
from ..services.filing_types import filing_type_choices
from .kit.fields import FieldSpec


def _businesses(ctx: Context, known: Any) -> list[tuple[str, int]]:
    return business_choices(ctx, known.get("client_id"))


def client_form(values: dict[str, Any]) -> dict[str, Any]:
    """A stored record's client as the lookup shows it: (name, id)."""
    form = dict(values)
    if values.get("client_id") is not None:
        form["client_id"] = (values.get("client_name") or "", values["client_id"])
    return form


OWNER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "client_id",
        "Client",
        "lookup",
        required=True,
        lookup=find_clients,
        placeholder="Type a client's name, TIN or NIS number",
        create_only=True,
        scoped=True,
    ),
    FieldSpec(
        "client_business_id",
        "Business",
        "choice",
        blank="(the client itself)",
        load=_businesses,
        depends_on=("client_id",),
    ),
    FieldSpec(
        "filing_type_id",
        "Filing type",
        "choice",
        required=True,
        blank="Choose…",
        load=filing_type_choices,
    ),
)
