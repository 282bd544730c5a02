"""The compliance scoring engine (DOMAIN.md §3, Desktop convention): one score per client,
recalculated for a whole firm by a few set-based SQL statements (no per-client loop), and the
straightforward per-client implementation of the same rules (`recalculate_reference`, the
platform-style loop the benchmark and the property test compare it with).

What a client's score is (all "now" is one instant of the run, UTC naive as the columns are):

* **Base** (the platform API's formula): 100 − 10·missing − 5·expiring − 15·overdue + bonus.
  - missing: the client's documents with status pending_review or rejected;
  - expiring: status valid and the latest version (`latestVersionId`) expiring in
    [now, now + 30 days] (read through `desktop_document_expiries`, migration 0014: the
    policies' checks once instead of once per version row);
  - overdue: open filings (`filings.OPEN_STATUSES`: draft, prepared, rejected, overdue) whose
    *desktop* due date (`desktop_filing_due_dates.dueDate`, the real one, see services/filings.py)
    is before today. A filing without a due date (no period end) is never overdue;
  - bonus: +10 when valid/total ≥ 0.90, +5 when ≥ 0.75 (only with documents), where valid =
    status valid and the latest version has no expiry or expires after now.
* **Rules** of the firm's *active* rule sets whose `appliesTo` matches the client:
  `{"clientTypes": [...], "sectors": [...]}`, compared case-insensitively; an absent key, a
  non-list or an empty list restricts nothing; a client without a sector fails a sectors list.
  A failed rule deducts its `weight` (once per rule and client), adds 1 to missingCount and its
  id goes in `breakdown.rules`:
  - `document_required` (targetId = document type): fails without a *valid* document of that
    type (status valid, latest version not expired);
  - `filing_required` (targetId = filing type): fails without a filing of that type (any status
    but archived) for the **last ended period** of the type's frequency (monthly: last month,
    quarterly: last quarter, annual: last year, other: last month), i.e. a filing whose period
    end falls inside that period — the return that should be in hand now;
  - `document_expiring` (condition `{"withinDays": n}`, default 30, 0..3650, targetId = an
    optional document type): fails when a valid document (of that type) expires in
    [now, now + n days];
  - `filing_overdue` (targetId = an optional filing type): fails when the client has an overdue
    filing (of that type), as defined above.
  A rule without the target its kind needs, or of an unknown kind, is skipped.
* **Requirement bundles**: a bundle applies to a client that uses it — has at least one
  document or filing of a type among the bundle's items (the client deals with that authority
  for that purpose). Each *required* item of an applying bundle then behaves as a required rule
  of weight 10: a document item as `document_required`, a filing item as `filing_required`.
* Clamped to 0..100 and rounded to 2 decimals; `level` excellent (≥90), good (≥70), fair (≥50),
  else poor. Rows the platform wrote (level high/medium/low, count-only breakdown) are simply
  overwritten.

`breakdown` = `{"version": 1, "base": 100, "items": [...], "rules": [failed rule ids]}`, one item
per point deducted or added (see compliance_contract: points, kind, text, rule_id, bundle_id,
document_type_id, filing_type_id, document_id, filing_id), ordered by kind then text.

`breakdown.digest` is an order-free fingerprint of the items (the sum of their 64-bit hashes):
a run compares score, level, counts and digest with the stored row first and builds the
breakdown's JSON and writes only the rows that differ (`RecalculationReport.changed`), so a
second run over unchanged data writes nothing — no index updates, no audit rows. A row's
`lastCalculatedAt` is therefore when its score last changed; a whole-firm run also stamps
`desktop_score_runs.lastFullRunAt` (migration 0018), and a score counts as computed at the
later of the two (the "older than a day" check, the list's *Last calculated*). Statements that
write more than 50 rows are audited by one summary row (see migration 0018).

A run is one transaction: cancelled or failed, it leaves every row as it was. A whole-firm run
of PARALLEL_MIN clients or more is split into WORKERS halves by client id, computed and written
at the same time on two connections (the 2-core server's two cores; `recalculate` says how
they commit: nothing until both are done, a failed half rolls back the other, and the rare
lost last commit is reported as RecalculationPartial and finished by the next run).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from queue import Queue
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, Table, select, text
from sqlalchemy.orm import Session

from ..models import (
    Client,
    ComplianceRule,
    ComplianceRuleSet,
    ComplianceScore,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    RequirementBundle,
    RequirementBundleItem,
    Tenant,
    utcnow,
)
from ..models.base import Timestamp
from .compliance_breakdown import level_for
from .context import Context, require
from .errors import ServiceError
from .filings import DUE, OPEN_STATUSES, period_containing, period_kind_for
from .records import guarded

log = logging.getLogger(__name__)

BASE = 100
MISSING_POINTS = 10
EXPIRING_POINTS = 5
OVERDUE_POINTS = 15
EXPIRING_DAYS = 30
BUNDLE_ITEM_WEIGHT = 10.0
DEFAULT_WITHIN_DAYS = 30
MAX_WITHIN_DAYS = 3650
MISSING_STATUSES = ("pending_review", "rejected")
RULE_KINDS = ("document_required", "filing_required", "document_expiring", "filing_overdue")


# Order of the breakdown's items: the base formula's (overdue filings, documents pending review
# or rejected, documents expiring), then the failed rules (by rule id), the bundles' items, the
# bonus; within each, by ids.
def item_rank(item: Mapping[str, Any]) -> tuple:
    if item.get("rule_id") is not None:
        group = 3
    elif item["kind"] in BASE_RANKS:
        group = BASE_RANKS[item["kind"]]
    else:
        group = 5
    return (
        group,
        *(item.get(key) or 0 for key in ("rule_id", "bundle_id", "document_type_id",
                                          "filing_type_id", "document_id", "filing_id")),
    )  # fmt: skip


BASE_RANKS = {"filing_overdue": 0, "document_missing": 1, "document_expiring": 2, "bonus": 6}
STATUS_WORDS = {"pending_review": "pending review", "rejected": "rejected"}
# Clients per statement when a run reports progress (and can be cancelled between batches).
BATCH = 2_500


class RecalculationCancelled(ServiceError):
    """The run was cancelled; nothing was written."""

    def __init__(self) -> None:
        super().__init__("The recalculation was cancelled; no score was changed.")


@dataclass
class RecalculationReport:
    clients: int = 0
    # Score rows written (inserted or changed); the others were computed to the same values.
    changed: int = 0
    tenants: int = 0
    seconds: float = 0.0
    levels: dict[str, int] | None = None


# --------------------------------------------------------------------------------------------
# The set-based engine

_OPEN = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
_MISSING = ", ".join(f"'{s}'" for s in MISSING_STATUSES)

# A jsonb list restricting `value` (case-insensitive); absent/non-list/empty = no restriction.
_APPLIES = """(
    jsonb_typeof({a} -> '{key}') IS DISTINCT FROM 'array'
    OR jsonb_array_length({a} -> '{key}') = 0
    OR EXISTS (SELECT 1 FROM jsonb_array_elements({a} -> '{key}') x
               WHERE jsonb_typeof(x) = 'string' AND lower(x #>> '{{}}') = lower({value})))"""


def _applies(a: str, key: str, value: str) -> str:
    return _APPLIES.format(a=a, key=key, value=value)


# The last ended period of a filing type's frequency, as SQL over `t`.
_UNIT = (
    "(CASE t.frequency WHEN 'quarterly' THEN 'quarter' WHEN 'annual' THEN 'year' ELSE 'month' END)"
)
_STEP = (
    "(CASE t.frequency WHEN 'quarterly' THEN interval '3 months' "
    "WHEN 'annual' THEN interval '1 year' ELSE interval '1 month' END)"
)

# JSON text of a text value and of an optional id, for the breakdown's items.
_JSON = "COALESCE(to_json({})::text, 'null')"  # NaN and the like too
_ID = "COALESCE(({})::text, 'null')"

SCORE_SQL = f"""
WITH p AS (SELECT CAST(:now AS timestamp) AS now, CAST(:now AS timestamp)::date AS today),
cl AS (
    SELECT c.id, c.type, c.sector FROM clients c
    WHERE c."tenantId" = :t AND c.id BETWEEN :lo AND :hi
      AND (CAST(:ids AS integer[]) IS NULL OR c.id = ANY(CAST(:ids AS integer[])))
),
docs AS MATERIALIZED (
    SELECT d.id, d."clientId" AS client_id, d."documentTypeId" AS type_id, d.status,
           d."expiryDate" AS expiry
    FROM desktop_score_documents(:t, :lo, :hi) d
    WHERE CAST(:ids AS integer[]) IS NULL OR d."clientId" = ANY(CAST(:ids AS integer[]))
),
counts AS (
    SELECT d.client_id,
           count(*) AS total,
           count(*) FILTER (WHERE d.status IN ({_MISSING})) AS missing,
           count(*) FILTER (WHERE d.status = 'valid' AND d.expiry >= p.now
                            AND d.expiry <= p.now + interval '{EXPIRING_DAYS} days') AS expiring,
           count(*) FILTER (WHERE d.status = 'valid'
                            AND (d.expiry IS NULL OR d.expiry > p.now)) AS valid
    FROM docs d, p GROUP BY d.client_id
),
dtc AS MATERIALIZED (
    -- A client's document types, and whether it has a valid document of each.
    SELECT d.client_id, d.type_id,
           bool_or(d.status = 'valid' AND (d.expiry IS NULL OR d.expiry > p.now)) AS valid
    FROM docs d, p GROUP BY d.client_id, d.type_id
),
valid_types AS (SELECT client_id, type_id FROM dtc WHERE valid),
dtypes AS (SELECT id, name FROM document_types WHERE "tenantId" = :t),
ftypes AS (
    SELECT t.id, t.name,
           (date_trunc({_UNIT}, p.today) - {_STEP})::date AS ps,
           (date_trunc({_UNIT}, p.today) - interval '1 day')::date AS pe,
           t.frequency
    FROM filing_types t, p WHERE t."tenantId" = :t
),
ftypes_l AS (
    SELECT f.*, CASE f.frequency
        WHEN 'quarterly'
            THEN 'Q' || extract(quarter FROM f.ps)::int || ' ' || extract(year FROM f.ps)::int
        WHEN 'annual' THEN extract(year FROM f.ps)::int::text
        ELSE to_char(f.ps, 'FMMonth') || ' ' || extract(year FROM f.ps)::int END AS period
    FROM ftypes f
),
cfilings AS MATERIALIZED (
    SELECT f.id, f."clientId" AS client_id, f."filingTypeId" AS type_id, f.status,
           f."periodEnd" AS period_end, f."periodLabel" AS label
    FROM filings f WHERE f."tenantId" = :t AND f."clientId" BETWEEN :lo AND :hi
      AND (CAST(:ids AS integer[]) IS NULL OR f."clientId" = ANY(CAST(:ids AS integer[])))
),
filed AS (
    SELECT DISTINCT f.client_id, f.type_id FROM cfilings f JOIN ftypes t ON t.id = f.type_id
    WHERE f.status <> 'archived' AND f.period_end::date BETWEEN t.ps AND t.pe
),
overdue AS (
    SELECT f.id, f.client_id, f.type_id, f.period_end, f.label FROM cfilings f
    JOIN desktop_filing_due_dates u ON u."filingId" = f.id, p
    WHERE u."tenantId" = :t AND u."open" AND f.status IN ({_OPEN}) AND u."dueDate" < p.today
),
sets AS (
    SELECT s.id, s."appliesTo" AS a FROM compliance_rule_sets s
    WHERE s."tenantId" = :t AND s.active
),
set_clients AS (
    SELECT s.id AS set_id, cl.id AS client_id FROM sets s JOIN cl
      ON {_applies("s.a", "clientTypes", "cl.type")}
     AND {_applies("s.a", "sectors", "cl.sector")}
),
rules AS (
    SELECT r.id, r."ruleSetId" AS set_id, r."ruleType" AS kind, r."targetId" AS target, r.weight,
           COALESCE(NULLIF(r.description, ''), s.name) AS label, s."appliesTo" AS a,
           CASE WHEN jsonb_typeof(r.condition -> 'withinDays') = 'number'
                THEN least(greatest(floor((r.condition ->> 'withinDays')::numeric), 0),
                           {MAX_WITHIN_DAYS})::int
                ELSE {DEFAULT_WITHIN_DAYS} END AS within
    FROM compliance_rules r JOIN compliance_rule_sets s ON s.id = r."ruleSetId"
    WHERE s."tenantId" = :t AND s.active
      AND r."ruleType" IN ('document_required', 'filing_required', 'document_expiring',
                           'filing_overdue')
      AND (r."targetId" IS NOT NULL OR r."ruleType" IN ('document_expiring', 'filing_overdue'))
),
rc AS MATERIALIZED (
    SELECT r.*, sc.client_id FROM rules r JOIN set_clients sc ON sc.set_id = r.set_id
),
expiring_fail AS (
    SELECT DISTINCT r.id AS rule_id, r.client_id
    FROM rc r JOIN docs d ON d.client_id = r.client_id, p
    WHERE r.kind = 'document_expiring' AND d.status = 'valid'
      AND (r.target IS NULL OR d.type_id = r.target)
      AND d.expiry >= p.now AND d.expiry <= p.now + make_interval(days => r.within)
),
overdue_fail AS (
    SELECT DISTINCT r.id AS rule_id, r.client_id
    FROM rc r JOIN overdue o ON o.client_id = r.client_id
    WHERE r.kind = 'filing_overdue' AND (r.target IS NULL OR o.type_id = r.target)
),
bitems AS (
    SELECT i.id, i."bundleId" AS bundle_id, i."documentTypeId" AS dt, i."filingTypeId" AS ft,
           i.required, b.name AS bundle
    FROM requirement_bundle_items i JOIN requirement_bundles b ON b.id = i."bundleId"
    WHERE b."tenantId" = :t
),
used AS (
    SELECT b.bundle_id, d.client_id FROM bitems b JOIN dtc d ON d.type_id = b.dt
    UNION
    SELECT b.bundle_id, f.client_id FROM bitems b
    JOIN (SELECT DISTINCT client_id, type_id FROM cfilings) f ON f.type_id = b.ft
),
items AS MATERIALIZED (
    SELECT d.client_id, -{MISSING_POINTS}::float8 AS points, 'document_missing' AS kind, 1 AS k,
           concat_ws(' ', NULLIF(t.name, ''),
                     CASE d.status WHEN 'pending_review' THEN 'pending review' ELSE 'rejected' END)
               AS txt,
           NULL::int AS rule_id, NULL::int AS bundle_id, d.type_id AS dt, NULL::int AS ft,
           d.id AS doc, NULL::int AS fil
    FROM docs d LEFT JOIN dtypes t ON t.id = d.type_id WHERE d.status IN ({_MISSING})
  UNION ALL
    SELECT d.client_id, -{EXPIRING_POINTS}, 'document_expiring', 2,
           concat_ws(' ', NULLIF(t.name, ''), 'expires', to_char(d.expiry, 'YYYY-MM-DD')),
           NULL, NULL, d.type_id, NULL, d.id, NULL
    FROM docs d LEFT JOIN dtypes t ON t.id = d.type_id, p
    WHERE d.status = 'valid' AND d.expiry >= p.now
      AND d.expiry <= p.now + interval '{EXPIRING_DAYS} days'
  UNION ALL
    SELECT o.client_id, -{OVERDUE_POINTS}, 'filing_overdue', 0,
           concat_ws(' ', NULLIF(t.name, ''),
                     COALESCE(NULLIF(o.label, ''), to_char(o.period_end, 'YYYY-MM-DD')), 'overdue'),
           NULL, NULL, NULL, o.type_id, NULL, o.id
    FROM overdue o LEFT JOIN ftypes t ON t.id = o.type_id
  UNION ALL
    SELECT c.client_id, CASE WHEN 10 * c.valid >= 9 * c.total THEN 10 ELSE 5 END, 'bonus', 6,
           CASE WHEN 10 * c.valid >= 9 * c.total THEN 'Bonus: at least 90% of documents valid'
                ELSE 'Bonus: at least 75% of documents valid' END,
           NULL, NULL, NULL, NULL, NULL, NULL
    FROM counts c WHERE c.total > 0 AND 4 * c.valid >= 3 * c.total
  UNION ALL
    SELECT r.client_id, -r.weight, 'document_required', 3,
           COALESCE(t.name, 'Document type #' || r.target) || ' missing (rule: ' || r.label || ')',
           r.id, NULL, r.target, NULL, NULL, NULL
    FROM rc r LEFT JOIN dtypes t ON t.id = r.target
    WHERE r.kind = 'document_required'
      AND NOT EXISTS (SELECT 1 FROM valid_types v
                      WHERE v.client_id = r.client_id AND v.type_id = r.target)
  UNION ALL
    SELECT r.client_id, -r.weight, 'filing_required', 3,
           COALESCE(t.name || ' ' || t.period, 'Filing type #' || r.target)
               || ' not filed (rule: ' || r.label || ')',
           r.id, NULL, NULL, r.target, NULL, NULL
    FROM rc r LEFT JOIN ftypes_l t ON t.id = r.target
    WHERE r.kind = 'filing_required'
      AND NOT EXISTS (SELECT 1 FROM filed f
                      WHERE f.client_id = r.client_id AND f.type_id = r.target)
  UNION ALL
    SELECT r.client_id, -r.weight, 'document_expiring', 3,
           COALESCE(t.name, 'Documents') || ' expiring within ' || r.within
               || ' days (rule: ' || r.label || ')',
           r.id, NULL, r.target, NULL, NULL, NULL
    FROM rc r LEFT JOIN dtypes t ON t.id = r.target
    WHERE r.kind = 'document_expiring'
      AND (r.id, r.client_id) IN (SELECT rule_id, client_id FROM expiring_fail)
  UNION ALL
    SELECT r.client_id, -r.weight, 'filing_overdue', 3,
           COALESCE(t.name, 'Filings') || ' overdue (rule: ' || r.label || ')',
           r.id, NULL, NULL, r.target, NULL, NULL
    FROM rc r LEFT JOIN ftypes t ON t.id = r.target
    WHERE r.kind = 'filing_overdue'
      AND (r.id, r.client_id) IN (SELECT rule_id, client_id FROM overdue_fail)
  UNION ALL
    SELECT u.client_id, -{BUNDLE_ITEM_WEIGHT}::float8, 'bundle_item', 5,
           CASE WHEN b.dt IS NOT NULL
                THEN COALESCE(dt.name, 'Document type #' || b.dt) || ' missing'
                ELSE COALESCE(ft.name || ' ' || ft.period, 'Filing type #' || b.ft) || ' not filed'
           END || ' (bundle: ' || b.bundle || ')',
           NULL, b.bundle_id, b.dt, b.ft, NULL, NULL
    FROM bitems b JOIN used u ON u.bundle_id = b.bundle_id
    LEFT JOIN dtypes dt ON dt.id = b.dt LEFT JOIN ftypes_l ft ON ft.id = b.ft
    WHERE b.required AND (b.dt IS NOT NULL OR b.ft IS NOT NULL)
      AND CASE WHEN b.dt IS NOT NULL
               THEN NOT EXISTS (SELECT 1 FROM valid_types v
                                WHERE v.client_id = u.client_id AND v.type_id = b.dt)
               ELSE NOT EXISTS (SELECT 1 FROM filed f
                                WHERE f.client_id = u.client_id AND f.type_id = b.ft) END
),
digest AS (
    -- Order-free fingerprint of a client's items (a sum of 64-bit hashes): no sort and no
    -- JSON for the clients whose score did not change.
    SELECT i.client_id, sum(i.points) AS points,
           count(*) FILTER (WHERE i.rule_id IS NOT NULL OR i.kind = 'bundle_item') AS failed,
           sum(hashtextextended(concat_ws('|', i.points, i.kind, i.txt, i.rule_id, i.bundle_id,
                                          i.dt, i.ft, i.doc, i.fil), 0)::numeric) AS h
    FROM items i GROUP BY i.client_id
),
scored AS (
    SELECT y.*, CASE WHEN y.score >= 90 THEN 'excellent' WHEN y.score >= 70 THEN 'good'
                     WHEN y.score >= 50 THEN 'fair' ELSE 'poor' END AS level
    FROM (
        SELECT cl.id AS client_id,
               round(least(greatest({BASE} + COALESCE(g.points, 0), 0), 100)::numeric, 2)::float8
                   AS score,
               COALESCE(c.missing, 0) + COALESCE(g.failed, 0) AS missing,
               COALESCE(c.expiring, 0) AS expiring,
               COALESCE(oc.n, 0) AS overdue,
               COALESCE(g.h, 0)::text AS digest
        FROM cl LEFT JOIN counts c ON c.client_id = cl.id
        LEFT JOIN digest g ON g.client_id = cl.id
        LEFT JOIN (SELECT client_id, count(*) AS n FROM overdue GROUP BY client_id) oc
          ON oc.client_id = cl.id
    ) y
),
changed AS MATERIALIZED (
    SELECT x.* FROM scored x
    LEFT JOIN compliance_scores s ON s."tenantId" = :t AND s."clientId" = x.client_id
    WHERE s.id IS NULL
       OR (s."scoreValue", s.level, s."missingCount", s."expiringCount",
           s."overdueFilingsCount", s.breakdown ->> 'digest')
          IS DISTINCT FROM (x.score, x.level, x.missing::int, x.expiring::int, x.overdue::int,
                            x.digest)
),
agg AS (
    SELECT i.client_id,
           -- The items' JSON text by concatenation (what json_build_object writes, for a
           -- third of its cost: it looks up every argument's type on every call), parsed
           -- into jsonb once below.
           '[' || string_agg(
               '{{"points": ' || {_JSON.format("i.points")}
               || ', "kind": ' || {_JSON.format("i.kind")}
               || ', "text": ' || {_JSON.format("i.txt")}
               || ', "rule_id": ' || {_ID.format("i.rule_id")}
               || ', "bundle_id": ' || {_ID.format("i.bundle_id")}
               || ', "document_type_id": ' || {_ID.format("i.dt")}
               || ', "filing_type_id": ' || {_ID.format("i.ft")}
               || ', "document_id": ' || {_ID.format("i.doc")}
               || ', "filing_id": ' || {_ID.format("i.fil")} || '}}', ', '
             ORDER BY i.k, COALESCE(i.rule_id, 0), COALESCE(i.bundle_id, 0), COALESCE(i.dt, 0),
                      COALESCE(i.ft, 0), COALESCE(i.doc, 0), COALESCE(i.fil, 0)) || ']'
               AS items,
           -- One item per failed rule and client, and the rows arrive sorted by rule id
           -- within the rules' group: no DISTINCT (a sort per client).
           COALESCE(jsonb_agg(i.rule_id ORDER BY i.k, COALESCE(i.rule_id, 0),
                              COALESCE(i.bundle_id, 0), COALESCE(i.dt, 0), COALESCE(i.ft, 0),
                              COALESCE(i.doc, 0), COALESCE(i.fil, 0))
                        FILTER (WHERE i.rule_id IS NOT NULL),
                    '[]'::jsonb) AS rules
    FROM items i JOIN changed x ON x.client_id = i.client_id GROUP BY i.client_id
)
INSERT INTO compliance_scores AS s ("tenantId", "clientId", "scoreValue", level, "missingCount",
    "expiringCount", "overdueFilingsCount", "lastCalculatedAt", breakdown)
SELECT :t, x.client_id, x.score, x.level, x.missing, x.expiring, x.overdue, (SELECT now FROM p),
       jsonb_build_object('version', 1, 'base', {BASE}, 'digest', x.digest,
                          'items', COALESCE(a.items::jsonb, '[]'::jsonb),
                          'rules', COALESCE(a.rules, '[]'::jsonb))
FROM changed x LEFT JOIN agg a ON a.client_id = x.client_id
ON CONFLICT ("tenantId", "clientId") DO UPDATE SET
    "scoreValue" = EXCLUDED."scoreValue", level = EXCLUDED.level,
    "missingCount" = EXCLUDED."missingCount", "expiringCount" = EXCLUDED."expiringCount",
    "overdueFilingsCount" = EXCLUDED."overdueFilingsCount",
    "lastCalculatedAt" = EXCLUDED."lastCalculatedAt", breakdown = EXCLUDED.breakdown
-- A row computed again to the same values is left alone (no write, no index update, no audit).
WHERE (s."scoreValue", s.level, s."missingCount", s."expiringCount", s."overdueFilingsCount",
       s.breakdown) IS DISTINCT FROM (EXCLUDED."scoreValue", EXCLUDED.level,
       EXCLUDED."missingCount", EXCLUDED."expiringCount", EXCLUDED."overdueFilingsCount",
       EXCLUDED.breakdown)
"""


# When each firm's last whole-firm recalculation finished (migration 0018).
SCORE_RUNS = Table(
    "desktop_score_runs",
    MetaData(),
    Column("tenantId", Integer, primary_key=True),
    Column("lastFullRunAt", Timestamp, nullable=False),
)

# A whole-firm run that finished: every client's score was computed at `now`, also those whose
# row it left alone (their lastCalculatedAt says when the score last changed).
MARK_FULL_RUN_SQL = """
INSERT INTO desktop_score_runs ("tenantId", "lastFullRunAt") VALUES (:t, :now)
ON CONFLICT ("tenantId") DO UPDATE SET "lastFullRunAt" = EXCLUDED."lastFullRunAt"
"""
WORK_MEM = "64MB"


def _target(target: Context | Session, tenant_id: int | None) -> tuple[Session, list[int]]:
    if isinstance(target, Context):
        require(target, "compliance", "edit")
        return target.session, [target.tenant_id]
    session = target
    if tenant_id is not None:
        return session, [tenant_id]
    return session, list(session.scalars(select(Tenant.id).order_by(Tenant.id)))


# A whole-firm run of at least PARALLEL_MIN clients is split into WORKERS halves by client id,
# computed and written concurrently on WORKERS connections (the server's two cores), each its
# own transaction; see `recalculate` for how they commit.
PARALLEL_MIN = 2_000
WORKERS = 2


class RecalculationPartial(ServiceError):
    """A split run whose first part committed and whose last part could not: the saved scores
    are correct, the others unchanged; running again finishes (it writes only what differs)."""

    def __init__(self, saved: int, total: int) -> None:
        super().__init__(
            f"The recalculation was interrupted: {saved:,} of {total:,} clients' scores were "
            "brought up to date, the others are unchanged. Run it again to finish."
        )
        self.saved = saved
        self.total = total


def _extra_session(target: Context | Session) -> Session | None:
    """Another session as the same user and firm, or None when there cannot be one (a context
    without a session maker, a session bound to one connection as in transactional tests)."""
    if isinstance(target, Context):
        if target.session_maker is None:
            return None
        return target.session_maker()
    bind = target.get_bind()
    if not isinstance(bind, Engine):
        return None
    return Session(bind=bind)


def _run_settings(session: Session) -> None:
    """For the run's transaction only: its sorts and hashes (133,000 breakdown items for
    10,000 clients) in memory rather than temporary files; and a plan made for each batch's
    own values. The driver prepares a statement run five times on a connection, and the
    server then may switch to a generic plan made without the values (the client range, the
    ids or NULL): measured, every third batched 10,000-client run on a pooled connection took
    over 30 s in such a plan instead of 2 s, and was cancelled by the statement timeout."""
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _open_extra(target: Context | Session) -> Session | None:
    """Another session with its transaction begun (work_mem set), or None when there is none
    to be had (no session maker, or the server refuses another connection: too many, say):
    the run then goes on one connection."""
    extra = _extra_session(target)
    if extra is None:
        return None
    try:
        _run_settings(extra)
    except Exception:
        log.warning("No second connection for the recalculation; running on one", exc_info=True)
        with contextlib.suppress(Exception):
            extra.close()
        return None
    return extra


def _split(ranges_ids: list[int], parts: int) -> list[list[int]]:
    size = math.ceil(len(ranges_ids) / parts)
    return [ranges_ids[i : i + size] for i in range(0, len(ranges_ids), size)]


def _chunks(ids: list[int], batched: bool) -> list[tuple[int, int, int]]:
    step = BATCH if batched else max(len(ids), 1)
    return [
        (chunk[0], chunk[-1], len(chunk))
        for chunk in (ids[i : i + step] for i in range(0, len(ids), step))
    ]


def _run_part(
    session: Session,
    tenant: int,
    chunks: list[tuple[int, int, int]],
    ids: list[int] | None,
    now: datetime,
    cancel: Any,
) -> Iterator[tuple[int, int]]:
    """The statements of one part, in `session`'s open transaction (not committed here);
    yields (clients, rows written) after each."""
    for lo, hi, n in chunks:
        if cancel is not None and cancel.is_set():
            raise RecalculationCancelled()
        result = session.execute(
            text(SCORE_SQL), {"t": tenant, "lo": lo, "hi": hi, "ids": ids, "now": now}
        )
        yield n, max(result.rowcount or 0, 0)


def recalculate(
    target: Context | Session,
    *,
    tenant_id: int | None = None,
    client_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    workers: int | None = None,
) -> RecalculationReport:
    """Recalculate the scores of a firm's clients (all, or `client_ids`).

    With a Context: that firm, as that user (compliance:edit; the database's policies apply).
    With an administrator's Session: `tenant_id`'s firm, or every firm when None (the CLI).
    Without `progress`/`cancel` each firm (or each part, below) is one statement; with them,
    batches of clients by id (`progress(done, total)` after each, always in the calling thread;
    `cancel` checked between them).

    A whole firm of at least PARALLEL_MIN clients is split in `workers` (default WORKERS; 1 =
    never) parts by client id, run at the same time on as many connections, each its own
    transaction. Nothing commits until every part has computed and written its rows: a part
    that fails or a cancel rolls every part back (nothing written). Then the other parts
    commit, and the caller's session last, with the firm's full-run stamp. Should that last
    commit fail after the others succeeded (the connection lost in between), the run raises
    RecalculationPartial: the committed parts' scores are right, the rest as before, no stamp
    (so the "older than a day" check runs it again), and running again finishes it.
    A run that is not split is one transaction: cancelled or failed, it writes nothing."""
    session, tenants = _target(target, tenant_id)
    now = now or utcnow()
    ids = None if client_ids is None else sorted({int(i) for i in client_ids})
    report = RecalculationReport(tenants=len(tenants))
    started = time.perf_counter()
    batched = progress is not None or cancel is not None
    parts = workers or WORKERS
    plans: list[tuple[int, list[list[tuple[int, int, int]]]]] = []
    extras: list[Session] = []
    try:
        with guarded(session):
            _run_settings(session)
            for tenant in tenants:
                all_ids = _client_ids(session, tenant, ids)
                split = ids is None and parts > 1 and len(all_ids) >= PARALLEL_MIN
                groups = _split(all_ids, parts) if split else [all_ids] if all_ids else []
                plans.append((tenant, [_chunks(g, batched) for g in groups]))
            need = max((len(p) for _, p in plans), default=1) - 1
            for _ in range(need):
                extra = _open_extra(target)
                if extra is None:
                    break
                extras.append(extra)
            if len(extras) < need:  # no further connection to be had: one part per firm
                for extra in extras:
                    extra.close()
                extras.clear()
                plans = [(t, [[c for g in p for c in g]]) for t, p in plans]
            total = sum(n for _, p in plans for g in p for _, _, n in g)
            done = 0
            for tenant, groups in plans:
                for clients, changed in _run_parts(
                    [session, *extras], tenant, groups, ids, now, cancel
                ):
                    done += clients
                    report.clients += clients
                    report.changed += changed
                    if progress is not None:
                        progress(done, total)
                if ids is None:
                    session.execute(text(MARK_FULL_RUN_SQL), {"t": tenant, "now": now})
            if cancel is not None and cancel.is_set():
                raise RecalculationCancelled()
            committed = 0
            for extra in extras:
                with guarded(extra):
                    extra.commit()
                committed += 1
            try:
                session.commit()
            except BaseException:
                if committed:
                    raise RecalculationPartial(_saved(session, plans), total) from None
                raise
    except BaseException:
        for s in (*extras, session):
            s.rollback()
        raise
    finally:
        for extra in extras:
            extra.close()
    report.seconds = time.perf_counter() - started
    return report


def _saved(session: Session, plans: list) -> int:
    """Clients in the parts other than the caller's (those committed)."""
    return sum(n for _, groups in plans for g in groups[1:] for _, _, n in g)


def _run_parts(
    sessions: list[Session],
    tenant: int,
    groups: list[list[tuple[int, int, int]]],
    ids: list[int] | None,
    now: datetime,
    cancel: Any,
) -> Iterator[tuple[int, int]]:
    """Run group i on sessions[i], concurrently when there are several; yields (clients, rows
    written) per statement in the calling thread. The first failure is raised after every part
    stopped (the others are told to stop at their next batch)."""
    if len(groups) <= 1:
        for g in groups:
            yield from _run_part(sessions[0], tenant, g, ids, now, cancel)
        return
    queue: Queue = Queue()
    stop = _Stop(cancel)

    def part(session: Session, chunks: list[tuple[int, int, int]]) -> None:
        try:
            with guarded(session):
                for n, c in _run_part(session, tenant, chunks, ids, now, stop):
                    queue.put(("done", n, c))
            queue.put(("end", None, None))
        except BaseException as error:  # handed to the calling thread
            stop.failed = True
            queue.put(("error", error, None))

    threads = [
        threading.Thread(target=part, args=(s, g), name=f"scores-part-{i}", daemon=True)
        for i, (s, g) in enumerate(zip(sessions, groups, strict=False))
    ]
    for thread in threads:
        thread.start()
    failure: BaseException | None = None
    running = len(threads)
    try:
        while running:
            kind, a, b = queue.get()
            if kind == "done":
                if failure is None:
                    yield a, b
            else:
                running -= 1
                if kind == "error" and (
                    failure is None or isinstance(failure, RecalculationCancelled)
                ):
                    failure = a
    finally:
        stop.failed = True
        for thread in threads:
            thread.join()
    if failure is not None:
        raise failure


class _Stop:
    """A part's cancel: the caller's, or another part failed."""

    def __init__(self, cancel: Any) -> None:
        self.cancel = cancel
        self.failed = False

    def is_set(self) -> bool:
        return self.failed or (self.cancel is not None and self.cancel.is_set())


def _client_ids(session: Session, tenant: int, ids: list[int] | None) -> list[int]:
    query = select(Client.id).where(Client.tenant_id == tenant).order_by(Client.id)
    if ids is not None:
        query = query.where(Client.id.in_(ids))
    return list(session.scalars(query))


def client_tenant(session: Session, client_id: int) -> int | None:
    """The firm a client belongs to (the CLI's `--client`), or None."""
    return session.scalar(select(Client.tenant_id).where(Client.id == client_id))


# What a change to each entity type means for the scores: the client's own rows (documents,
# their versions, filings, the client itself) or the whole firm (the rules, bundles and types).
CLIENT_ENTITIES = ("client", "document", "document_version", "filing")
FIRM_ENTITIES = (
    "compliance_rule_set",
    "compliance_rule",
    "requirement_bundle",
    "requirement_bundle_item",
    "document_type",
    "filing_type",
)
AFFECTING_ENTITIES = CLIENT_ENTITIES + FIRM_ENTITIES
_CLIENTS_OF = {
    "client": 'SELECT id FROM clients WHERE "tenantId" = :t AND id = ANY(:ids)',
    "document": 'SELECT "clientId" FROM documents WHERE "tenantId" = :t AND id = ANY(:ids)',
    "document_version": 'SELECT d."clientId" FROM document_versions v JOIN documents d'
    ' ON d.id = v."documentId" WHERE d."tenantId" = :t AND v.id = ANY(:ids)',
    "filing": 'SELECT "clientId" FROM filings WHERE "tenantId" = :t AND id = ANY(:ids)',
}


def affected_clients(ctx: Context, changes: Mapping[str, Iterable[int] | None]) -> list[int] | None:
    """The clients whose score `changes` ({entity type: changed ids, None = any}) may move, or
    None when it is the whole firm's (a rule, bundle or type changed, too many ids, or a
    deleted row whose client cannot be found any more: the caller passes None for those)."""
    found: set[int] = set()
    for entity, ids in changes.items():
        if entity in FIRM_ENTITIES or (entity in CLIENT_ENTITIES and ids is None):
            return None
        if entity not in _CLIENTS_OF or not ids:
            continue
        found.update(
            ctx.session.scalars(
                text(_CLIENTS_OF[entity]), {"t": ctx.tenant_id, "ids": sorted(set(ids))}
            )
        )
    ctx.session.rollback()
    return sorted(found)


def stale_client_count(target: Context | Session, tenant_id: int, *, older_than: timedelta) -> int:
    """Clients of the firm without a score or with one older than `older_than` (the "at start
    when scores are older than a day" check). A score is as recent as its row's
    lastCalculatedAt (when it last changed) or the firm's last full run, whichever is later."""
    session = target.session if isinstance(target, Context) else target
    cutoff = utcnow() - older_than
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM clients c LEFT JOIN compliance_scores s"
                ' ON s."clientId" = c.id AND s."tenantId" = c."tenantId" WHERE c."tenantId" = :t'
                ' AND (s.id IS NULL OR greatest(s."lastCalculatedAt", (SELECT r."lastFullRunAt"'
                ' FROM desktop_score_runs r WHERE r."tenantId" = :t)) < :cutoff)'
            ),
            {"t": tenant_id, "cutoff": cutoff},
        ).scalar_one()
    )


# --------------------------------------------------------------------------------------------
# The reference: the same rules, one client at a time, in Python over the ORM


def _restricts(applies: Any, key: str, value: str | None) -> bool:
    """True when `applies[key]` is a non-empty list that does not name `value`."""
    if not isinstance(applies, Mapping):
        return False
    wanted = applies.get(key)
    if not isinstance(wanted, list) or not wanted:
        return False
    if value is None:
        return True
    return not any(isinstance(w, str) and w.lower() == value.lower() for w in wanted)


def _within_days(condition: Any) -> int:
    value = condition.get("withinDays") if isinstance(condition, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_WITHIN_DAYS
    return int(min(max(math.floor(value), 0), MAX_WITHIN_DAYS))


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _last_period(frequency: str | None, today: date):
    kind = period_kind_for(frequency)
    return period_containing(kind, today).previous()


def reference_score(session: Session, tenant_id: int, client_id: int, now: datetime) -> dict:
    """The score row (`scoreValue`, level, counts, breakdown) of one client, computed in
    Python from the ORM objects."""
    today = now.date()
    client = session.get(Client, client_id)
    if client is None or client.tenant_id != tenant_id:
        raise ServiceError("No such client in this firm.")
    dtypes = {
        t.id: t.name
        for t in session.scalars(select(DocumentType).where(DocumentType.tenant_id == tenant_id))
    }
    ftypes = {
        t.id: t
        for t in session.scalars(select(FilingType).where(FilingType.tenant_id == tenant_id))
    }
    docs = []
    for doc in session.scalars(
        select(Document).where(Document.tenant_id == tenant_id, Document.client_id == client_id)
    ):
        version = (
            session.get(DocumentVersion, doc.latest_version_id) if doc.latest_version_id else None
        )
        own = version is not None and version.document_id == doc.id
        docs.append((doc, version.expiry_date if own else None))
    filings = list(
        session.scalars(
            select(Filing).where(Filing.tenant_id == tenant_id, Filing.client_id == client_id)
        )
    )
    due = {
        row.filingId: row.dueDate
        for row in session.execute(
            select(DUE.c.filingId, DUE.c.dueDate).where(
                DUE.c.tenantId == tenant_id, DUE.c.filingId.in_([f.id for f in filings] or [0])
            )
        )
    }
    horizon = now + timedelta(days=EXPIRING_DAYS)

    def is_valid(doc: Document, expiry: datetime | None) -> bool:
        return doc.status == "valid" and (expiry is None or expiry > now)

    def expires_within(doc: Document, expiry: datetime | None, until: datetime) -> bool:
        return doc.status == "valid" and expiry is not None and now <= expiry <= until

    overdue = [
        f
        for f in filings
        if f.status in OPEN_STATUSES and due.get(f.id) is not None and due[f.id] < today
    ]
    valid_types = {d.document_type_id for d, e in docs if is_valid(d, e)}

    def period_text(type_id: int) -> str | None:
        t = ftypes.get(type_id)
        return None if t is None else f"{t.name} {_last_period(t.frequency, today).label}"

    def filed(type_id: int) -> bool:
        t = ftypes.get(type_id)
        if t is None:
            return False
        period = _last_period(t.frequency, today)
        return any(
            f.filing_type_id == type_id
            and f.status != "archived"
            and f.period_end is not None
            and period.start <= f.period_end.date() <= period.end
            for f in filings
        )

    items: list[dict[str, Any]] = []

    def add(points: float, kind: str, txt: str, **ids: Any) -> None:
        item = {
            "points": points,
            "kind": kind,
            "text": txt,
            "rule_id": None,
            "bundle_id": None,
            "document_type_id": None,
            "filing_type_id": None,
            "document_id": None,
            "filing_id": None,
        }
        item.update(ids)
        items.append(item)

    missing = expiring = valid = 0
    for doc, expiry in docs:
        if doc.status in MISSING_STATUSES:
            missing += 1
            add(
                -MISSING_POINTS,
                "document_missing",
                _join(dtypes.get(doc.document_type_id), STATUS_WORDS[doc.status]),
                document_type_id=doc.document_type_id,
                document_id=doc.id,
            )
        if expires_within(doc, expiry, horizon):
            expiring += 1
            add(
                -EXPIRING_POINTS,
                "document_expiring",
                _join(dtypes.get(doc.document_type_id), "expires", f"{expiry:%Y-%m-%d}"),
                document_type_id=doc.document_type_id,
                document_id=doc.id,
            )
        if is_valid(doc, expiry):
            valid += 1
    for f in overdue:
        label = f.period_label or (f"{f.period_end:%Y-%m-%d}" if f.period_end else None)
        name = ftypes[f.filing_type_id].name if f.filing_type_id in ftypes else None
        add(
            -OVERDUE_POINTS,
            "filing_overdue",
            _join(name, label, "overdue"),
            filing_type_id=f.filing_type_id,
            filing_id=f.id,
        )
    total = len(docs)
    if total and 4 * valid >= 3 * total:
        high = 10 * valid >= 9 * total
        add(
            10 if high else 5,
            "bonus",
            f"Bonus: at least {90 if high else 75}% of documents valid",
        )
    failed: list[int] = []
    rule_sets = session.scalars(
        select(ComplianceRuleSet).where(
            ComplianceRuleSet.tenant_id == tenant_id, ComplianceRuleSet.active.is_(True)
        )
    )
    for rule_set in rule_sets:
        applies = rule_set.applies_to
        if _restricts(applies, "clientTypes", client.type) or _restricts(
            applies, "sectors", client.sector
        ):
            continue
        for rule in session.scalars(
            select(ComplianceRule).where(ComplianceRule.rule_set_id == rule_set.id)
        ):
            label = rule.description or rule_set.name
            target = rule.target_id
            kind = rule.rule_type
            points = -rule.weight
            if kind == "document_required" and target is not None:
                if target not in valid_types:
                    name = dtypes.get(target, f"Document type #{target}")
                    add(points, kind, f"{name} missing (rule: {label})", rule_id=rule.id,
                        document_type_id=target)  # fmt: skip
                    failed.append(rule.id)
            elif kind == "filing_required" and target is not None:
                if not filed(target):
                    what = period_text(target) or f"Filing type #{target}"
                    add(points, kind, f"{what} not filed (rule: {label})", rule_id=rule.id,
                        filing_type_id=target)  # fmt: skip
                    failed.append(rule.id)
            elif kind == "document_expiring":
                days = _within_days(rule.condition)
                until = now + timedelta(days=days)
                if any(
                    (target is None or d.document_type_id == target) and expires_within(d, e, until)
                    for d, e in docs
                ):
                    name = dtypes.get(target, "Documents") if target is not None else "Documents"
                    add(points, kind, f"{name} expiring within {days} days (rule: {label})",
                        rule_id=rule.id, document_type_id=target)  # fmt: skip
                    failed.append(rule.id)
            elif kind == "filing_overdue" and any(
                target is None or f.filing_type_id == target for f in overdue
            ):
                name = ftypes[target].name if target in ftypes else "Filings"
                add(points, kind, f"{name} overdue (rule: {label})", rule_id=rule.id,
                    filing_type_id=target)  # fmt: skip
                failed.append(rule.id)
    used_doc_types = {d.document_type_id for d, _ in docs}
    used_filing_types = {f.filing_type_id for f in filings}
    bundle_failures = 0
    for bundle in session.scalars(
        select(RequirementBundle).where(RequirementBundle.tenant_id == tenant_id)
    ):
        bitems = list(
            session.scalars(
                select(RequirementBundleItem).where(RequirementBundleItem.bundle_id == bundle.id)
            )
        )
        if not any(
            i.document_type_id in used_doc_types or i.filing_type_id in used_filing_types
            for i in bitems
        ):
            continue
        for i in bitems:
            if not i.required:
                continue
            if i.document_type_id is not None:
                if i.document_type_id in valid_types:
                    continue
                name = dtypes.get(i.document_type_id, f"Document type #{i.document_type_id}")
                txt = f"{name} missing (bundle: {bundle.name})"
            elif i.filing_type_id is not None:
                if filed(i.filing_type_id):
                    continue
                what = period_text(i.filing_type_id) or f"Filing type #{i.filing_type_id}"
                txt = f"{what} not filed (bundle: {bundle.name})"
            else:
                continue
            bundle_failures += 1
            add(-BUNDLE_ITEM_WEIGHT, "bundle_item", txt, bundle_id=bundle.id,
                document_type_id=i.document_type_id, filing_type_id=i.filing_type_id)  # fmt: skip
    raw = BASE + sum(item["points"] for item in items)
    score = round(min(max(raw, 0.0), 100.0), 2)
    items.sort(key=item_rank)
    return {
        "scoreValue": float(score),
        "level": level_for(score),
        "missingCount": missing + len(failed) + bundle_failures,
        "expiringCount": expiring,
        "overdueFilingsCount": len(overdue),
        "breakdown": {
            "version": 1,
            "base": BASE,
            "items": items,
            "rules": sorted(set(failed)),
        },
    }


def recalculate_reference(
    session: Session, tenant_id: int, client_id: int, *, now: datetime | None = None
) -> dict:
    """The platform-style loop body: compute one client's score in Python and upsert it through
    the ORM (committing is the caller's)."""
    now = now or utcnow()
    row = reference_score(session, tenant_id, client_id, now)
    score = session.scalars(
        select(ComplianceScore).where(
            ComplianceScore.tenant_id == tenant_id, ComplianceScore.client_id == client_id
        )
    ).one_or_none()
    if score is None:
        score = ComplianceScore(tenant_id=tenant_id, client_id=client_id)
        session.add(score)
    score.score_value = row["scoreValue"]
    score.level = row["level"]
    score.missing_count = row["missingCount"]
    score.expiring_count = row["expiringCount"]
    score.overdue_filings_count = row["overdueFilingsCount"]
    score.last_calculated_at = now
    score.breakdown = json.loads(json.dumps(row["breakdown"]))
    session.flush()
    return row


__all__ = [
    "AFFECTING_ENTITIES",
    "SCORE_RUNS",
    "RecalculationCancelled",
    "RecalculationPartial",
    "RecalculationReport",
    "affected_clients",
    "client_tenant",
    "recalculate",
    "recalculate_reference",
    "reference_score",
    "stale_client_count",
]
