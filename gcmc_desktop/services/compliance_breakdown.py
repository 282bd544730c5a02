"""Reading compliance scores (DOMAIN.md §3, Desktop convention): the level from the score, its
label, and the breakdown as readable lines — for rows the desktop wrote (`{"version": 1, …}`)
and, tolerantly, for the web platform's forms (`{"documents": n, "expiring": n, "overdue": n}`,
`{"missing": n, …}`, `{"bundles": …}`, nothing at all).

A stored `level` is never trusted: the platform wrote high/medium/low (with two opposite
meanings), so the level shown is always the band of `scoreValue`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LEVELS: tuple[str, ...] = ("excellent", "good", "fair", "poor")
LEVEL_LABELS: dict[str, str] = {
    "excellent": "Excellent",
    "good": "Good",
    "fair": "Fair",
    "poor": "Poor",
}


def level_for(score: Any) -> str:
    """excellent (>= 90), good (>= 70), fair (>= 50), else poor; no score reads as poor."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "poor"
    if value != value:  # NaN
        return "poor"
    if value >= 90:
        return "excellent"
    if value >= 70:
        return "good"
    if value >= 50:
        return "fair"
    return "poor"


def level_label(level_or_row: Any) -> str:
    """The label of a level code, or of a score row (by its scoreValue band, never its stored
    level)."""
    if isinstance(level_or_row, Mapping):
        score = level_or_row.get("scoreValue", level_or_row.get("score_value"))
        return LEVEL_LABELS[level_for(score)]
    if level_or_row in LEVEL_LABELS:
        return LEVEL_LABELS[level_or_row]
    return LEVEL_LABELS[level_for(level_or_row)]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _points(value: Any) -> int | None:
    try:
        return round(float(value))
    except (TypeError, ValueError):
        return None


def breakdown_lines(breakdown: Any, score_row: Mapping[str, Any]) -> list[tuple[int | None, str]]:
    """(points, text) per deduction or addition, in the stored order."""
    if isinstance(breakdown, Mapping) and isinstance(breakdown.get("items"), list):
        lines: list[tuple[int | None, str]] = []
        for item in breakdown["items"]:
            if isinstance(item, Mapping):
                lines.append((_points(item.get("points")), str(item.get("text") or "")))
        return lines
    # The platform's forms: counts only.
    counts = breakdown if isinstance(breakdown, Mapping) else {}
    missing = counts.get("documents", counts.get("missing", score_row.get("missingCount")))
    expiring = counts.get("expiring", score_row.get("expiringCount"))
    overdue = counts.get("overdue", score_row.get("overdueFilingsCount"))
    lines = []
    for count, each, what in (
        (_int(missing), -10, "document(s) pending review, rejected or missing"),
        (_int(expiring), -5, "document(s) expiring within 30 days"),
        (_int(overdue), -15, "filing(s) overdue"),
    ):
        if count > 0:
            lines.append((each * count, f"{count} {what}"))
    if isinstance(counts.get("bundles"), list | Mapping) and counts.get("bundles"):
        lines.append((None, "Requirement bundles set up on the web platform (not yet evaluated)"))
    if not lines:
        lines.append((None, "Not yet explained: recalculate to see each point"))
    return lines
