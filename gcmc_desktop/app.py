"""Start-up: settings → (remembered sign-in or) login dialog → main window; signing out comes
back to the login dialog without restarting."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QDialog

from . import settings as app_settings
from .services.auth import RememberedLogin, ServerProfile


class Application:
    """Owns the windows of one run: the login dialog, then the main window."""

    def __init__(self) -> None:
        self._local: tuple[ServerProfile, str] | None = None
        self.window = None
        self.dialog = None

    def resolve_profile(
        self, profile: app_settings.ConnectionProfile, gateway: str
    ) -> ServerProfile:
        """Runs in a background job: may start and seed the embedded server."""
        from .services.connection import default_profile, server_profile

        if profile.embedded:
            if self._local is None:
                self._local = default_profile(storage=_configured_storage())
            return self._local[0]
        return server_profile(profile.host, profile.port, profile.database, gateway)

    def local_description(self) -> str:
        url = os.environ.get("DATABASE_URL")
        if url:
            from .db import to_sqlalchemy_url

            parsed = to_sqlalchemy_url(url)
            host = parsed.host or parsed.query.get("host") or "local socket"
            return f"Server from DATABASE_URL ({parsed.database} on {host})"
        return "Embedded demo database on this computer"

    def show_login(self, notice: str = "") -> None:
        from .services.seed import demo_credentials
        from .views.login_dialog import LoginDialog

        profile = app_settings.load_profile()
        remembered = None
        raw = app_settings.get_secret(app_settings.remembered_secret_name(profile))
        if raw and not notice:
            try:
                remembered = RememberedLogin.from_json(raw)
            except (ValueError, TypeError):
                app_settings.delete_secret(app_settings.remembered_secret_name(profile))
        demo = None if os.environ.get("DATABASE_URL") else demo_credentials(True)
        self.dialog = LoginDialog(
            profile,
            self.resolve_profile,
            local_description=self.local_description(),
            demo_users=demo,
            remembered=remembered,
            notice=notice,
        )
        self.dialog.finished.connect(self._login_finished)
        self.dialog.show()

    def _login_finished(self, result: int) -> None:
        dialog = self.dialog
        if result != QDialog.DialogCode.Accepted or dialog is None or dialog.context is None:
            QApplication.quit()
            return
        from .views.main_window import MainWindow

        self.window = MainWindow(
            dialog.context, on_sign_out=self._signed_out, on_close=QApplication.quit
        )
        self.window.show()
        # Everything loaded so far (Qt, SQLAlchemy, boto3…) lives for the whole run: freezing it
        # keeps full garbage collections from walking it, which otherwise stalled the GUI for
        # 100-250 ms during large upload batches (bench/uploads.py).
        gc.collect()
        gc.freeze()

    def _signed_out(self) -> None:
        profile = app_settings.load_profile()
        app_settings.delete_secret(app_settings.remembered_secret_name(profile))
        self.window = None
        self.show_login()


def _configured_storage():  # -> StorageProvider | None
    """This workstation's document store, for the demo documents' files; None when it is not
    usable (the main window explains why once signed in)."""
    from .services.storage import StorageError, storage_from_settings

    values, secret = app_settings.load_storage()
    try:
        return storage_from_settings(values, secret)
    except StorageError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    app = QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("GCMC Desktop")
    app.setOrganizationName("GCMC")
    app.setQuitOnLastWindowClosed(False)  # signing out closes the window but not the app
    runner = Application()
    runner.show_login()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
