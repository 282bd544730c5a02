"""Build this platform's GCMC Desktop package: `uv run python installer/build.py`.

1. Icons: the SVG in gcmc_desktop/resources rendered by Qt to PNG, ICO (Windows) and ICNS
   (macOS) in build/icons — no image files are kept in the repository.
2. PyInstaller with installer/gcmc-desktop.spec: a one-folder build in dist/gcmc-desktop
   (macOS: also dist/GCMC Desktop.app).
3. The package:
   - Linux: dist/gcmc-desktop-VERSION-linux-ARCH.tar.gz with a .desktop file and the icon;
   - Windows: dist/gcmc-desktop-VERSION-setup.exe, if Inno Setup's ISCC.exe is installed
     (installer/windows/gcmc-desktop.iss);
   - macOS: dist/GCMC-Desktop-VERSION.dmg (hdiutil, part of macOS).
Prints the folder's size and the largest parts, so what is shipped stays visible.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
DIST = ROOT / "dist"
ICONS = BUILD / "icons"
SPEC = ROOT / "installer" / "gcmc-desktop.spec"


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def make_icons() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(ROOT / "gcmc_desktop" / "resources" / "icon.svg"))
    ICONS.mkdir(parents=True, exist_ok=True)

    def render(size: int) -> QImage:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        return image

    render(512).save(str(ICONS / "gcmc.png"))
    render(256).save(str(ICONS / "gcmc.ico"))  # Qt's ico plugin
    if not render(1024).save(str(ICONS / "gcmc.icns")):
        (ICONS / "gcmc.icns").unlink(missing_ok=True)  # no icns writer here: macOS has iconutil


def pyinstaller() -> Path:
    env = dict(os.environ, GCMC_ICON_DIR=str(ICONS), GCMC_VERSION=version())
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
         "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"), str(SPEC)],
        check=True, env=env,
    )  # fmt: skip
    return DIST / "gcmc-desktop"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def report_size(folder: Path) -> None:
    total = folder_size(folder)
    print(f"\n{folder}: {total / 2**20:.0f} MiB")
    parts: dict[str, int] = {}
    internal = folder / "_internal"
    for child in (internal if internal.is_dir() else folder).iterdir():
        if child.is_symlink():  # a link to a library counted where it lies
            continue
        parts[child.name] = folder_size(child) if child.is_dir() else child.stat().st_size
    for name, size in sorted(parts.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {size / 2**20:8.1f} MiB  {name}")


DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=GCMC Desktop
Comment=Tax, NIS and business-registration compliance work
Exec=gcmc-desktop/gcmc-desktop
Icon=gcmc-desktop
Terminal=false
Categories=Office;Finance;
StartupWMClass=gcmc-desktop
"""


def package_linux(folder: Path) -> Path:
    # gzip level 6, not tarfile's 9: a quarter of the time (45 s, not 3 min, at load 6) for
    # 0.4 % more bytes.
    target = DIST / f"gcmc-desktop-{version()}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        archive.add(folder, arcname="gcmc-desktop")
        entry = BUILD / "gcmc-desktop.desktop"
        entry.write_text(DESKTOP_ENTRY)
        archive.add(entry, arcname="gcmc-desktop.desktop")
        archive.add(ICONS / "gcmc.png", arcname="gcmc-desktop.png")
        archive.add(ROOT / "installer" / "linux" / "install.sh", arcname="install.sh")
    return target


def package_windows(folder: Path) -> Path | None:
    iscc = shutil.which("ISCC") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    if not Path(iscc).exists():
        print("Inno Setup (ISCC.exe) not found: the folder build is in", folder)
        return None
    script = ROOT / "installer" / "windows" / "gcmc-desktop.iss"
    subprocess.run(
        [iscc, f"/DAppVersion={version()}", f"/DSourceDir={folder}",
         f"/DIconFile={ICONS / 'gcmc.ico'}",
         f"/O{DIST}", str(script)],
        check=True,
    )  # fmt: skip
    return DIST / f"gcmc-desktop-{version()}-setup.exe"


def package_macos() -> Path:
    app = DIST / "GCMC Desktop.app"
    target = DIST / f"GCMC-Desktop-{version()}.dmg"
    target.unlink(missing_ok=True)
    subprocess.run(
        ["hdiutil", "create", "-volname", "GCMC Desktop", "-srcfolder", str(app),
         "-ov", "-format", "UDZO", str(target)],
        check=True,
    )  # fmt: skip
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-package", action="store_true", help="the folder build only")
    args = parser.parse_args()
    make_icons()
    folder = pyinstaller()
    report_size(folder)
    if args.no_package:
        return 0
    if sys.platform.startswith("linux"):
        print("Package:", package_linux(folder))
    elif sys.platform == "win32":
        print("Package:", package_windows(folder))
    elif sys.platform == "darwin":
        print("Package:", package_macos())
    return 0


if __name__ == "__main__":
    sys.exit(main())
