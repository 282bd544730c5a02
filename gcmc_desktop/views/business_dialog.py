"""Create/edit one of a client's businesses, on the shared `RecordDialog` machinery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from ..services import records
from ..services.businesses import create_business, get_business, update_business
from ..services.context import Context
from ..services.reference_data import SECTORS
from .client_dialog import RecordDialog, combo, date_edit

# Suggestions only: the platform stores the status as free text (DOMAIN.md §2).
STATUS_SUGGESTIONS = ("Active", "Dormant", "Struck off", "Dissolved")
REGISTRATION_TYPES = ("Company", "Business name", "Partnership", "Co-operative", "NGO")


class BusinessDialog(RecordDialog):
    """A business of `client_id`: new when `business_id` is None."""

    noun = "business"

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
        self.add_field("registration_number", "Registration no.", QLineEdit())
        kind = self.add_field(
            "registration_type", "Registration type", combo([("", "")], editable=True)
        )
        kind.addItems(list(REGISTRATION_TYPES))
        kind.setCurrentText("")
        self.add_field("incorporation_date", "Incorporated", date_edit())
        country = self.add_field("country", "Country", QLineEdit())
        if business_id is None:
            country.setText("Guyana")
        sector = self.add_field("sector", "Sector", combo([("", "")], editable=True))
        sector.addItems(list(SECTORS))
        sector.setCurrentText("")
        status = self.add_field("status", "Status", combo([("", "")], editable=True))
        status.addItems(list(STATUS_SUGGESTIONS))
        status.setCurrentText("Active" if business_id is None else "")
        self.setMinimumWidth(460)
        self.start()

    def load_record(self, ctx: Context, record_id: int) -> dict[str, Any]:
        return records.snapshot(get_business(ctx, record_id))

    def create_record(self, ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
        return records.snapshot(create_business(ctx, self.client_id, values))

    def update_record(
        self, ctx: Context, record_id: int, values: dict[str, Any], expected: datetime | None
    ) -> dict[str, Any]:
        return records.snapshot(update_business(ctx, record_id, values, expected))
