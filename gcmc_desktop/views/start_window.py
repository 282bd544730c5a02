"""The start window: shows which database the application is connected to, its version, and
the demo tenant's counts. (The login dialog and the main window replace it in a later step.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ..services.overview import DatabaseOverview


class StartWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("GCMC Desktop")
        self.resize(560, 420)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(16)

        title = QLabel("<h2>GCMC Desktop</h2>")
        layout.addWidget(title)
        self.status = QLabel("Starting…")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        layout.addWidget(self.busy)

        self.database_box = QGroupBox("Database")
        self.database_form = QFormLayout(self.database_box)
        layout.addWidget(self.database_box)
        self.tenant_box = QGroupBox("Tenant")
        self.tenant_form = QFormLayout(self.tenant_box)
        layout.addWidget(self.tenant_box)
        layout.addStretch(1)
        self.database_box.hide()
        self.tenant_box.hide()
        self.setCentralWidget(central)

        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.menuBar().addMenu("&File").addAction(quit_action)

    def show_progress(self, message: str) -> None:
        self.status.setText(message)

    def show_error(self, message: str) -> None:
        self.busy.hide()
        self.status.setText(f"<b>Could not open the database.</b><br>{message}")

    def show_overview(self, location: str, overview: DatabaseOverview) -> None:
        self.busy.hide()
        self.status.setText("Connected.")
        self.database_form.addRow("Location:", QLabel(location))
        self.database_form.addRow("Server:", QLabel(overview.server_version))
        self.database_form.addRow("Schema revision:", QLabel(overview.revision or "—"))
        self.database_box.show()
        if overview.tenant_name:
            self.tenant_box.setTitle(f"Tenant: {overview.tenant_name}")
            for label, count in overview.counts.items():
                value = QLabel(f"{count:,}")
                value.setAlignment(Qt.AlignmentFlag.AlignRight)
                self.tenant_form.addRow(f"{label}:", value)
            self.tenant_box.show()
