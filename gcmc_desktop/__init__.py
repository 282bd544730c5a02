"""GCMC Desktop: the desktop client of the GCMC-KAJ compliance platform."""

from importlib.metadata import PackageNotFoundError, version

try:  # the one version, from pyproject.toml (installed metadata; bundled in the frozen build)
    __version__ = version("gcmc-desktop")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"
