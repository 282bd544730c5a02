"""The installed program's self-check (`GCMC_SMOKE=1`): used by the frozen build's smoke test
and by anyone checking an installation. It reports when the login dialog is up (the start-up
time), signs in as the embedded demo's FirmAdmin, opens the clients list, waits for its first
rows, reports them and quits with status 0 — or prints what failed and quits with 1.
With `GCMC_SMOKE_QUIT=1` it opens every page and quits while they are still loading."""

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
        if quit_while_loading():
            # Every page starts its background reads; quitting at once stops the embedded
            # server under them, which must end them quietly (issue 19: no AdminShutdown
            # traceback on stderr).
            for key in window.section_keys():
                window.open_section(key)
            window.open_section("clients")
            say("every page opened; quitting while they load")
            window.close()
            QApplication.exit(0)
            return
        page = window.open_section("clients")
        wait_for_rows(page)

    def wait_for_rows(page) -> None:
        model = getattr(page, "model", None)
        if model is None or model.total is None or model.rowCount() == 0:
            QTimer.singleShot(100, lambda: wait_for_rows(page))
            return
        say(f"clients list: {model.total} clients, first {model.index(0, 0).data()!r}")
        if check_parts():
            try:
                say(parts())
            except Exception as exc:  # reported, and the check fails
                fail(f"bundled parts: {type(exc).__name__}: {exc}")
                return
        runner.window.close()
        say("quit")
        QApplication.exit(0)

    QTimer.singleShot(0, wait_for_window)


def enabled() -> bool:
    return os.environ.get("GCMC_SMOKE") == "1"


def check_parts() -> bool:
    """`GCMC_SMOKE_PARTS=1`: also check the bundled parts that the sign-in does not use."""
    return os.environ.get("GCMC_SMOKE_PARTS") == "1"


def parts() -> str:
    """OCR reads a line drawn here — in the OCR process (the frozen program started again as
    a child), by RapidOCR on the headless OpenCV build — and an S3 client is made (botocore's
    S3 description is bundled; nothing is sent)."""
    import tempfile
    from pathlib import Path

    import img2pdf
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QFont, QImage, QPainter

    from ..services.intake import ocr, ocr_worker
    from ..services.storage.s3 import S3Storage

    image = QImage(900, 160, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    font = QFont()
    font.setPixelSize(64)
    painter.setFont(font)
    painter.drawText(30, 105, "CERTIFICATE 2026")
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gcmc-smoke-") as work:
        pdf = Path(work) / "line.pdf"
        pdf.write_bytes(img2pdf.convert(bytes(buffer.data())))
        text = ocr_worker.shared().read_pdf(pdf, ocr.RAPIDOCR)
        pid = ocr_worker.shared().pid
    if "CERTIFICATE" not in text.upper():
        raise RuntimeError(f"OCR read {text!r}")
    if pid in (None, os.getpid()):
        raise RuntimeError("OCR did not run in its own process")
    ocr_s = time.perf_counter() - started
    S3Storage("http://127.0.0.1:9", "us-east-1", "smoke", "key", "secret")
    text = " ".join(text.split())
    return f"parts: OCR read {text!r} in {ocr_s:.1f} s (process {pid}); S3 client made"


def quit_while_loading() -> bool:
    """`GCMC_SMOKE_QUIT=1`: sign in, open every page and quit at once, while they load."""
    return os.environ.get("GCMC_SMOKE_QUIT") == "1"


def excepthook(kind, value, tb) -> None:  # an uncaught error fails the check, loudly
    sys.__excepthook__(kind, value, tb)
    fail(f"{kind.__name__}: {value}")
