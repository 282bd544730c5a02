"""Status lifecycles (DOMAIN.md §2, "Desktop convention (transitions)"): which status a record
may move to from the one it has, and the one message that refuses an illegal move, naming the
moves that are allowed. Filings, tasks, service requests and their steps declare theirs; the
platform enforces none."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import ValidationError


def status_words(value: object) -> str:
    """A stored status as words in a sentence: "awaiting_client" -> "awaiting client"."""
    return str(value or "").replace("_", " ")


def status_label(value: object) -> str:
    """A stored status as people read it: "in_progress" -> "In progress"."""
    return status_words(value).capitalize()


@dataclass(frozen=True)
class Transitions:
    """A lifecycle: `moves[status]` = the statuses reachable in one move. `label` shows a
    status in the refusal (the stored code by default, as filings have always said it)."""

    noun: str
    moves: Mapping[str, frozenset[str]]
    label: Callable[[str], str] = str
    field: str = "status"

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.moves)

    def allowed(self, old: str | None) -> frozenset[str]:
        return self.moves.get(old or "", frozenset())

    def choices(self, old: str | None) -> list[str]:
        """The statuses `old` may become, sorted (what a form offers)."""
        return sorted(self.allowed(old))

    def check(self, old: str | None, new: str) -> None:
        """Nothing for staying put or a first status (None); else ValidationError on `field`
        naming the allowed moves, sorted by their labels."""
        if old is None or old == new:
            return
        allowed = self.allowed(old)
        if new in allowed:
            return
        names = sorted(self.label(s) for s in allowed)
        choices = ", ".join(names) or "nothing: it is final"
        raise ValidationError(
            field_errors={
                self.field: f'A {self.noun} that is "{self.label(old)}" can only become: {choices}.'
            }
        )
