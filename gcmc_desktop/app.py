"""Start-up: settings → (remembered sign-in or) login dialog → main window; signing out comes
back to the login dialog without restarting."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from . import __version__
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
            else:
                from .db.embedded import revive

                # The demo server may have stopped since (killed, crashed): start it again
                # rather than fail every sign-in until the app is restarted.
                revive(self._local[0].gateway_url)
            return self._local[0]
        return server_profile(profile.host, profile.port, profile.database, gateway)

    def bring_to_front(self) -> None:
        """A second launch: show whichever window this run has (login or main)."""
        window = self.window if self.window is not None else self.dialog
        if window is None:
            return
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    def local_description(self) -> str:
        url = os.environ.get("DATABASE_URL")
        if url:
            from .db import to_sqlalchemy_url

            parsed = to_sqlalchemy_url(url)
            host = parsed.host or parsed.query.get("host") or "local socket"
            return f"Server from DATABASE_URL ({parsed.database} on {host})"
        return "Embedded demo database on this computer"

    def show_login(self, notice: str = "") -> None:
        from .services.demo.seed import demo_credentials
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
        from PySide6.QtWidgets import QApplication, QDialog

        dialog = self.dialog
        if result != QDialog.DialogCode.Accepted or dialog is None or dialog.context is None:
            QApplication.quit()
            return
        from .views.main_window import MainWindow
        from .views.scanning_station import ScanningStation, station_mode

        storage = _configured_storage()
        if station_mode() and storage is not None:
            self.window = ScanningStation(dialog.context, storage, on_close=QApplication.quit)
            self.window.show()
            return
        local = None
        if self._local is not None and not os.environ.get("DATABASE_URL"):
            from .views.local_server import LocalServer

            local = LocalServer.embedded(self._local[0].gateway_url)
        self.window = MainWindow(
            dialog.context,
            on_sign_out=self._signed_out,
            on_close=QApplication.quit,
            local_server=local if dialog.offline_session is None else None,
            offline_session=dialog.offline_session,  # "Work offline…" (issue 18)
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


# What Qt's xcb platform plugin loads on Linux, and the packages that provide it. Without one,
# Qt prints a plugin error that does not name what to install and aborts.
XCB_LIBRARIES: tuple[tuple[str, str, str], ...] = (
    # (soname, Debian/Ubuntu package, Fedora package): what libqxcb.so links against
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    ("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    ("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    ("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    ("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    ("libxcb.so.1", "libxcb1", "libxcb"),
    ("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    ("libX11.so.6", "libx11-6", "libX11"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    ("libGL.so.1", "libgl1", "libglvnd-glx"),
    ("libEGL.so.1", "libegl1", "libglvnd-egl"),
    ("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    ("libfreetype.so.6", "libfreetype6", "freetype"),
    ("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)


def _uses_xcb(argv: Sequence[str]) -> bool:
    """Whether Qt will pick its xcb (X11) platform: on Linux unless told otherwise."""
    if not sys.platform.startswith("linux"):
        return False
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "-platform" and i + 1 < len(args):
            platform = args[i + 1]
        elif arg.startswith("-platform="):
            platform = arg.split("=", 1)[1]
    if platform:
        return platform.split(":")[0].split(";")[0].strip() == "xcb"
    # Qt 6 prefers Wayland in a Wayland session and falls back to xcb; check xcb only when
    # it is the one that will be used.
    return not os.environ.get("WAYLAND_DISPLAY")


def missing_system_libraries(
    loader=None,  # (soname) -> bool, for tests
) -> list[tuple[str, str, str]]:
    """The libraries of `XCB_LIBRARIES` this system cannot load."""
    import ctypes

    def loads(soname: str) -> bool:
        try:
            ctypes.CDLL(soname)
        except OSError:
            return False
        return True

    check = loader or loads
    return [entry for entry in XCB_LIBRARIES if not check(entry[0])]


def missing_libraries_message(missing: list[tuple[str, str, str]]) -> str:
    names = ", ".join(soname for soname, _deb, _rpm in missing)
    debian = " ".join(dict.fromkeys(deb for _s, deb, _r in missing))
    fedora = " ".join(dict.fromkeys(rpm for _s, _d, rpm in missing))
    return (
        "GCMC Desktop cannot open its window: this system lacks libraries that Qt needs "
        f"to show windows on X11 ({names}).\n"
        "Install them, then start the app again:\n"
        f"  Debian/Ubuntu:  sudo apt install {debian}\n"
        f"  Fedora:         sudo dnf install {fedora}\n"
    )


def _quit_on_signals(app) -> None:
    """SIGTERM/SIGHUP (logging out, `kill`) end the run like File → Quit, so the embedded
    database server is stopped at exit instead of being left running."""
    import signal

    from PySide6.QtCore import QTimer

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: app.quit())
    # Python runs signal handlers only when it gets control; Qt's event loop is C++.
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(500)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv)
    if _uses_xcb(args):
        missing = missing_system_libraries()
        if missing:
            print(missing_libraries_message(missing), file=sys.stderr)
            return 1
    # Imported only now: loading Qt's GUI libraries fails outright when some are missing.
    from PySide6.QtWidgets import QApplication

    app = QApplication(args)
    app_settings.apply_connection_limits()
    app.setApplicationName("GCMC Desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("GCMC")
    app.setDesktopFileName("gcmc-desktop")
    app.setWindowIcon(application_icon())
    from .views.single_instance import SingleInstance

    instance = SingleInstance()
    if os.environ.get("GCMC_ALLOW_SECOND_INSTANCE") != "1" and os.environ.get("GCMC_SMOKE") != "1":
        if instance.hand_over():
            print("GCMC Desktop is already running: its window was brought to the front.")
            return 0
        instance.listen()
    _quit_on_signals(app)
    app.setQuitOnLastWindowClosed(False)  # signing out closes the window but not the app
    runner = Application()
    instance.activated.connect(runner.bring_to_front)
    runner.show_login()
    from .views import smoke

    if smoke.enabled():
        sys.excepthook = smoke.excepthook
        smoke.run(runner)
    return app.exec()


def application_icon():  # -> QIcon
    from importlib.resources import files

    from PySide6.QtGui import QIcon

    return QIcon(str(files("gcmc_desktop") / "resources" / "icon.svg"))


if __name__ == "__main__":
    sys.exit(main())
