"""The Dashboard section, the first screen after sign-in (issue 14): today's and this week's
filing deadlines, overdue filings, documents expiring within 30 days, the user's open tasks and
the compliance distribution. Every figure is a button that opens its list with the same filter
(`listRequested(section, filters, label)`, which the main window turns into the section's page
narrowed by `show_filtered`); a bar of the chart opens the Compliance list at that level. The
figures are read in the background and refresh through the change bus."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..services.compliance_breakdown import LEVEL_LABELS
from ..services.compliance_scores import LEVEL
from ..services.context import Context
from ..services.dashboard import DASHBOARD_LISTS, DashboardList, dashboard_counts
from .compliance import DistributionChart
from .kit.bus import change_bus
from .kit.messages import banner, show_in
from .kit.operations import run_operation

LISTENS_TO = frozenset(
    {"filing", "filing_type", "document", "document_version", "task", "compliance_score"}
)
COLUMNS = 3


class DashboardPage(QWidget):
    listRequested = Signal(str, dict, str)  # section key, query filters, the filter's label

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.counts: dict[str, Any] = {}
        self.loading = False
        self._generation = 0
        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.heading.setFont(font)
        self.message = banner()
        self.buttons: dict[str, QPushButton] = {}
        self.numbers: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setSpacing(12)
        shown = [item for item in DASHBOARD_LISTS if ctx.can(item.module, "view")]
        for n, item in enumerate(shown):
            button = QPushButton()
            # A big number over its title, inside the button (the labels let clicks through).
            number = QLabel("…")
            number_font = number.font()
            number_font.setPointSizeF(number_font.pointSizeF() * 2.2)
            number_font.setBold(True)
            number.setFont(number_font)
            title = QLabel(item.title)
            tile = QVBoxLayout(button)
            for label in (number, title):
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
                tile.addWidget(label)
            self.numbers[item.key] = number
            button.setObjectName(item.key)
            button.setAccessibleName(item.title)
            button.setToolTip(f"Open the list: {item.title.lower()}")
            button.setMinimumHeight(96)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, i=item: self.open_list(i))
            self.buttons[item.key] = button
            grid.addWidget(button, n // COLUMNS, n % COLUMNS)
        self.chart: DistributionChart | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(grid)
        if ctx.can("compliance", "view"):
            self.chart = DistributionChart(ctx)
            self.chart.setMinimumHeight(260)
            self.chart.levelClicked.connect(self.open_level)
            layout.addWidget(self.chart, 1)
        else:
            layout.addStretch(1)
        if not shown and self.chart is None:
            empty = QLabel("Nothing on the dashboard for your role.")
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(empty)
        change_bus().subscribe(self, LISTENS_TO, lambda _c: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.heading.setText(f"{self.ctx.tenant_name} · {date.today():%A %d %B %Y}")
        self._generation += 1
        generation = self._generation
        self.loading = True
        run_operation(
            self.ctx,
            dashboard_counts,
            owner=self,
            on_done=lambda counts: self._show(generation, counts),
            on_error=lambda e: self._failed(generation, e.message),
        )
        if self.chart is not None:
            self.chart.refresh()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.loading = False
            show_in(self.message, message)

    def _show(self, generation: int, counts: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.counts = counts
        show_in(self.message, "")
        for item in DASHBOARD_LISTS:
            number = self.numbers.get(item.key)
            value = counts.get(item.key)
            if number is not None and value is not None:
                number.setText(f"{value:,}")
                # What is late shows red when there is any.
                late = bool(value) and item.key in ("overdue", "due_today")
                number.setStyleSheet("color: #dc2626;" if late else "")
                self.buttons[item.key].setAccessibleDescription(f"{value:,} {item.title}")

    def open_list(self, item: DashboardList) -> None:
        self.listRequested.emit(item.section, dict(item.filters), item.filter_label)

    def open_level(self, level: str) -> None:
        self.listRequested.emit("compliance", {LEVEL: level}, LEVEL_LABELS[level])
