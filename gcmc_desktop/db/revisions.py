"""An earlier migration's module, for a later one that restores or rewrites what it defined
(its SQL bodies), so the project keeps one copy of each body."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def earlier(name: str, versions: Path) -> ModuleType:
    """The migration file `versions/<name>.py`, loaded as a module of its own."""
    path = versions / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"gcmc_migration_{name}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
