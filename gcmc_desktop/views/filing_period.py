"""The period a filing is for, picked as people think of it — a month, a quarter or a year — so
its start, end and label (`January 2024`, `Q1 2024`, `2024`) follow and are never typed."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSpinBox, QWidget

KINDS = (("Month", "month"), ("Quarter", "quarter"), ("Year", "year"))


class PeriodField(QWidget):
    """Kind, then month or quarter, then year. Its value is {"kind", "year", "number"} (number
    None for a year), or None while no kind is chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.addItem("Choose…", None)
        for label, kind in KINDS:
            self.kind.addItem(label, kind)
        self.kind.setAccessibleName("Period kind")
        self.number = QComboBox()
        self.number.setAccessibleName("Month or quarter")
        self.year = QSpinBox()
        self.year.setRange(1990, 2100)
        self.year.setValue(date.today().year)
        self.year.setAccessibleName("Year")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        layout.addWidget(self.number, 1)
        layout.addWidget(self.year)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.setFocusProxy(self.kind)

    def _kind_changed(self, *_args: Any) -> None:
        kind = self.kind.currentData()
        previous = self.number.currentData()
        self.number.clear()
        if kind == "month":
            for month in range(1, 13):
                self.number.addItem(calendar.month_name[month], month)
        elif kind == "quarter":
            for quarter in range(1, 5):
                self.number.addItem(f"Q{quarter}", quarter)
        self.number.setVisible(kind in ("month", "quarter"))
        index = self.number.findData(previous)
        self.number.setCurrentIndex(max(index, 0))

    def value(self) -> dict[str, Any] | None:
        kind = self.kind.currentData()
        if kind is None:
            return None
        number = self.number.currentData() if kind != "year" else None
        return {"kind": kind, "year": self.year.value(), "number": number}

    def set_value(self, value: Any) -> None:
        if not isinstance(value, dict) or value.get("kind") is None:
            self.kind.setCurrentIndex(0)
            return
        self.kind.setCurrentIndex(max(self.kind.findData(value["kind"]), 0))
        self.year.setValue(int(value.get("year") or date.today().year))
        index = self.number.findData(value.get("number"))
        self.number.setCurrentIndex(max(index, 0))

    def focus_order(self) -> list[QWidget]:
        return [self.kind, self.number, self.year]


def period_of(start: date | None, end: date | None) -> dict[str, Any] | None:
    """The picked period a stored start and end stand for (None when they fit none)."""
    if end is None:
        return None
    start = start or end
    days = (end - start).days + 1
    if days >= 365:
        return {"kind": "year", "year": end.year, "number": None}
    if days >= 89:
        return {"kind": "quarter", "year": end.year, "number": (end.month - 1) // 3 + 1}
    return {"kind": "month", "year": end.year, "number": end.month}
