"""The read side of compliance scores (issue 14): the firm's scores list, the distribution by
level for the chart, and one client's score with its breakdown lines. The engine
(`compliance` recalculation) writes the rows; nothing here writes them.

Levels are always taken from the scoreValue band (compliance_breakdown.level_for), never from
the stored `level`: rows the web platform wrote say high/medium/low, meaning compliance in one
writer and risk in another (DOMAIN.md §3).

*Last calculated* is the later of the row's lastCalculatedAt (when the engine last changed the
row: it leaves a score that came out the same alone) and the firm's last whole-firm run
(`desktop_score_runs`, migration 0018), which computed every score."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select

from ..models import Client, ComplianceScore, RequirementBundle
from .compliance_breakdown import (
    LEVEL_LABELS,
    LEVELS,
    PLATFORM_LEVELS,
    Line,
    breakdown_lines,
    level_for,
    level_label,
    level_range,
    next_steps,
)
from .compliance_scoring import SCORE_RUNS
from .context import Context, require
from .paging import ColumnSpec, PagedQuery, format_value, search_function

LEVEL = "level"
BUNDLE = "bundle_id"


def _score_text(value: Any) -> str:
    return "" if value is None else f"{float(value):.0f}"


def _band_label(value: Any) -> str:
    return "" if value is None else LEVEL_LABELS[level_for(value)]


# When the score was last computed: the row's own time, or the firm's last full run if later.
CALCULATED_AT = func.greatest(ComplianceScore.last_calculated_at, SCORE_RUNS.c.lastFullRunAt)

SCORE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("client", "Client", Client.name, tie_breaker=Client.id),
    ColumnSpec("score", "Score", ComplianceScore.score_value, formatter=_score_text),
    # The level shown is the score's band: the same column, read differently.
    ColumnSpec(
        "level", "Level", ComplianceScore.score_value, sortable=False, formatter=_band_label
    ),
    ColumnSpec("sector", "Sector", Client.sector, sortable=False),
    ColumnSpec("missing", "Missing", ComplianceScore.missing_count, sortable=False),
    ColumnSpec("expiring", "Expiring", ComplianceScore.expiring_count, sortable=False),
    ColumnSpec("overdue", "Overdue filings", ComplianceScore.overdue_filings_count, sortable=False),
    ColumnSpec(
        "calculated",
        "Last calculated",
        CALCULATED_AT,
        formatter=format_value,
        nullable=False,
    ),
)
SCORE_FILTERS = {"sector": Client.sector, "client_id": ComplianceScore.client_id}


def band_condition(level: str) -> Any:
    """Rows whose scoreValue is in `level`'s band (scores outside 0..100 count as clamped)."""
    low, high = level_range(level)
    score = ComplianceScore.score_value
    if level == LEVELS[-1]:
        return score < level_range(LEVELS[-2])[0]
    if high is None:
        return score >= low
    return and_(score >= low, score < high)


def _level(value: Any) -> Any:
    levels = [value] if isinstance(value, str) else list(value)
    bad = [v for v in levels if v not in LEVEL_LABELS]
    if bad:
        raise ValueError(f"unknown compliance level {bad[0]!r}")
    conditions = [band_condition(v) for v in levels]
    return conditions[0] if len(conditions) == 1 else or_(*conditions)


# (firm, bundle) -> (score rows naming the bundle, the firm's score rows), as `bundle_choices`
# last counted them (in the background, when the list's bundle filter loads its choices).
_BUNDLE_SIZES: dict[tuple[int, int], tuple[int, int]] = {}


def rare_bundle(count: int, total: int) -> bool:
    """Whether the list's first page of a bundle naming `count` of `total` score rows is read
    faster from the bundle's own rows (an index lookup, then one probe per row: about 13 µs
    each) than by testing the rows in score order until a page is found (about 2.5 µs a row,
    50·total/count rows): measured at 100,000 clients, see README."""
    return count <= max(100, 3 * math.isqrt(max(total, 0)))


def _bundle(tenant_id: int) -> Callable[[Any], Any]:
    """The `bundle_id` filter: rows whose breakdown deducts points for an item of bundle
    `value` (the desktop breakdown names the bundle of each bundle item; platform rows name
    none). A rare bundle's rows come from `desktop_score_bundle_clients` (migration 0022: a
    GIN index over the bundles each breakdown names, which row-level security would not let
    the list use); a common one's first page is found sooner by testing each row's breakdown
    in list order. Which is which, `bundle_choices` counted; unknown counts as common."""

    def predicate(value: Any) -> Any:
        try:
            bundle_id = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{BUNDLE} takes a bundle id, not {value!r}") from None
        if not -(2**31) <= bundle_id < 2**31:
            raise ValueError(f"{BUNDLE} takes a bundle id, not {value!r}")
        sizes = _BUNDLE_SIZES.get((tenant_id, bundle_id))
        if sizes is not None and rare_bundle(*sizes):
            ids = func.desktop_score_bundle_clients(tenant_id, bundle_id).column_valued()
            return ComplianceScore.client_id.in_(select(ids))
        return ComplianceScore.breakdown["items"].contains([{"bundle_id": bundle_id}])

    return predicate


def score_list_query(ctx: Context) -> PagedQuery:
    """The firm's compliance scores, one row per client, poorest first. Filters: `level`
    (excellent / good / fair / poor, by the scoreValue band), `sector`, `bundle_id` (clients
    losing points for an item of that requirement bundle), `client_id`. Search over the client
    (name, e-mail, TIN, NIS number) through `desktop_client_search`. Row ids are client ids."""
    require(ctx, "compliance", "view")
    base = (
        select(ComplianceScore)
        .join(Client, Client.id == ComplianceScore.client_id)
        .outerjoin(SCORE_RUNS, SCORE_RUNS.c.tenantId == ComplianceScore.tenant_id)
        .where(ComplianceScore.tenant_id == ctx.tenant_id)
    )
    return PagedQuery(
        base,
        SCORE_COLUMNS,
        search_columns=(Client.name, Client.email, Client.tin, Client.nis_number),
        search_ids=search_function("desktop_client_search", ctx.tenant_id),
        filter_columns=SCORE_FILTERS,
        filter_predicates={LEVEL: _level, BUNDLE: _bundle(ctx.tenant_id)},
        id_column=ComplianceScore.client_id,
        sort_key="score",
    )


def distribution(ctx: Context) -> dict[str, int]:
    """How many of the firm's clients have a score in each band, every level present (zeros
    included), in LEVELS order."""
    require(ctx, "compliance", "view")
    band = case(
        *[(band_condition(level), literal(level)) for level in LEVELS[:-1]],
        else_=literal(LEVELS[-1]),
    )
    rows = ctx.session.execute(
        select(band, func.count())
        .select_from(ComplianceScore)
        .where(ComplianceScore.tenant_id == ctx.tenant_id)
        .group_by(band)
    )
    counts = dict.fromkeys(LEVELS, 0)
    for level, n in rows:
        counts[level] = int(n)
    return counts


def bundle_choices(ctx: Context) -> list[tuple[str, int]]:
    """(label, id) of the firm's requirement bundles, for the list's bundle filter. Also counts
    the score rows naming each (through the index of migration 0022), so that the filter
    reads a rare bundle's rows by that index (`rare_bundle`)."""
    require(ctx, "compliance", "view")
    rows = ctx.session.execute(
        select(
            RequirementBundle.authority,
            RequirementBundle.name,
            RequirementBundle.id,
            select(
                func.count(
                    func.desktop_score_bundle_clients(
                        ctx.tenant_id, RequirementBundle.id
                    ).column_valued()
                )
            ).scalar_subquery(),
        )
        .where(RequirementBundle.tenant_id == ctx.tenant_id)
        .order_by(RequirementBundle.authority, RequirementBundle.name, RequirementBundle.id)
    ).all()
    total = ctx.session.scalar(
        select(func.count())
        .select_from(ComplianceScore)
        .where(ComplianceScore.tenant_id == ctx.tenant_id)
    )
    for _authority, _name, bundle_id, count in rows:
        _BUNDLE_SIZES[(ctx.tenant_id, bundle_id)] = (int(count or 0), int(total or 0))
    return [(f"{authority}: {name}", bundle_id) for authority, name, bundle_id, _n in rows]


def client_score(ctx: Context, client_id: int) -> dict[str, Any] | None:
    """One client's score: value, level (from the band) and its label, the counts, when it was
    calculated, whether the stored level is the platform's, and the breakdown lines; None when
    the client has no score yet."""
    require(ctx, "compliance", "view")
    row = ctx.session.execute(
        select(ComplianceScore, Client.name, CALCULATED_AT)
        .join(Client, Client.id == ComplianceScore.client_id)
        .outerjoin(SCORE_RUNS, SCORE_RUNS.c.tenantId == ComplianceScore.tenant_id)
        .where(ComplianceScore.tenant_id == ctx.tenant_id, ComplianceScore.client_id == client_id)
    ).first()
    if row is None:
        return None
    score, name, calculated_at = row
    values = {
        "scoreValue": score.score_value,
        "level": score.level,
        "missingCount": score.missing_count,
        "expiringCount": score.expiring_count,
        "overdueFilingsCount": score.overdue_filings_count,
    }
    lines: list[Line] = breakdown_lines(score.breakdown, values)
    return {
        "client_id": client_id,
        "client": name,
        "score": score.score_value,
        "level": level_for(score.score_value),
        "level_label": level_label(values),
        "stored_level": score.level,
        "platform_row": score.level in PLATFORM_LEVELS,
        "missing": score.missing_count,
        "expiring": score.expiring_count,
        "overdue": score.overdue_filings_count,
        "calculated_at": calculated_at,
        "lines": lines,
        "to_do": next_steps(score.breakdown, values),
    }
