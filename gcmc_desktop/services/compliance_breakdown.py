"""Reading a compliance_scores row as people read it (DOMAIN.md §3, Desktop convention): the
level from the score's band, and the breakdown as lines of (points, text).

The desktop writes `level` excellent (>=90) / good (>=70) / fair (>=50) / poor from the score
and a breakdown `{"version": 1, "base": 100, "items": [{"points": -10, "kind": …, "text": …,
…}], "rules": […]}`. Rows the web platform wrote carry `high/medium/low` (meaning compliance in
one writer and risk in another), so the stored level is never trusted: a row is always shown by
its scoreValue band. Their breakdowns come in three shapes, read tolerantly here:
`{"documents": n, "expiring": n, "overdue": n}` (the API's on-demand formula: −10 / −5 / −15),
`{"missing": n, "expiring": n, "overdue": n}` (the nightly worker's: −5 each),
`{"bundles": …}` (the setup wizard's placeholder), and null or empty (the row's counts only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LEVELS: tuple[str, ...] = ("excellent", "good", "fair", "poor")
# The lowest score of each band (poor: everything below fair).
LEVEL_FLOORS: dict[str, float] = {"excellent": 90.0, "good": 70.0, "fair": 50.0, "poor": 0.0}
LEVEL_LABELS: dict[str, str] = {
    "excellent": "Excellent",
    "good": "Good",
    "fair": "Fair",
    "poor": "Poor",
}
# The web platform's levels: stored, but never how a row is shown.
PLATFORM_LEVELS = frozenset({"high", "medium", "low"})

Line = tuple[int | None, str]


def clamp(score: float) -> float:
    return max(0.0, min(100.0, float(score)))


def level_for(score: float | None) -> str:
    """The desktop level of a score (clamped to 0..100): excellent / good / fair / poor."""
    value = clamp(score or 0.0)
    for level in LEVELS:
        if value >= LEVEL_FLOORS[level]:
            return level
    return "poor"


def level_range(level: str) -> tuple[float, float | None]:
    """The band of `level` as [low, high) (high None: no upper bound)."""
    if level not in LEVEL_FLOORS:
        raise ValueError(f"unknown compliance level {level!r}")
    index = LEVELS.index(level)
    upper = None if index == 0 else LEVEL_FLOORS[LEVELS[index - 1]]
    return LEVEL_FLOORS[level], upper


def _score_of(row: Mapping[str, Any]) -> float | None:
    for key in ("scoreValue", "score_value", "score"):
        value = row.get(key)
        if value is not None:
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def level_label(level_or_row: Any) -> str:
    """What the UI calls a level: "Excellent" … "Poor". Given a row (or a score) the label comes
    from its scoreValue band, whatever level it stores; a bare platform level (high / medium /
    low), which cannot be read without its score, says so."""
    if isinstance(level_or_row, Mapping):
        score = _score_of(level_or_row)
        if score is not None:
            return LEVEL_LABELS[level_for(score)]
        level_or_row = level_or_row.get("level")
    if isinstance(level_or_row, int | float) and not isinstance(level_or_row, bool):
        return LEVEL_LABELS[level_for(level_or_row)]
    text = "" if level_or_row is None else str(level_or_row).strip().lower()
    if text in LEVEL_LABELS:
        return LEVEL_LABELS[text]
    if text in PLATFORM_LEVELS:
        return "Not yet recalculated"
    return "—"


def format_line(points: int | None, text: str) -> str:
    """A breakdown line as shown: "−10 VAT registration certificate missing …" (a real minus
    sign), "+5 …", or the text alone when the points are unknown."""
    if points is None:
        return text
    if points < 0:
        return f"\u2212{-points} {text}"
    return f"+{points} {text}"


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _points(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return round(float(value))
    except (TypeError, ValueError):
        return None


def _item_text(item: Mapping[str, Any]) -> str:
    text = item.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    kind = str(item.get("kind") or "item").replace("_", " ")
    return kind.capitalize()


def _desktop_lines(items: Any) -> list[Line]:
    lines: list[Line] = []
    if not isinstance(items, list):
        return lines
    for item in items:
        if isinstance(item, Mapping):
            lines.append((_points(item.get("points")), _item_text(item)))
        elif isinstance(item, str) and item.strip():
            lines.append((None, item.strip()))
    return lines


def _count_lines(
    missing: int, expiring: int, overdue: int, weights: tuple[int, int, int] | None
) -> list[Line]:
    """Lines for the counts of a platform row; `weights` the formula's points per item (None:
    not known)."""
    parts = (
        (missing, _plural(missing, "document", "documents") + " pending review or rejected"),
        (expiring, _plural(expiring, "document", "documents") + " expiring within 30 days"),
        (overdue, _plural(overdue, "filing", "filings") + " overdue"),
    )
    lines: list[Line] = []
    for i, (n, text) in enumerate(parts):
        if n:
            lines.append((None if weights is None else -weights[i] * n, text))
    return lines


def _bundle_count(bundles: Any) -> int:
    if isinstance(bundles, list | tuple):
        total = 0
        for bundle in bundles:
            if isinstance(bundle, Mapping):
                items = bundle.get("items")
                total += len(items) if isinstance(items, list) else _count(bundle.get("count", 1))
            else:
                total += 1
        return total
    if isinstance(bundles, Mapping):
        return len(bundles)
    return _count(bundles)


def breakdown_lines(breakdown: Any, score_row: Mapping[str, Any]) -> list[Line]:
    """Every point deducted or added, as (points, readable text), from any breakdown form the
    desktop or the web platform writes; `score_row` gives the counts when the breakdown has
    none. Never raises on odd data: what cannot be read is left out."""
    row = score_row or {}
    missing = _count(row.get("missingCount", row.get("missing_count")))
    expiring = _count(row.get("expiringCount", row.get("expiring_count")))
    overdue = _count(row.get("overdueFilingsCount", row.get("overdue_filings_count")))
    if isinstance(breakdown, list):  # a bare list of items
        return _desktop_lines(breakdown)
    if not isinstance(breakdown, Mapping) or not breakdown:
        return _count_lines(missing, expiring, overdue, None)
    if "items" in breakdown:
        return _desktop_lines(breakdown.get("items"))
    if "bundles" in breakdown:
        n = _bundle_count(breakdown.get("bundles")) or missing
        text = (
            "Set up by the web platform's compliance wizard: "
            + _plural(n, "required bundle item", "required bundle items")
            + " not checked yet"
        )
        return [(None, text)]
    if "documents" in breakdown:  # the API's on-demand formula
        return _count_lines(
            _count(breakdown.get("documents")),
            _count(breakdown.get("expiring")),
            _count(breakdown.get("overdue")),
            (10, 5, 15),
        )
    if "missing" in breakdown:  # the nightly worker's formula
        return _count_lines(
            _count(breakdown.get("missing")),
            _count(breakdown.get("expiring")),
            _count(breakdown.get("overdue")),
            (5, 5, 5),
        )
    return _count_lines(missing, expiring, overdue, None)


# What a deduction of each kind asks someone to do.
_ACTIONS = {
    "document_missing": "Obtain and upload",
    "document_required": "Obtain and upload",
    "bundle_item": "Complete",
    "document_expiring": "Renew",
    "filing_overdue": "File",
    "filing_required": "Prepare and file",
}


def next_steps(breakdown: Any, score_row: Mapping[str, Any]) -> list[str]:
    """The deductions as a to-do list, worst first: "File: PAYE March 2026 overdue (−15)".
    Platform rows, whose breakdowns name no document or filing, get their count lines."""
    row = score_row or {}
    steps: list[tuple[int, str]] = []
    items = breakdown.get("items") if isinstance(breakdown, Mapping) else None
    if isinstance(items, list):
        for item in items:
            if not isinstance(item, Mapping):
                continue
            points = _points(item.get("points"))
            if points is None or points >= 0:
                continue
            action = _ACTIONS.get(str(item.get("kind") or ""), "Resolve")
            steps.append((points, f"{action}: {_item_text(item)} (\u2212{-points})"))
        return [text for _points_, text in sorted(steps, key=lambda s: s[0])]
    return [
        f"Resolve: {format_line(points, text)}"
        for points, text in breakdown_lines(breakdown, row)
        if points is None or points < 0
    ]
