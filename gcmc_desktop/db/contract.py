"""The schema contract: the web platform's 35 tables as read off its live database
(platform_schema.json), and a comparison of any live database against it.

`gcmc db adopt` uses this to refuse a database that differs, and the test suite uses it to
prove that our migrations build exactly the platform's schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sqlalchemy import Connection, text

Schema = dict[str, dict[str, Any]]


def load_contract() -> Schema:
    """The contract as shipped with the application."""
    raw = resources.files("gcmc_desktop.db").joinpath("platform_schema.json").read_text("utf-8")
    return json.loads(raw)["tables"]


_COLUMNS = text(
    """
    SELECT c.table_name, c.column_name,
           CASE WHEN c.data_type = 'ARRAY' THEN c.udt_name ELSE c.data_type END AS type,
           c.is_nullable = 'YES' AS nullable, c.column_default
    FROM information_schema.columns c
    WHERE c.table_schema = current_schema() AND c.table_name = ANY(:tables)
    ORDER BY c.table_name, c.ordinal_position
    """
)

_INDEXES = text(
    """
    SELECT t.relname, i.relname, ix.indisunique,
           array_agg(a.attname ORDER BY k.ord) AS columns
    FROM pg_index ix
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE n.nspname = current_schema() AND t.relname = ANY(:tables) AND NOT ix.indisprimary
    GROUP BY t.relname, i.relname, ix.indisunique
    """
)

_FOREIGN_KEYS = text(
    """
    SELECT t.relname, con.conname, rt.relname AS references,
           array_agg(a.attname ORDER BY k.ord) AS columns,
           array_agg(ra.attname ORDER BY k.ord) AS ref_columns,
           con.confdeltype
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class rt ON rt.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, ord)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    JOIN pg_attribute ra ON ra.attrelid = rt.oid AND ra.attnum = k.refnum
    WHERE con.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY(:tables)
    GROUP BY t.relname, con.conname, rt.relname, con.confdeltype
    """
)

_PRIMARY_KEYS = text(
    """
    SELECT t.relname, array_agg(a.attname ORDER BY k.ord)
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE con.contype = 'p' AND n.nspname = current_schema() AND t.relname = ANY(:tables)
    GROUP BY t.relname
    """
)

_ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


def existing_tables(conn: Connection) -> set[str]:
    rows = conn.execute(
        text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    )
    return {r[0] for r in rows}


def introspect(conn: Connection, tables: list[str]) -> Schema:
    """Read the live schema of `tables` in the same shape as platform_schema.json."""
    live: Schema = {}
    present = existing_tables(conn) & set(tables)
    for name in present:
        live[name] = {"columns": [], "indexes": [], "foreign_keys": [], "primary_key": []}
    params = {"tables": sorted(present)}
    for table, column, type_, nullable, default in conn.execute(_COLUMNS, params):
        live[table]["columns"].append(
            {"name": column, "type": type_, "nullable": nullable, "default": default}
        )
    for table, name, unique, columns in conn.execute(_INDEXES, params):
        live[table]["indexes"].append({"name": name, "columns": list(columns), "unique": unique})
    for table, name, ref, columns, ref_columns, deltype in conn.execute(_FOREIGN_KEYS, params):
        live[table]["foreign_keys"].append(
            {
                "name": name,
                "columns": list(columns),
                "references": ref,
                "ref_columns": list(ref_columns),
                "on_delete": _ON_DELETE[deltype],
            }
        )
    for table, columns in conn.execute(_PRIMARY_KEYS, params):
        live[table]["primary_key"] = list(columns)
    return live


@dataclass
class ContractReport:
    """Differences between a live database and the contract; empty means they match."""

    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def __str__(self) -> str:
        if self.ok:
            return "The database matches the platform schema contract."
        lines = [f"{len(self.differences)} difference(s) from the platform schema contract:"]
        lines += [f"  - {d}" for d in self.differences]
        return "\n".join(lines)


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def _compare_named(
    kind: str, table: str, want: list[dict], have: list[dict], fields: tuple[str, ...]
) -> list[str]:
    out: list[str] = []
    want_by, have_by = _by_name(want), _by_name(have)
    for name in sorted(want_by.keys() - have_by.keys()):
        out.append(f'{table}: {kind} "{name}" is missing')
    for name in sorted(have_by.keys() - want_by.keys()):
        out.append(f'{table}: unexpected {kind} "{name}"')
    for name in sorted(want_by.keys() & have_by.keys()):
        for f in fields:
            if want_by[name].get(f) != have_by[name].get(f):
                out.append(
                    f'{table}: {kind} "{name}" {f} is {have_by[name].get(f)!r}, '
                    f"expected {want_by[name].get(f)!r}"
                )
    return out


def compare(contract: Schema, live: Schema, *, allow_extra_indexes: bool = False) -> ContractReport:
    """Field-by-field comparison. Extra indexes may be allowed: later desktop migrations add
    some (e.g. trigram search), which never break the platform."""
    report = ContractReport()
    for table in sorted(contract):
        if table not in live:
            report.differences.append(f'table "{table}" is missing')
            continue
        want, have = contract[table], live[table]
        report.differences += _compare_named(
            "column", table, want["columns"], have["columns"], ("type", "nullable", "default")
        )
        have_indexes = have["indexes"]
        if allow_extra_indexes:
            wanted = {i["name"] for i in want["indexes"]}
            have_indexes = [i for i in have_indexes if i["name"] in wanted]
        report.differences += _compare_named(
            "index", table, want["indexes"], have_indexes, ("columns", "unique")
        )
        report.differences += _compare_named(
            "foreign key",
            table,
            want["foreign_keys"],
            have["foreign_keys"],
            ("columns", "references", "ref_columns", "on_delete"),
        )
        if want["primary_key"] != have["primary_key"]:
            report.differences.append(
                f"{table}: primary key is {have['primary_key']}, expected {want['primary_key']}"
            )
    return report


def verify(conn: Connection, *, allow_extra_indexes: bool = False) -> ContractReport:
    contract = load_contract()
    return compare(
        contract, introspect(conn, sorted(contract)), allow_extra_indexes=allow_extra_indexes
    )
