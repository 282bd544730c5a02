"""Start-up: settings → database → (login → main window in a later step) → start window."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication


def main(argv: Sequence[str] | None = None) -> int:
    app = QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("GCMC Desktop")
    app.setOrganizationName("GCMC")
    window = open_start_window()
    window.show()
    return app.exec()


def open_start_window():  # -> StartWindow
    from .db import session_factory
    from .services.overview import database_overview
    from .services.startup import prepare_database
    from .views.start_window import StartWindow
    from .views.workers import run_job

    window = StartWindow()

    def work(control):
        ready = prepare_database(lambda message: control.progress(0, 0, message))
        with session_factory(ready.engine)() as session:
            overview = database_overview(session)
        return ready.target.describe(), overview

    window.job = run_job(
        work,
        on_done=lambda result: window.show_overview(*result),
        on_error=window.show_error,
        on_progress=lambda _done, _total, message: window.show_progress(message),
    )
    return window


if __name__ == "__main__":
    sys.exit(main())
