"""The migrated schema is exactly the web platform's schema (platform_schema.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from gcmc_desktop.db import migrate
from gcmc_desktop.db.contract import compare, introspect, load_contract, verify
from gcmc_desktop.models import Base

SHARED_CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "platform_schema.json"
DESKTOP_PREFIX = "desktop_"


def not_desktop(name: str | None, type_: str, parent_names: dict) -> bool:
    """The same filter as migrations/env.py: `desktop_…` objects are outside the contract."""
    return not (name or "").startswith(DESKTOP_PREFIX)


def test_packaged_contract_is_the_shared_one() -> None:
    if not SHARED_CONTRACT.exists():  # a checkout without ../shared beside it
        return
    assert json.loads(SHARED_CONTRACT.read_text())["tables"] == load_contract()


def test_contract_has_the_35_platform_tables() -> None:
    contract = load_contract()
    assert len(contract) == 35
    assert set(contract) == set(Base.metadata.tables)


def test_migrated_schema_equals_contract_field_by_field(engine: Engine) -> None:
    contract = load_contract()
    with engine.connect() as conn:
        live = introspect(conn, sorted(contract))
    for spec in live.values():
        spec["indexes"] = [i for i in spec["indexes"] if not i["name"].startswith(DESKTOP_PREFIX)]
    report = compare(contract, live)
    assert report.ok, str(report)
    # Belt and braces: every field of every column/index/FK, not just the names.
    for table, spec in contract.items():
        key = lambda item: item["name"]  # noqa: E731
        assert sorted(spec["columns"], key=key) == sorted(live[table]["columns"], key=key), table
        assert sorted(spec["indexes"], key=key) == sorted(live[table]["indexes"], key=key), table
        assert sorted(spec["foreign_keys"], key=key) == sorted(
            live[table]["foreign_keys"], key=key
        ), table
        assert spec["primary_key"] == live[table]["primary_key"], table


def test_comparison_reports_each_kind_of_difference(engine: Engine) -> None:
    """The checker itself must be able to fail: mutate the contract and see each difference."""
    contract = load_contract()
    with engine.connect() as conn:
        live = introspect(conn, sorted(contract))
    broken = copy.deepcopy(contract)
    broken["clients"]["columns"][2]["nullable"] = True  # name
    broken["clients"]["indexes"][0]["unique"] = True
    broken["documents"]["foreign_keys"][0]["on_delete"] = "CASCADE"
    broken["tenants"]["columns"].append(
        {"name": "extra", "type": "text", "nullable": True, "default": None}
    )
    del live["plans"]
    report = compare(broken, live)
    text = str(report)
    assert 'table "plans" is missing' in text
    assert 'clients: column "name" nullable' in text
    assert "clients: index" in text
    assert 'documents: foreign key "documents_clientBusinessId_fkey" on_delete' in text
    assert 'tenants: column "extra" is missing' in text


def test_autogenerate_finds_nothing_to_change(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "version_table": migrate.VERSION_TABLE,
                "include_name": not_desktop,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_downgrade_base_upgrade(empty_database_url) -> None:
    from gcmc_desktop.db import make_engine

    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        with engine.connect() as conn:
            assert verify(conn).differences[0].startswith("table ")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert verify(conn, allow_extra_indexes=True).ok
    finally:
        engine.dispose()
