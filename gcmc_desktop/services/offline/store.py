"""The offline copy at rest: one encrypted store per user profile under the app data dir,
`<data>/offline/<tenant_code>-<user_id>/`:

    manifest.json     plaintext: format version, checkout ids, client ids, expiry — nothing else
    meta.bin          the firm, the user (name, e-mail, role, permissions, a scrypt verifier of
                      the password), the checkouts by client
    records.bin       the rows, {table: [row as JSON]}
    files/<n>.bin     document files, one blob each
    journal.bin       the offline changes, written back when an offline session closes
    new/<n>.bin       files added offline (new documents / versions)

Every blob is AES-256-GCM (`cryptography`) with a fresh 96-bit nonce, the blob's name as
associated data (a blob cannot be swapped for another), under a random 256-bit key kept in the
OS keyring (service "gcmc-desktop-offline", one entry per store). Without the keyring entry the
store is noise; deleting the entry is enough to make a copy unreadable.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import keyring
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from keyring.errors import KeyringError, PasswordDeleteError

from ..errors import ServiceError

KEYRING_SERVICE = "gcmc-desktop-offline"
FORMAT = 1
MAGIC = b"GCMO1"
MANIFEST = "manifest.json"
META = "meta.bin"
RECORDS = "records.bin"
JOURNAL = "journal.bin"


class StoreError(ServiceError):
    default_message = (
        "The offline copy cannot be read on this computer (its key is missing from the "
        "system keyring, or the files are damaged). Sync is not possible; check it out again."
    )


@dataclass(frozen=True)
class OfflineCopy:
    path: Path
    tenant_code: str
    tenant_name: str
    email: str
    user_name: str
    clients: int
    expires_at: datetime
    expired: bool
    pending_changes: int


def root() -> Path:
    from ...db.embedded import data_dir

    return data_dir() / "offline"


def store_name(tenant_code: str, user_id: str) -> str:
    return f"{tenant_code}-{user_id}"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Keys and blobs


def _key(name: str, *, create: bool = False) -> bytes:
    try:
        stored = keyring.get_password(KEYRING_SERVICE, name)
        if stored is None and create:
            stored = base64.b64encode(secrets.token_bytes(32)).decode()
            keyring.set_password(KEYRING_SERVICE, name, stored)
    except KeyringError as exc:
        raise StoreError(
            "The offline copy needs the system keyring to keep its key, and none is available."
        ) from exc
    if stored is None:
        raise StoreError()
    return base64.b64decode(stored)


def _forget_key(name: str) -> None:
    with contextlib.suppress(PasswordDeleteError, KeyringError):
        keyring.delete_password(KEYRING_SERVICE, name)


def encrypt(key: bytes, label: str, data: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, data, label.encode())


def decrypt(key: bytes, label: str, blob: bytes) -> bytes:
    if not blob.startswith(MAGIC):
        raise StoreError()
    nonce, body = blob[len(MAGIC) : len(MAGIC) + 12], blob[len(MAGIC) + 12 :]
    try:
        return AESGCM(key).decrypt(nonce, body, label.encode())
    except InvalidTag as exc:
        raise StoreError() from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


class Store:
    """One store directory and its key."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        self.name = path.name
        if create:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            (path / "files").mkdir(exist_ok=True, mode=0o700)
            (path / "new").mkdir(exist_ok=True, mode=0o700)
        self._key_bytes: bytes | None = _key(self.name, create=True) if create else None

    @property
    def key(self) -> bytes:
        if self._key_bytes is None:
            self._key_bytes = _key(self.name)
        return self._key_bytes

    # blobs
    def write_blob(self, relative: str, data: bytes) -> int:
        blob = encrypt(self.key, relative, data)
        _write_atomic(self.path / relative, blob)
        return len(blob)

    def read_blob(self, relative: str) -> bytes:
        try:
            blob = (self.path / relative).read_bytes()
        except OSError as exc:
            raise StoreError() from exc
        return decrypt(self.key, relative, blob)

    def write_json(self, relative: str, value: Any) -> int:
        return self.write_blob(relative, json.dumps(value, default=_json_default).encode())

    def read_json(self, relative: str, default: Any = None) -> Any:
        if default is not None and not (self.path / relative).exists():
            return default
        return json.loads(self.read_blob(relative))

    # plaintext manifest
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        _write_atomic(
            self.path / MANIFEST, json.dumps(manifest, default=_json_default, indent=1).encode()
        )

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise StoreError() from exc

    def meta(self) -> dict[str, Any]:
        return self.read_json(META)

    def journal(self) -> list[dict[str, Any]]:
        return self.read_json(JOURNAL, default=[])

    def write_journal(self, entries: list[dict[str, Any]], pending: int | None = None) -> None:
        self.write_json(JOURNAL, entries)
        manifest = self.manifest()
        manifest["pending"] = len(entries) if pending is None else pending
        self.write_manifest(manifest)

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def delete(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        _forget_key(self.name)


def open_store(copy: OfflineCopy | Path) -> Store:
    path = copy.path if isinstance(copy, OfflineCopy) else Path(copy)
    return Store(path)


def describe(path: Path) -> OfflineCopy | None:
    """The copy in `path`, or None when it is not a readable store."""
    try:
        store = Store(path)
        manifest = store.manifest()
        meta = store.meta()
    except StoreError:
        return None
    expires = datetime.fromisoformat(manifest["expires_at"])
    return OfflineCopy(
        path=path,
        tenant_code=meta["tenant"]["code"],
        tenant_name=meta["tenant"]["name"],
        email=meta["user"]["email"],
        user_name=meta["user"]["name"],
        clients=len(manifest.get("clients", [])),
        expires_at=expires,
        expired=expires <= now(),
        pending_changes=int(manifest.get("pending", 0)),
    )


def copies() -> list[OfflineCopy]:
    """The offline copies this workstation holds (that it can read)."""
    base = root()
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.iterdir()):
        if path.is_dir() and (path / MANIFEST).exists():
            copy = describe(path)
            if copy is not None:
                found.append(copy)
    return found
