"""Document file storage: where the bytes of document versions live, behind one interface.

Two providers: a local or network folder (`folder.LocalFolderStorage`, the default) and
S3-compatible object storage through boto3 (`s3.S3Storage`: MinIO, AWS S3). Keys are
content-addressed under the tenant (`tenants/{t}/documents/{d}/{sha256}`), so a retried upload
writes the same key and the key itself proves what the bytes are. The database row is written
only after `put_file` returns; objects left without a row by a crash in between are found by
`find_orphans` and removed by maintenance once they are old enough.

Qt-free, and free of QSettings/keyring: settings arrive as plain values (`StorageSettings`).
Every failure reaches callers as a `StorageError` with a message for people, never a botocore
traceback.

The package: `base` (the interface, settings, errors, keys, orphans), `folder` and `s3` (the
two providers), `factory` (settings to a provider). Callers import from the package itself.
"""

from __future__ import annotations

from typing import Any

from .base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_PART_SIZE,
    PARTIAL_WRITE_AGE,
    Cancelled,
    ObjectInfo,
    Progress,
    StorageCancelled,
    StorageCheck,
    StorageError,
    StorageNotFound,
    StorageProvider,
    StorageSettings,
    canonical_provider_name,
    check_key,
    default_folder,
    find_orphans,
    find_partial_writes,
    object_key,
    pending_key,
    provider_for,
    remove_orphans,
    remove_partial_writes,
    sha256_file,
    tenant_prefix,
)
from .factory import storage_from_settings

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_PART_SIZE",
    "PARTIAL_WRITE_AGE",
    "Cancelled",
    "LocalFolderStorage",
    "ObjectInfo",
    "Progress",
    "S3Storage",
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
    "storage_from_settings",
    "tenant_prefix",
]


# The implementations, imported on first use: boto3 takes a noticeable time to import and a
# folder-only workstation never needs it.


def __getattr__(name: str) -> Any:
    if name == "LocalFolderStorage":
        from .folder import LocalFolderStorage

        return LocalFolderStorage
    if name == "S3Storage":
        from .s3 import S3Storage

        return S3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
