"""Document files in a local or network folder: one file per key, `root/tenants/1/documents/…`.

Writes go to a dot-named temp file in the target's own directory, are fsynced and checked
against the expected SHA-256, then renamed over the final name: a rename within a directory is
atomic, so a crash or a cancel never leaves a half file under a key.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .base import (
    DEFAULT_CHUNK_SIZE,
    Cancelled,
    ObjectInfo,
    Progress,
    StorageCancelled,
    StorageCheck,
    StorageError,
    StorageNotFound,
    StorageProvider,
    _check_sha256,
    check_key,
    sha256_file,
)

__all__ = ["LocalFolderStorage"]

_PROBE = b"GCMC Desktop storage check\n"
# The temp names `_open_temp` makes: `.{name}.{12 hex}.part`.
_PARTIAL = re.compile(r"\..+\.[0-9a-f]{12}\.part")


class LocalFolderStorage(StorageProvider):
    name = "local"

    def __init__(self, root: Path | str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.root = Path(root)
        self.chunk_size = chunk_size

    def describe(self) -> str:
        return f"the folder {self.root}"

    # ---------------------------------------------------------------------------- paths

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _require_root(self) -> None:
        """Fail loudly when the folder is gone: an unmounted share must not read as 'no such
        file' (or, for writes, be recreated on the local disk)."""
        problem = self._root_problem()
        if problem:
            raise StorageError(problem)

    def _root_problem(self) -> str | None:
        root = self.root
        try:
            if root.is_dir():
                return None
            if root.exists():
                return f"{root} is a file, not a folder."
        except OSError as exc:
            return f"The folder {root} cannot be reached: {_reason(exc)}."
        try:
            ancestor = root.parent
            while ancestor != ancestor.parent and not ancestor.exists():
                ancestor = ancestor.parent
            if ancestor.exists() and not ancestor.is_dir():
                return f"The folder {root} cannot exist: {ancestor} is a file, not a folder."
        except OSError:
            pass  # the plain "does not exist" below is still true
        return (
            f"The folder {root} does not exist. Create it, or connect the network drive "
            "that holds it."
        )

    def _write_error(self, exc: OSError, what: str) -> StorageError:
        return StorageError(f"Cannot write {what} in the folder {self.root}: {_reason(exc)}.")

    # ---------------------------------------------------------------------------- writing

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
        target = self._path(key)
        _check_sha256(sha256)
        source_path = Path(path)
        self._require_root()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp, out = _open_temp(target)
        except OSError as exc:
            raise self._write_error(exc, "the file") from None
        try:
            digest = hashlib.sha256()
            done = 0
            with out:
                try:
                    source = source_path.open("rb")
                except OSError as exc:
                    raise StorageError(
                        f"The file {source_path} cannot be read: {_reason(exc)}."
                    ) from None
                with source:
                    while True:
                        if cancelled and cancelled():
                            raise StorageCancelled()
                        try:
                            chunk = source.read(self.chunk_size)
                        except OSError as exc:
                            raise StorageError(
                                f"The file {source_path} cannot be read: {_reason(exc)}."
                            ) from None
                        if not chunk:
                            break
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, size)
                out.flush()
                os.fsync(out.fileno())
            if done != size or digest.hexdigest() != sha256:
                raise StorageError(
                    f"The file {source_path} changed while it was being stored. "
                    "Check it and add it again."
                )
            # Read back what reached the folder: network shares and failing disks can store
            # something other than what was written without reporting an error.
            written, written_size = sha256_file(temp, chunk_size=self.chunk_size)
            if written != sha256 or written_size != size:
                raise StorageError(
                    f"The copy written to the folder {self.root} is damaged "
                    "(its checksum does not match). Check the drive and try again."
                )
            if cancelled and cancelled():
                raise StorageCancelled()
            os.replace(temp, target)
        except OSError as exc:
            _discard(temp)
            raise self._write_error(exc, "the file") from None
        except BaseException:
            _discard(temp)
            raise
        _fsync_dir(target.parent)
        if progress and size == 0:
            progress(0, 0)

    def download_to(self, key: str, path: Path | str, progress: Progress | None = None) -> None:
        source = self.open_read(key)
        _copy_to_file(source, Path(path), self._total(key), progress, self.chunk_size)

    def delete(self, key: str) -> None:
        target = self._path(key)
        self._require_root()
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot delete {key} from the folder {self.root}: {_reason(exc)}."
            ) from None

    # ---------------------------------------------------------------------------- reading

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        target = self._path(key)
        self._require_root()
        try:
            stat = target.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(
                f"Cannot read {key} in the folder {self.root}: {_reason(exc)}."
            ) from None
        return stat.st_size if target.is_file() else None

    def _total(self, key: str) -> int:
        return self.size(key) or 0

    def open_read(self, key: str) -> BinaryIO:
        target = self._path(key)
        self._require_root()
        try:
            return target.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise StorageNotFound(
                f"The file {key} is missing from the folder {self.root}."
            ) from None
        except OSError as exc:
            raise StorageError(
                f"Cannot read {key} in the folder {self.root}: {_reason(exc)}."
            ) from None

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        self._require_root()
        directory, _, _ = prefix.rpartition("/")
        start = self.root.joinpath(*directory.split("/")) if directory else self.root
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            relative = Path(dirpath).relative_to(self.root).as_posix()
            base = "" if relative == "." else relative + "/"
            # Only descend where keys with the prefix can be.
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and ((base + d + "/").startswith(prefix) or prefix.startswith(base + d + "/"))
            )
            for name in sorted(filenames):
                key = base + name
                if name.startswith(".") or not key.startswith(prefix):
                    continue  # temp files, probes, .DS_Store: never keys
                try:
                    stat = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue  # deleted while listing
                yield ObjectInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def partial_writes(self, prefix: str) -> Iterator[ObjectInfo]:
        """The `.….part` temp files `put_file` and `download_to` leave when killed mid-way."""
        self._require_root()
        start = self.root.joinpath(*[p for p in prefix.split("/") if p])
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in sorted(filenames):
                if not _PARTIAL.fullmatch(name):
                    continue
                try:
                    stat = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue  # finished or removed while listing
                yield ObjectInfo(
                    f"{relative}/{name}", stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)
                )

    def delete_partial_write(self, path: str) -> None:
        parts = path.split("/")
        # Only ever a temp file inside the store: never a key, never outside the root.
        if not _PARTIAL.fullmatch(parts[-1]) or any(p in ("", ".", "..") for p in parts):
            raise StorageError(f"Not a partial write: {path!r}.")
        self._require_root()
        try:
            self.root.joinpath(*parts).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot delete {path} from the folder {self.root}: {_reason(exc)}."
            ) from None

    # ---------------------------------------------------------------------------- checking

    def test_connection(self) -> StorageCheck:
        problem = self._root_problem()
        if problem:
            return StorageCheck(False, problem)
        probe: Path | None = None
        try:
            probe, out = _open_temp(self.root / "gcmc-probe")
            with out:
                out.write(_PROBE)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            if probe is not None:
                _discard(probe)
            return StorageCheck(
                False, f"The folder {self.root} exists but cannot be written to: {_reason(exc)}."
            )
        read_error: OSError | None = None
        try:
            readback = probe.read_bytes()
        except OSError as exc:
            readback, read_error = b"", exc
        try:
            probe.unlink()
        except OSError as exc:
            return StorageCheck(
                False, f"Files can be written to {self.root} but not deleted: {_reason(exc)}."
            )
        if read_error is not None:
            return StorageCheck(
                False, f"A test file written to {self.root} cannot be read: {_reason(read_error)}."
            )
        if readback != _PROBE:
            return StorageCheck(False, f"A test file written to {self.root} read back differently.")
        return StorageCheck(
            True, f"The folder {self.root} works: files can be written, read and deleted."
        )


# -------------------------------------------------------------------------------- helpers


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the drive is read-only"
    if exc.errno == errno.ENOSPC:
        return "the drive is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    return (exc.strerror or str(exc)).rstrip(".").lower()


def _open_temp(target: Path) -> tuple[Path, BinaryIO]:
    """A new dot-named file beside `target`. Not tempfile.mkstemp: its 0600 mode would hide
    the document from the other staff accounts that share a network folder."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    return temp, os.fdopen(fd, "wb")


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open directories, and NTFS
    journals the rename anyway."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_to_file(
    source: BinaryIO, path: Path, total: int, progress: Progress | None, chunk_size: int
) -> None:
    """Stream `source` into `path` through a temp file beside it, so `path` is whole or absent.
    Shared by both providers."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp, out = _open_temp(path)
    except OSError as exc:
        source.close()
        raise StorageError(f"Cannot write {path}: {_reason(exc)}.") from None
    done = 0
    try:
        with source, out:
            while chunk := source.read(chunk_size):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, max(total, done))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        _discard(temp)
        raise StorageError(f"Cannot write {path}: {_reason(exc)}.") from None
    except BaseException:
        _discard(temp)
        raise
    if progress and done == 0:
        progress(0, 0)
