"""The installed program's self-check (`GCMC_SMOKE=1`): used by the frozen build's smoke test
and by anyone checking an installation. It reports when the login dialog is up (the start-up
time), signs in as the embedded demo's FirmAdmin, opens the clients list, waits for its first
rows, reports them and quits with status 0 — or prints what failed and quits with 1."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

# Seconds are counted from GCMC_SMOKE_T0 (the launcher's clock, so the process's own start-up
# is included) or else from this module's import.
STARTED = float(os.environ.get("GCMC_SMOKE_T0") or time.time())
TIMEOUT_S = 300


def say(text: str) -> None:
    print(f"SMOKE {time.time() - STARTED:7.2f}s {text}", flush=True)


def fail(text: str) -> None:
    say(f"FAILED: {text}")
    QApplication.exit(1)


def run(runner) -> None:  # runner: app.Application
    from ..services.demo.seed import demo_credentials

    dialog = runner.dialog
    say("login dialog shown")
    email, password = next((e, p) for role, e, p in demo_credentials() if role == "FirmAdmin")
    dialog.email_edit.setText(email)
    dialog.password_edit.setText(password)
    dialog._submit()
    QTimer.singleShot(TIMEOUT_S * 1000, lambda: fail("timed out"))

    def wait_for_window() -> None:
        window = runner.window
        if window is None:
            shown = dialog.banner.text() if dialog.banner.isVisible() else ""
            if shown:
                fail(f"the login dialog says: {shown}")
                return
            if not dialog.isVisible() and dialog.context is None:
                fail("the login dialog closed without signing in")
                return
            QTimer.singleShot(100, wait_for_window)
            return
        say(f"signed in: {window.windowTitle()}")
        page = window.open_section("clients")
        wait_for_rows(page)

    def wait_for_rows(page) -> None:
        model = getattr(page, "model", None)
        if model is None or model.total is None or model.rowCount() == 0:
            QTimer.singleShot(100, lambda: wait_for_rows(page))
            return
        say(f"clients list: {model.total} clients, first {model.index(0, 0).data()!r}")
        runner.window.close()
        say("quit")
        QApplication.exit(0)

    QTimer.singleShot(0, wait_for_window)


def enabled() -> bool:
    return os.environ.get("GCMC_SMOKE") == "1"


def excepthook(kind, value, tb) -> None:  # an uncaught error fails the check, loudly
    sys.__excepthook__(kind, value, tb)
    fail(f"{kind.__name__}: {value}")
