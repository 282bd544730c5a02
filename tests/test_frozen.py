"""The frozen build (installer/build.py) starts, reaches the login dialog with the embedded
database and demo data on a fresh profile, signs in, opens the clients list and quits cleanly —
the program's own `GCMC_SMOKE=1` self-check (the warm run also OCRs a line and makes an S3
client; a third run opens every page and quits while they load, which must print no traceback).
Cold (first start: the embedded server is created
and seeded) and warm times are printed, not asserted.

Marked `frozen`: not in the default run (building takes minutes); CI runs it as its own step
(`pytest -m frozen`), which builds the Linux package first when dist/ has none."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.frozen
ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
PROGRAM = DIST / "gcmc-desktop" / ("gcmc-desktop.exe" if os.name == "nt" else "gcmc-desktop")


@pytest.fixture(scope="module")
def program() -> Path:
    if not PROGRAM.exists() or os.environ.get("GCMC_REBUILD") == "1":
        subprocess.run([sys.executable, str(ROOT / "installer" / "build.py")], check=True)
    assert PROGRAM.exists()
    return PROGRAM


def smoke(program: Path, data: Path, **extra: str) -> tuple[list[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GCMC_", "DATABASE_URL"))}
    env.update(
        extra,
        GCMC_SMOKE="1",
        GCMC_DATA_DIR=str(data),
        XDG_CONFIG_HOME=str(data / "config"),  # a fresh profile: no saved settings
        QT_QPA_PLATFORM="offscreen",
        GCMC_SMOKE_T0=str(time.time()),
    )
    started = time.perf_counter()
    done = subprocess.run(
        [str(program)], env=env, capture_output=True, text=True, timeout=600, cwd=data
    )
    elapsed = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("SMOKE")]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return lines, elapsed


def seconds_at(lines: list[str], what: str) -> float:
    line = next(line for line in lines if what in line)
    return float(line.split()[1].rstrip("s"))


def test_frozen_app_signs_in_and_lists_clients(program: Path, tmp_path: Path, capsys) -> None:
    cold, cold_total = smoke(program, tmp_path)
    assert any("clients list: 50 clients" in line for line in cold), cold
    # Same profile: the database exists now. Also checks the parts the sign-in does not use:
    # OCR (RapidOCR on the headless OpenCV) and an S3 client (botocore's trimmed data).
    warm, warm_total = smoke(program, tmp_path, GCMC_SMOKE_PARTS="1")
    assert any("clients list:" in line for line in warm), warm
    assert any("parts: OCR read" in line for line in warm), warm
    # Every page opened and the app quit while they load: the embedded server stops under
    # their queries, quietly (smoke() checks stderr has no traceback).
    quit_lines, _ = smoke(program, tmp_path, GCMC_SMOKE_QUIT="1")
    assert any("quitting while they load" in line for line in quit_lines), quit_lines
    size = sum(
        p.stat().st_size for p in program.parent.rglob("*") if p.is_file() and not p.is_symlink()
    )
    with capsys.disabled():
        print(
            f"\nfrozen build {size / 2**20:.0f} MiB; login dialog after "
            f"{seconds_at(cold, 'login dialog')} s cold, {seconds_at(warm, 'login dialog')} s "
            f"warm; signed in and clients listed after {seconds_at(cold, 'clients list')} s "
            f"cold (embedded server created and seeded), {seconds_at(warm, 'clients list')} s "
            f"warm; whole run {cold_total:.1f} s / {warm_total:.1f} s (the warm one with the "
            f"parts check)\n{next(line for line in warm if 'parts:' in line)}"
        )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux package")
def test_linux_package_holds_the_program_and_its_menu_entry(program: Path) -> None:
    packages = sorted(DIST.glob("gcmc-desktop-*-linux-*.tar.gz"))
    assert packages, "installer/build.py writes the tarball"
    with tarfile.open(packages[-1]) as archive:
        names = set(archive.getnames())
    assert {"gcmc-desktop.desktop", "gcmc-desktop.png", "install.sh"} <= names
    assert "gcmc-desktop/gcmc-desktop" in names and "gcmc-desktop/gcmc" in names
