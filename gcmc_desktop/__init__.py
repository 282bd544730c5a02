"""GCMC Desktop: the desktop client of the GCMC-KAJ compliance platform."""

__version__ = "0.1.0"
