"""Status moves as data: a domain declares which statuses each one may become (DOMAIN.md §2,
"Desktop convention (transitions)") and `refuse_illegal` turns a move that is not among them
into a field message that names the moves that are allowed."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import ValidationError

Transitions = Mapping[str, frozenset[str]]


def quoted_code(value: str) -> str:
    return f'"{value}"'


def status_words(value: str) -> str:
    """A stored status as people read it: "awaiting_client" -> "awaiting client"."""
    return value.replace("_", " ")


def allowed_moves(transitions: Transitions, current: str | None) -> list[str]:
    return sorted(transitions.get(current or "", frozenset()))


def refuse_illegal(
    transitions: Transitions,
    old: str | None,
    new: str,
    noun: str,
    *,
    field: str = "status",
    label: Callable[[str], str] = quoted_code,
    allowed_label: Callable[[str], str] = str,
) -> None:
    """Raise ValidationError (on `field`) unless `old` may become `new`; no move is a move."""
    if old is None or old == new:
        return
    allowed = transitions.get(old, frozenset())
    if new not in allowed:
        choices = ", ".join(allowed_label(s) for s in sorted(allowed)) or "nothing: it is final"
        raise ValidationError(
            field_errors={field: f"A {noun} that is {label(old)} can only become: {choices}."}
        )
