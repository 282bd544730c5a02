"""Create/edit one of a client's businesses, on the shared `RecordDialog` machinery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from ..services import records
from ..services.businesses import create_business, get_business, update_business
from ..services.catalog import SECTORS
from ..services.context import Context
from .client_dialog import NAME_MAX, SHORT_MAX, RecordDialog, code_label, combo, date_edit

# Suggestions only: the platform stores the status as free text (DOMAIN.md §2).
STATUS_SUGGESTIONS = ("Active", "Dormant", "Struck off", "Dissolved")
REGISTRATION_TYPES = ("Company", "Business name", "Partnership", "Co-operative", "NGO")


def status_label(value: object) -> str:
    """A business status as people read it: stored codes ("active", "struck_off") as labels,
    anything else (free text) as typed."""
    return code_label(value)


class BusinessDialog(RecordDialog):
    """A business of `client_id`: new when `business_id` is None."""

    noun = "business"
    entity = "client_business"
    coded_fields = frozenset({"status"})

    def __init__(
        self,
        ctx: Context,
        client_id: int,
        business_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, business_id, parent)
        self.client_id = client_id
        name = self.add_field("name", "Name *", QLineEdit())
        name.setPlaceholderText("Registered business name")
        name.setMaxLength(NAME_MAX)
        number = self.add_field("registration_number", "Registration no.", QLineEdit())
        number.setMaxLength(SHORT_MAX)
        self._status_code: str | None = None  # the stored status the form shows as a label
        kind = self.add_field(
            "registration_type", "Registration type", combo([("", "")], editable=True)
        )
        kind.addItems(list(REGISTRATION_TYPES))
        kind.setCurrentText("")
        self.add_field("incorporation_date", "Incorporated", date_edit())
        country = self.add_field("country", "Country", QLineEdit())
        country.setMaxLength(NAME_MAX)
        if business_id is None:
            country.setText("Guyana")
        sector = self.add_field("sector", "Sector", combo([("", "")], editable=True))
        sector.addItems(list(SECTORS))
        sector.setCurrentText("")
        status = self.add_field("status", "Status", combo([("", "")], editable=True))
        status.addItems(list(STATUS_SUGGESTIONS))
        status.setCurrentText("Active" if business_id is None else "")
        for box in (kind, sector, status):
            box.lineEdit().setMaxLength(NAME_MAX)
        self.setMinimumWidth(460)
        self.start()

    def set_values(self, values: dict[str, Any]) -> None:
        # Records imported from the platform store codes ("active"): show the label.
        shown = dict(values)
        if "status" in values:
            self._status_code = values["status"]
            shown["status"] = status_label(values["status"])
        super().set_values(shown)

    def values(self) -> dict[str, Any]:
        result = super().values()
        code = self._status_code
        # An untouched label goes back as the stored code, so saving another field does not
        # rewrite "active" as "Active".
        if code and result.get("status") == status_label(code):
            result["status"] = code
        return result

    def load_record(self, ctx: Context, record_id: int) -> dict[str, Any]:
        return records.snapshot(get_business(ctx, record_id))

    def create_record(self, ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        return records.snapshot(create_business(ctx, self.client_id, values))

    def update_record(
        self, ctx: Context, record_id: int, values: dict[str, Any], expected: datetime | None
    ) -> dict[str, Any]:
        return records.snapshot(update_business(ctx, record_id, values, expected))
