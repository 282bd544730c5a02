"""Settings to a provider: the one place that knows both implementations, importing each on
first use so a folder-only workstation never imports boto3."""

from __future__ import annotations

from pathlib import Path

from .base import StorageError, StorageProvider, StorageSettings, default_folder

__all__ = ["storage_from_settings"]


def storage_from_settings(settings: StorageSettings, secret_key: str | None) -> StorageProvider:
    """The provider the settings describe; StorageError naming what is missing."""
    if settings.kind == "local":
        from .folder import LocalFolderStorage

        if settings.folder is None:
            folder = default_folder()
            folder.mkdir(parents=True, exist_ok=True)
            return LocalFolderStorage(folder)
        # A configured folder is never created: an unmounted network share would otherwise
        # silently become an empty local folder and documents would scatter across machines.
        return LocalFolderStorage(Path(settings.folder))
    if settings.kind == "s3":
        from .s3 import S3Storage

        missing = [
            label
            for label, value in (
                ("bucket", settings.bucket),
                ("access key", settings.access_key),
                ("secret key", secret_key),
            )
            if not (value or "").strip()
        ]
        if missing:
            raise StorageError(f"S3 storage needs a {_and(missing)}.")
        return S3Storage(
            endpoint_url=(settings.endpoint_url or "").strip() or None,
            region=settings.region.strip() or "us-east-1",
            bucket=settings.bucket.strip(),
            access_key=settings.access_key.strip(),
            secret_key=secret_key or "",
        )
    raise StorageError(f"Unknown storage kind {settings.kind!r}.")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
