"""The one way a domain service reads and writes a record, returning plain data.

A domain module declares an `Entity`: its model, the permission module that guards it, and its
validation (`validate(data, partial=...)`, built on `records.clean_fields` and the domain's own
rules); optionally checks that need the database (a parent that must exist, a unique rule worded
by the domain's registered constraint message). `Entity` then does, for every record:

    gate (`require`) -> clean/validate -> domain checks -> conflict check on `updated_at`
    -> commit (the audit trail is written by database triggers) -> error translation
    (`integrity.translated`) -> snapshot

and hands views and the CLI a plain dict keyed by attribute name (`records.snapshot`: always
with "id" and, where the table has one, "updated_at"), never an ORM object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic

from . import records
from .context import Context, require
from .records import M

Record = dict[str, Any]
Validate = Callable[..., dict[str, Any]]  # (data, *, partial: bool) -> cleaned values
# Checks needing the database, after validation and before the write; raise a ServiceError.
CreateCheck = Callable[[Context, dict[str, Any]], None]
UpdateCheck = Callable[[Context, Any, dict[str, Any]], None]


@dataclass(frozen=True)
class Entity(Generic[M]):
    model: type[M]
    module: str  # the permission module (DOMAIN.md §1) guarding the records
    validate: Validate
    check_create: CreateCheck | None = None
    check_update: UpdateCheck | None = None
    # The permission action each operation needs where the module names it otherwise (DOMAIN.md
    # §1: rule sets and bundles are created and deleted with `compliance:edit`).
    actions: Mapping[str, str] = field(default_factory=dict)

    def action(self, operation: str) -> str:
        return self.actions.get(operation, operation)

    def get(self, ctx: Context, ident: Any) -> Record:
        require(ctx, self.module, "view")
        return records.snapshot(records.get(ctx, self.model, ident))

    def create(self, ctx: Context, data: Mapping[str, Any], **fixed: Any) -> Record:
        """A new record in the signed-in firm; `fixed` are values the caller sets, not the user
        (e.g. the parent's id)."""
        require(ctx, self.module, self.action("create"))
        values = self.validate(dict(data), partial=False)
        values.update(fixed)
        if self.check_create is not None:
            self.check_create(ctx, values)
        if hasattr(self.model, "tenant_id"):  # a child row (a rule) has its parent's firm
            values["tenant_id"] = ctx.tenant_id
        obj = records.create(ctx, self.model(**values))
        return records.snapshot(obj)

    def update(
        self,
        ctx: Context,
        ident: Any,
        changes: Mapping[str, Any],
        expected_updated_at: datetime | None,
    ) -> Record:
        """Apply `changes` unless the record was saved since `expected_updated_at` (then a
        ConflictError carries the current values)."""
        require(ctx, self.module, self.action("edit"))
        values = self.validate(dict(changes), partial=True)
        if self.check_update is not None:
            self.check_update(ctx, ident, values)
        obj = records.update(ctx, self.model, ident, values, expected_updated_at)
        return records.snapshot(obj)

    def delete(self, ctx: Context, ident: Any) -> None:
        require(ctx, self.module, self.action("delete"))
        records.delete(ctx, self.model, ident)


def scoped(data: Mapping[str, Any], scope: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A new child record's values on a page scoped to its parent (one rule set's rules, one
    service's templates): the scope's parent id unless the form chose one."""
    values = dict(data)
    if scope.get(key) is not None and not values.get(key):
        values[key] = scope[key]
    return values
