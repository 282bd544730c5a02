"""Settings: the connection profile and UI state in QSettings; secrets (the gateway password of
a central server, a remembered sign-in) in the OS keyring — never in a plain file.

Where the OS has no keyring (a headless Linux box), nothing secret is remembered and the caller
is told why (`KeyringUnavailable`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError
from PySide6.QtCore import QSettings

KEYRING_SERVICE = "GCMC Desktop"
EMBEDDED = "embedded"
SERVER = "server"


class KeyringUnavailable(RuntimeError):
    """The OS keyring cannot be used; the message says so in words for the user."""


@dataclass
class ConnectionProfile:
    kind: str = EMBEDDED
    host: str = "localhost"
    port: int = 5432
    database: str = "gcmc_kaj"
    last_email: str = ""

    @property
    def embedded(self) -> bool:
        return self.kind == EMBEDDED

    @property
    def key(self) -> str:
        """Identifies the database in the keyring."""
        return "embedded" if self.embedded else f"{self.host}:{self.port}/{self.database}"

    def describe(self) -> str:
        return "Embedded demo database" if self.embedded else self.key


def settings() -> QSettings:
    """INI format on every OS: one readable file per user, the same everywhere."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "GCMC", "GCMC Desktop")


def load_profile() -> ConnectionProfile:
    store = settings()
    default = ConnectionProfile()
    return ConnectionProfile(
        kind=str(store.value("connection/kind", default.kind)),
        host=str(store.value("connection/host", default.host)),
        port=int(store.value("connection/port", default.port)),
        database=str(store.value("connection/database", default.database)),
        last_email=str(store.value("connection/lastEmail", "")),
    )


def save_profile(profile: ConnectionProfile) -> None:
    store = settings()
    store.setValue("connection/kind", profile.kind)
    store.setValue("connection/host", profile.host)
    store.setValue("connection/port", profile.port)
    store.setValue("connection/database", profile.database)
    store.setValue("connection/lastEmail", profile.last_email)
    store.sync()


def get_secret(name: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, name)
    except (NoKeyringError, KeyringError):
        return None


def set_secret(name: str, value: str) -> None:
    try:
        keyring.set_password(KEYRING_SERVICE, name, value)
    except NoKeyringError as exc:
        raise KeyringUnavailable(
            "This computer has no password store (keyring), so it cannot be remembered."
        ) from exc
    except KeyringError as exc:
        raise KeyringUnavailable(f"The password store refused to save it: {exc}") from exc


def delete_secret(name: str) -> None:
    with contextlib.suppress(NoKeyringError, PasswordDeleteError, KeyringError):
        keyring.delete_password(KEYRING_SERVICE, name)


def gateway_secret_name(profile: ConnectionProfile) -> str:
    return f"gateway:{profile.key}"


def remembered_secret_name(profile: ConnectionProfile) -> str:
    return f"remembered:{profile.key}"


def load_storage():  # -> tuple[StorageSettings, str | None]
    """Where document files go on this workstation, and the S3 secret key from the keyring."""
    from pathlib import Path

    from .services.storage import StorageSettings

    store = settings()
    folder = str(store.value("storage/folder", "") or "")
    endpoint = str(store.value("storage/endpoint", "") or "")
    values = StorageSettings(
        kind="s3" if store.value("storage/kind", "local") == "s3" else "local",
        folder=Path(folder) if folder else None,
        endpoint_url=endpoint or None,
        region=str(store.value("storage/region", "us-east-1")),
        bucket=str(store.value("storage/bucket", "")),
        access_key=str(store.value("storage/accessKey", "")),
    )
    return values, get_secret(storage_secret_name(values)) if values.kind == "s3" else None


def save_storage(values, secret: str | None) -> None:
    """Persist the storage choice; the secret key goes to the keyring (KeyringUnavailable if
    there is none — the caller tells the user it must be entered each time)."""
    store = settings()
    store.setValue("storage/kind", values.kind)
    store.setValue("storage/folder", str(values.folder) if values.folder else "")
    store.setValue("storage/endpoint", values.endpoint_url or "")
    store.setValue("storage/region", values.region)
    store.setValue("storage/bucket", values.bucket)
    store.setValue("storage/accessKey", values.access_key)
    store.sync()
    if values.kind == "s3" and secret:
        set_secret(storage_secret_name(values), secret)


def storage_secret_name(values) -> str:
    return f"s3:{values.endpoint_url or 'aws'}:{values.bucket}:{values.access_key}"


# Connection limits (seconds; 0 = no limit), for sites whose server or network is slow. The
# database layer reads them from the environment (it has no Qt): `apply_connection_limits`
# copies the [database] settings there unless the environment already sets them.
CONNECTION_LIMITS = {
    "database/connectTimeoutSeconds": "GCMC_CONNECT_TIMEOUT",
    "database/statementTimeoutSeconds": "GCMC_STATEMENT_TIMEOUT",
}


def apply_connection_limits() -> dict[str, str]:
    """Export the configured limits to the environment; returns what was exported."""
    import os

    store = settings()
    exported: dict[str, str] = {}
    for key, variable in CONNECTION_LIMITS.items():
        value = store.value(key)
        if value in (None, "") or os.environ.get(variable):
            continue
        try:
            seconds = float(str(value))
        except ValueError:
            continue  # a typo in the settings file must not stop the app
        os.environ[variable] = exported[variable] = f"{seconds:g}"
    return exported


# -- notifications (issue 15) ----------------------------------------------------------------

TRAY_NOTIFICATIONS_KEY = "notifications/tray"


def tray_notifications_enabled() -> bool:
    """Whether new notifications pop up in the system tray (on unless turned off)."""
    value = settings().value(TRAY_NOTIFICATIONS_KEY, True)
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)


def set_tray_notifications(enabled: bool) -> None:
    store = settings()
    store.setValue(TRAY_NOTIFICATIONS_KEY, bool(enabled))
    store.sync()
