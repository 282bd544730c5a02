"""Taking files from a scan folder reliably — a local folder or a network share.

A multifunction printer writes a scan over seconds; network shares (SMB, NFS) deliver no file
events, or late ones. So a file is taken only when:
- its name is not a temporary one (`.`-files, `~$…`, `.tmp`, `.part`, `.crdownload`);
- its size and modification time were the same at two looks at least `settle` seconds apart
  (a slow writer changes one of them between looks; a file renamed into place is stable at
  once and is taken at the second look);
- it can be opened for reading and writing — on Windows that fails while the scanner still has
  it open; elsewhere an advisory lock is tried as well;
- its SHA-256 is not in the journal of files taken before (the same scan dropped twice, or a
  move that failed after processing): such a file is moved to `processed/` as a duplicate.

A sub-folder dropped into the scan folder (scanners that save one image per page, e.g.
`scan_0001.jpg`, `scan_0002.jpg`, … in a folder per batch) is ONE scan: it is taken when its
page files — how many, their sizes, their modification times — and the folder's own time held
still for `settle` seconds, no temporary-named file is left in it, and every page opens; then
it is split at its sheets like a multi-page PDF (pages in name order, numbers as numbers).

Scanners that write the numbered page images of a batch straight into the scan folder
(`scan_0001.jpg`, `scan_0002.jpg`, … with no sub-folder) get the same: numbered images with the
same name before the number and the same type are held until none of them changed for
`batch_quiet` seconds (a scanner pauses between pages for less than that), then moved into a
sub-folder of their own (`scan 0001-0004/`) — through a hidden `.gathering-…` folder renamed at
the end, so a station stopped half-way leaves nothing half-gathered: the next start moves such
a folder's images back — and taken as one folder batch. A numbered image alone in its group is
a scan by itself, after the same wait.

Processed originals move to `processed/YYYY-MM-DD/`, failures to `failed/` with a
`NAME.reason.txt` beside them. Events (the station's QFileSystemWatcher) only make it look
sooner; the periodic look alone is enough, which is what a share without events gets.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .pages import IMAGE_SUFFIXES, PDF_SUFFIXES, natural_key

PROCESSED = "processed"
FAILED = "failed"
STATE = ".gcmc-intake"
TEMPORARY_SUFFIXES = {".tmp", ".part", ".partial", ".crdownload", ".download"}
SCAN_SUFFIXES = PDF_SUFFIXES | IMAGE_SUFFIXES
BATCH_QUIET = 10.0
GATHERING = ".gathering-"
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


@dataclass(frozen=True)
class Observation:
    size: int
    mtime_ns: int
    seen_at: float


def is_candidate(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~$")) or path.suffix.lower() in TEMPORARY_SUFFIXES:
        return False
    return path.suffix.lower() in SCAN_SUFFIXES


def _folder_state(path: Path) -> tuple[int, int] | None:
    """(total size, a fingerprint of names, sizes and times) of a batch folder's page files;
    None while it is empty, still has temporary-named files, or cannot be read."""
    try:
        entries = list(os.scandir(path))
        state = [os.stat(path).st_mtime_ns]
        total = 0
        pages = 0
        for entry in entries:
            if not entry.is_file():
                continue
            name = entry.name
            suffix = os.path.splitext(name)[1].lower()
            if suffix in TEMPORARY_SUFFIXES:
                return None  # the scanner is still writing a page under a temporary name
            if name.startswith((".", "~$")) or suffix not in SCAN_SUFFIXES:
                continue
            stat = entry.stat()
            state += [hash(name), stat.st_size, stat.st_mtime_ns]
            total += stat.st_size
            pages += 1
    except OSError:
        return None
    if not pages:
        return None
    return total, hash(tuple(state))


def _pages_in(path: Path) -> list[Path]:
    from .pages import batch_pages

    return batch_pages(path)


def page_group(path: Path) -> tuple[str, str] | None:
    """(name before the number, type) of a numbered page image — `scan_0003.jpg` is
    ("scan_", ".jpg"); None for any other file."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return None
    match = _NUMBERED.match(path.stem)
    return (match["prefix"], suffix) if match else None


def is_batch_folder(path: Path) -> bool:
    """A sub-folder that holds one scan's pages (not the station's own folders)."""
    return not path.name.startswith((".", "~$")) and path.name not in (PROCESSED, FAILED)


def _openable(path: Path) -> bool:
    if path.is_dir():
        return all(_openable(page) for page in _pages_in(path))
    try:
        handle = open(path, "rb+")  # noqa: SIM115 - closed below; Windows refuses while written
    except OSError:
        return False
    with handle:
        try:
            import fcntl
        except ImportError:  # Windows: the open above was the test
            return True
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return True


def sha256_of(path: Path) -> str:
    """The file's SHA-256; for a batch folder, of its pages' names and checksums in order."""
    digest = hashlib.sha256()
    if path.is_dir():
        for page in _pages_in(path):
            digest.update(f"{page.name}\0{sha256_of(page)}\n".encode())
        return digest.hexdigest()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Journal:
    """The checksums of the files taken from this folder, one JSON line each (append-only:
    a crash loses at most the line being written)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    self._seen[entry["sha256"]] = entry

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self._seen

    def get(self, sha256: str) -> dict | None:
        return self._seen.get(sha256)

    def record(self, sha256: str, name: str, outcome: str) -> None:
        entry = {"sha256": sha256, "name": name, "outcome": outcome, "at": _now()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self._seen[sha256] = entry


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ScanFolder:
    def __init__(
        self, root: Path | str, *, settle: float = 2.0, batch_quiet: float = BATCH_QUIET
    ) -> None:
        self.root = Path(root)
        self.settle = settle
        self.batch_quiet = max(batch_quiet, settle)
        self.journal = Journal(self.root / STATE / "journal.jsonl")
        self._seen: dict[Path, Observation] = {}
        self._undo_gathering()

    def _undo_gathering(self) -> None:
        """A gathering the station did not finish (it was stopped): its images go back."""
        with contextlib.suppress(OSError):
            for folder in self.root.glob(GATHERING + "*"):
                for page in folder.iterdir():
                    if not (self.root / page.name).exists():
                        shutil.move(str(page), str(self.root / page.name))
                with contextlib.suppress(OSError):
                    folder.rmdir()

    def ready(self, now: float | None = None) -> list[Path]:
        """Files that may be taken now (oldest first); remembers what it saw for next time."""
        now = time.monotonic() if now is None else now
        found: dict[Path, Observation] = {}
        ready: list[tuple[int, Path]] = []
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []  # the share went away: look again later
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir():
                    if not is_batch_folder(path):
                        continue
                    state = _folder_state(path)
                    # Empty or still being written: listed as arriving, never stable.
                    size, stamp = state or (0, time.monotonic_ns())
                    order = entry.stat().st_mtime_ns
                elif entry.is_file() and is_candidate(path):
                    stat = entry.stat()
                    size = stat.st_size
                    stamp = order = stat.st_mtime_ns
                else:
                    continue
            except OSError:
                continue
            before = self._seen.get(path)
            current = Observation(size, stamp, now)
            if before and (before.size, before.mtime_ns) == (current.size, current.mtime_ns):
                current = before  # keep when it first looked like this
                if now - before.seen_at >= self.settle and size > 0 and _openable(path):
                    ready.append((order, path))
            found[path] = current
        # Before `found` is shared: the thread filing a scan drops entries of `self._seen`.
        ready = self._batches(ready, found, now)
        self._seen = found
        return [p for _m, p in sorted(ready)]

    def _batches(
        self, ready: list[tuple[int, Path]], seen: dict[Path, Observation], now: float
    ) -> list[tuple[int, Path]]:
        """`ready` without the loose numbered page images: a group of them all ready and
        quiet for `batch_quiet` is gathered into a folder (taken at a later look, and dropped
        from `seen`), or left in as one scan if it is alone; any other group waits."""
        groups: dict[tuple[str, str], list[Path]] = {}
        for path in seen:
            key = page_group(path) if path.parent == self.root else None
            if key is not None and path.is_file():
                groups.setdefault(key, []).append(path)
        if not groups:
            return ready
        taken = {path for _order, path in ready}
        held: set[Path] = set()
        for (prefix, _suffix), pages in groups.items():
            quiet = now - max(seen[p].seen_at for p in pages) >= self.batch_quiet
            if not (quiet and taken.issuperset(pages)):
                held.update(pages)
            elif len(pages) > 1:
                held.update(pages)
                with contextlib.suppress(OSError):  # a page moved meanwhile: the next look
                    self._gather(prefix, pages)
                for page in pages:
                    seen.pop(page, None)
        return [(order, path) for order, path in ready if path not in held]

    def _gather(self, prefix: str, pages: list[Path]) -> Path:
        pages = sorted(pages, key=natural_key)
        first, last = (_NUMBERED.match(p.stem)["number"] for p in (pages[0], pages[-1]))
        name = f"{prefix.strip(' _-.') or 'scan'} {first}-{last}"
        staging = self.root / f"{GATHERING}{name}"
        staging.mkdir(exist_ok=True)
        for page in pages:
            shutil.move(str(page), str(staging / page.name))
        target, counter = self.root / name, 1
        while target.exists():
            target = self.root / f"{name} ({counter})"
            counter += 1
        staging.rename(target)
        return target

    def _move(self, path: Path, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        stem, suffix = (path.name, "") if path.is_dir() else (path.stem, path.suffix)
        counter = 1
        while target.exists():
            target = folder / f"{stem} ({counter}){suffix}"
            counter += 1
        shutil.move(str(path), str(target))
        self._seen.pop(path, None)
        return target

    def processed(self, path: Path, sha256: str, outcome: str = "filed") -> Path:
        self.journal.record(sha256, path.name, outcome)
        day = datetime.now().strftime("%Y-%m-%d")
        return self._move(path, self.root / PROCESSED / day)

    def failed(self, path: Path, reason: str) -> Path:
        target = self._move(path, self.root / FAILED)
        target.with_name(target.name + ".reason.txt").write_text(
            f"{_now()}\n{reason}\n", encoding="utf-8"
        )
        return target
