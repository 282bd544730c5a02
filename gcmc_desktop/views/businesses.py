"""A client's businesses: the record form and the list in the client workspace, on the kit."""

from __future__ import annotations

from ..services.businesses import (
    business_list_query,
    create_business,
    delete_business,
    get_business,
    update_business,
)
from ..services.catalog import SECTORS
from .kit.fields import SHORT_MAX, FieldSpec
from .kit.list_page import DeleteSpec, ListSpec
from .kit.messages import code_label
from .kit.record_dialog import RecordSpec

# Suggestions only: the platform stores the status as free text (DOMAIN.md §2).
STATUS_SUGGESTIONS = ("Active", "Dormant", "Struck off", "Dissolved")
REGISTRATION_TYPES = ("Company", "Business name", "Partnership", "Co-operative", "NGO")


def status_label(value: object) -> str:
    """A business status as people read it: stored codes ("active", "struck_off") as labels,
    anything else (free text) as typed."""
    return code_label(value)


def _suggestions(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((value, value) for value in values)


BUSINESS_RECORD = RecordSpec(
    noun="business",
    entity="client_business",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="Registered business name"),
        FieldSpec("registration_number", "Registration no.", max_length=SHORT_MAX),
        FieldSpec(
            "registration_type",
            "Registration type",
            "suggest",
            choices=_suggestions(REGISTRATION_TYPES),
        ),
        FieldSpec("incorporation_date", "Incorporated", "date"),
        FieldSpec("country", "Country", default="Guyana"),
        FieldSpec("sector", "Sector", "suggest", choices=_suggestions(SECTORS)),
        # Records imported from the platform store codes ("active"): shown as labels.
        FieldSpec(
            "status",
            "Status",
            "suggest",
            choices=_suggestions(STATUS_SUGGESTIONS),
            coded=True,
            default="Active",
        ),
    ),
    load=get_business,
    create=lambda ctx, values, client_id: create_business(ctx, client_id, values),
    update=update_business,
    min_width=460,
)

BUSINESSES = ListSpec(
    noun="business",
    plural="businesses",
    module="clients",
    query=lambda ctx, scope: business_list_query(ctx, scope["client_id"]),
    listens_to=frozenset({"client_business"}),
    record=BUSINESS_RECORD,
    delete=DeleteSpec(delete_business),
    labels={"status": status_label},
    widths={
        "name": 220,
        "registration_number": 150,
        "registration_type": 150,
        "incorporation_date": 100,
        "country": 100,
        "sector": 170,
    },
    sort="name",
    new_label="New business…",
)
