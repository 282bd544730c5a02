"""Clients: the record form and the firm's list (search, filters by type / risk level / sector,
New / Edit / Delete / Open), declared on the kit."""

from __future__ import annotations

from typing import Any

from ..services.catalog import CLIENT_TYPES, RISK_LEVELS, SECTORS
from ..services.client_list import client_list_query
from ..services.clients import (
    create_client,
    delete_client,
    deletion_impact,
    get_client,
    update_client,
)
from ..services.context import Context
from .kit.fields import EMAIL_MAX, SHORT_MAX, FieldSpec, choices
from .kit.list_page import ActionSpec, DeleteSpec, FilterSpec, ListSpec
from .kit.record_dialog import RecordSpec
from .offline import check_out_selected, checkout_marks, may_check_out


def also_deleted(ctx: Context, client_id: int) -> str:
    """The second sentence of the delete question: what goes with the client."""
    impact = deletion_impact(ctx, client_id).describe()
    if impact == "nothing else":
        return "Nothing else is attached to it."
    return f"This also deletes {impact}."


CLIENT_RECORD = RecordSpec(
    noun="client",
    entity="client",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="Person or company name"),
        FieldSpec(
            "type", "Type", "choice", required=True, choices=choices(CLIENT_TYPES), blank="Choose…"
        ),
        FieldSpec("email", "E-mail", placeholder="name@example.com", max_length=EMAIL_MAX),
        FieldSpec("phone", "Phone", placeholder="+592 600 1234", max_length=SHORT_MAX),
        FieldSpec("address", "Address", "text", height=64),
        FieldSpec("tin", "TIN", placeholder="9 or 10 digits", max_length=SHORT_MAX),
        FieldSpec(
            "nis_number",
            "NIS number",
            placeholder="e.g. 123456789 or AB1234567",
            max_length=SHORT_MAX,
        ),
        FieldSpec("sector", "Sector", "suggest", choices=[(s, s) for s in SECTORS]),
        FieldSpec(
            "risk_level", "Risk level", "choice", choices=choices(RISK_LEVELS), blank="Not assessed"
        ),
        FieldSpec("notes", "Notes", "text", height=72),
    ),
    load=get_client,
    create=create_client,
    update=update_client,
    min_width=520,
)


# Offline (issue 18) a client's notes are all that may change: the form shows only them.
CLIENT_NOTES_RECORD = RecordSpec(
    noun="client notes",
    entity="client",
    fields=(FieldSpec("notes", "Notes", "text", height=160),),
    load=get_client,
    create=create_client,
    update=update_client,
    min_width=520,
)


def _same(_ctx: Context, client_id: int) -> int:
    return client_id


def _capitalized(value: Any) -> str:
    return str(value).capitalize()


CLIENTS = ListSpec(
    noun="client",
    plural="clients",
    module="clients",
    query=lambda ctx, _scope: client_list_query(ctx),
    listens_to=frozenset({"client"}),
    record=CLIENT_RECORD,
    delete=DeleteSpec(delete_client, impact=also_deleted, restorable=True),
    search_hint="Search name, e-mail, TIN or NIS number  (Ctrl+F)",
    filters=(
        FilterSpec("type", "All types", "Type filter", choices(CLIENT_TYPES)),
        FilterSpec("risk_level", "All risk levels", "Risk level filter", choices(RISK_LEVELS)),
        FilterSpec("sector", "All sectors", "Sector filter", [(s, s) for s in SECTORS]),
    ),
    widths={
        "name": 240,
        "type": 100,
        "email": 220,
        "phone": 120,
        "tin": 100,
        "nis": 110,
        "sector": 150,
        "risk": 90,
    },
    sort="name",
    new_label="New client…",
    open_label="Open",
    opens=_same,
    state_key="clients/header",
    fit_columns=True,
    # Offline review (issue 18): several clients checked out at once; checked-out rows marked.
    several=True,
    marks=checkout_marks,
    actions=(
        ActionSpec(
            "Check out for offline review…",
            check_out_selected,
            permission="view",
            needs_selection=True,
            several=True,
            visible=may_check_out,
            tooltip="Copy the selected clients to this computer to work on them offline",
        ),
    ),
)
