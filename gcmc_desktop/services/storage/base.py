"""The storage interface every provider implements, with what all of them share: keys,
settings, errors, checksums, and finding orphans and half-written files.

Imports no provider: `folder` and `s3` import this module, never the other way round, and the
factory that picks one (`factory.storage_from_settings`) imports them on first use.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal

from ..errors import ServiceError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_PART_SIZE",
    "Cancelled",
    "ObjectInfo",
    "Progress",
    "StorageCancelled",
    "StorageCheck",
    "StorageError",
    "StorageNotFound",
    "StorageProvider",
    "StorageSettings",
    "canonical_provider_name",
    "check_key",
    "default_folder",
    "find_orphans",
    "find_partial_writes",
    "object_key",
    "pending_key",
    "provider_for",
    "remove_orphans",
    "remove_partial_writes",
    "sha256_file",
    "tenant_prefix",
]

Progress = Callable[[int, int], None]
"""`progress(done_bytes, total_bytes)`; called from the thread doing the transfer."""

Cancelled = Callable[[], bool]

DEFAULT_CHUNK_SIZE = 1024 * 1024
DEFAULT_PART_SIZE = 8 * 1024 * 1024


# --------------------------------------------------------------------------------------------
# Errors and results


class StorageError(ServiceError):
    default_message = "The document storage could not complete the operation."


class StorageNotFound(StorageError):
    default_message = "The file is missing from the document storage."


class StorageCancelled(StorageError):
    """The caller's `cancelled()` said stop; nothing was left under the final key."""

    default_message = "The transfer was cancelled."


@dataclass(frozen=True)
class StorageCheck:
    """Outcome of `test_connection`; `message` names exactly what is wrong (or what works)."""

    ok: bool
    message: str


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime  # timezone-aware, UTC


# --------------------------------------------------------------------------------------------
# Keys

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_sha256(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise StorageError("Internal error: a file checksum must be 64 lowercase hex digits.")
    return sha256


def tenant_prefix(tenant_id: int) -> str:
    return f"tenants/{int(tenant_id)}/"


def object_key(tenant_id: int, document_id: int, sha256: str) -> str:
    return f"{tenant_prefix(tenant_id)}documents/{int(document_id)}/{_check_sha256(sha256)}"


def pending_key(tenant_id: int, sha256: str) -> str:
    """Where a file waits whose document row does not exist yet (e.g. a scan being filed)."""
    return f"{tenant_prefix(tenant_id)}pending/{_check_sha256(sha256)}"


def check_key(key: str) -> str:
    """Reject keys that could escape the folder provider's root or mean different things to
    the two providers (`a//b`, `..`, backslashes), so both hold exactly the same key space."""
    if not key or key.startswith("/") or "\\" in key or "\0" in key:
        raise StorageError(f"Invalid storage key {key!r}.")
    # Dot-names are the folder provider's own (temp files, probes, .DS_Store): never keys.
    if any(not part or part.startswith(".") for part in key.split("/")):
        raise StorageError(f"Invalid storage key {key!r}.")
    return key


# --------------------------------------------------------------------------------------------
# Hashing


def sha256_file(
    path: Path | str, progress: Progress | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> tuple[str, int]:
    """(hex SHA-256, size) of a file, read in chunks so a 2 GB scan never sits in memory."""
    path = Path(path)
    digest = hashlib.sha256()
    done = 0
    try:
        total = path.stat().st_size
        with path.open("rb") as source:
            while chunk := source.read(chunk_size):
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except FileNotFoundError:
        raise StorageError(f"The file {path} does not exist.") from None
    except OSError as exc:
        raise StorageError(f"The file {path} cannot be read: {exc.strerror or exc}.") from None
    if progress and done == 0:
        progress(0, 0)
    return digest.hexdigest(), done


# --------------------------------------------------------------------------------------------
# The interface


class StorageProvider(ABC):
    """One place document files live. Implementations are safe to call from a worker thread;
    one instance may be shared by several threads."""

    name: str = ""

    @abstractmethod
    def put_file(
        self,
        key: str,
        path: Path | str,
        *,
        sha256: str,
        size: int,
        content_type: str,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> None:
        """Store the file at `path` under `key`, all or nothing. Raises StorageError when the
        file no longer matches `sha256`/`size`, StorageCancelled when `cancelled()` turns true."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The stored size, or None when there is no such object."""

    @abstractmethod
    def open_read(self, key: str) -> BinaryIO:
        """A stream of the object's bytes; the caller closes it. StorageNotFound if missing."""

    @abstractmethod
    def download_to(self, key: str, path: Path | str, progress: Progress | None = None) -> None:
        """Copy the object to `path`; `path` appears only once complete."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""

    @abstractmethod
    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]: ...

    def list_keys(self, prefix: str) -> Iterator[str]:
        for info in self.list_objects(prefix):
            yield info.key

    def partial_writes(self, prefix: str) -> Iterator[ObjectInfo]:
        """What writes killed mid-way left under `prefix` (not keys: `key` is the path within
        the store). The folder provider's `.….part` files; other providers leave none."""
        return iter(())

    def delete_partial_write(self, path: str) -> None:
        """Remove one of `partial_writes`; a missing one is not an error."""
        raise NotImplementedError

    @abstractmethod
    def test_connection(self) -> StorageCheck:
        """Write, read back and delete a small probe object; never raises."""

    @abstractmethod
    def describe(self) -> str:
        """Where the files are, for people ("folder /srv/gcmc", "bucket docs at …")."""


# --------------------------------------------------------------------------------------------
# Provider names as stored in document_versions.storageProvider

# The web platform records its own uploads as 'minio'; they are S3 objects like ours.
_ALIASES = {"local": "local", "folder": "local", "s3": "s3", "minio": "s3"}


def canonical_provider_name(name: str) -> str:
    """'local' or 's3' for a storageProvider value; StorageError for one nobody can read."""
    canonical = _ALIASES.get((name or "").strip().lower())
    if canonical is None:
        raise StorageError(
            f"Files stored with the provider {name!r} cannot be read by this application."
        )
    return canonical


def provider_for(name: str, providers: Mapping[str, StorageProvider]) -> StorageProvider:
    """The configured provider that reads a version's `storageProvider` value.

    `providers` maps canonical names ('local', 's3') to the configured instances."""
    canonical = canonical_provider_name(name)
    provider = providers.get(canonical)
    if provider is None:
        kind = "a local folder" if canonical == "local" else "S3-compatible storage"
        raise StorageError(
            f"This file is kept in {kind}, which is not configured on this workstation. "
            "Set it up under Settings → Document storage."
        )
    return provider


# --------------------------------------------------------------------------------------------
# Settings


@dataclass
class StorageSettings:
    """What the settings page edits and settings.py persists; the secret key is kept apart
    (keyring) and passed next to it."""

    kind: Literal["local", "s3"] = "local"
    folder: Path | None = None  # None: the default folder under the data dir
    endpoint_url: str | None = None  # None: AWS S3 itself
    region: str = "us-east-1"
    bucket: str = ""
    access_key: str = ""


def default_folder() -> Path:
    from gcmc_desktop.db.embedded import data_dir

    return data_dir() / "files"


# --------------------------------------------------------------------------------------------
# Orphans

_TENANT_PREFIX = re.compile(r"tenants/\d+/")


def find_orphans(
    provider: StorageProvider,
    known_keys: Iterable[str],
    prefix: str,
    older_than: timedelta,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Keys under `prefix` that no document version refers to and that were stored before
    `now - older_than`.

    The age limit protects uploads in flight: the object is stored before its row is written.
    `prefix` must be one tenant's (`tenants/{id}/…`) because `known_keys` come from a database
    that shows one tenant only; scanning wider would call every other firm's files orphans."""
    if not _TENANT_PREFIX.match(prefix):
        raise StorageError(f"Orphan search must stay within one firm's files, not {prefix!r}.")
    known = set(known_keys)
    cutoff = (now or datetime.now(UTC)) - older_than
    return [
        info.key
        for info in provider.list_objects(prefix)
        if info.key not in known and info.modified < cutoff
    ]


def remove_orphans(
    provider: StorageProvider,
    known_keys: Iterable[str],
    prefix: str,
    older_than: timedelta,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Delete what `find_orphans` finds; returns the deleted keys."""
    orphans = find_orphans(provider, known_keys, prefix, older_than, now=now)
    for key in orphans:
        provider.delete(key)
    return orphans


# A write killed mid-way (power cut, killed process) leaves a temp file. Only old ones go: a
# large file over a slow network share can take hours, and it is written under a temp name.
PARTIAL_WRITE_AGE = timedelta(days=1)


def find_partial_writes(
    provider: StorageProvider,
    prefix: str,
    older_than: timedelta = PARTIAL_WRITE_AGE,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Leftovers of killed writes under one tenant's `prefix`, at least `older_than` (and never
    less than a day) old."""
    if not _TENANT_PREFIX.match(prefix):
        raise StorageError(f"Clean-up must stay within one firm's files, not {prefix!r}.")
    cutoff = (now or datetime.now(UTC)) - max(older_than, PARTIAL_WRITE_AGE)
    return [info.key for info in provider.partial_writes(prefix) if info.modified < cutoff]


def remove_partial_writes(
    provider: StorageProvider,
    prefix: str,
    older_than: timedelta = PARTIAL_WRITE_AGE,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Delete what `find_partial_writes` finds; returns their paths."""
    found = find_partial_writes(provider, prefix, older_than, now=now)
    for path in found:
        provider.delete_partial_write(path)
    return found
