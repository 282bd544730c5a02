"""Export of any list to CSV and XLSX (services/export.py), signed in as a staff user with their
own PostgreSQL login (row-level security on): what reaches the file is what the list shows —
its filters, search and sort, its labels and local dates — CSV is safe to open in a spreadsheet,
XLSX has real dates and numbers, another firm's rows never appear, and a cancelled or failed
export leaves no file that looks complete."""

from __future__ import annotations

import csv
import dataclasses
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, select

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client
from gcmc_desktop.services import auth
from gcmc_desktop.services.client_list import client_list_query
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import PermissionDenied, ServiceError
from gcmc_desktop.services.export import (
    ExportCancelled,
    ExportColumn,
    csv_safe,
    export_list,
    partial_path,
    typed_value,
)
from gcmc_desktop.services.paging import ColumnSpec, PagedQuery, format_date

from .security_fixtures import PASSWORD, Firms, build_firms

TRICKY = [
    '=HYPERLINK("http://evil.example","click")',
    "+1-555-0100 caller",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rReturned",
    'Quote "this", please',
    "Line one\nline two",
    "Ünïcödé Café — Georgetown",
]
ALPHA = [*TRICKY, "Alpha Client"]  # the firm's clients (build_firms adds the last)
EXPECTED_CSV = [
    "'" + TRICKY[0],
    "'" + TRICKY[1],
    "'-2+3",
    "'@SUM(A1:A9)",
    "'\tTabbed",
    "'\rReturned",
    TRICKY[6],
    TRICKY[7],
    TRICKY[8],
]


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    firms = build_firms(engine, database_url, ("FirmAdmin",))
    with session_factory(engine)() as session:
        for i, name in enumerate(TRICKY):
            session.add(
                Client(
                    tenant_id=firms.alpha,
                    name=name,
                    type="company" if i % 2 else "individual",
                    risk_level="high" if i % 3 == 0 else "low",
                    email=f"c{i}@alpha.gy",
                )
            )
        session.add(Client(tenant_id=firms.beta, name="=Beta secret", type="company"))
        session.commit()
    return firms


@pytest.fixture
def staff(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    auth.sign_out(ctx)


def code_label(value: object) -> str:
    return str(value).replace("_", " ").capitalize()


COLUMNS = [
    ExportColumn("name", "Client name"),
    ExportColumn("type", "Type"),
    ExportColumn("risk", "Risk", label=code_label),
    ExportColumn("created", "Client since"),
]


def xml_text(text: str) -> str:
    """A cell's text as a spreadsheet shows it: openpyxl leaves the `_xHHHH_` escapes that XLSX
    uses for control characters (a carriage return) in inline strings as they are."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def read_csv(path: Path) -> tuple[bytes, list[list[str]]]:
    raw = path.read_bytes()
    with path.open(encoding="utf-8-sig", newline="") as f:
        return raw, list(csv.reader(f))


def test_csv_has_bom_quotes_per_rfc4180_and_neutralises_formulas(staff, tmp_path) -> None:
    query = client_list_query(staff)
    target = tmp_path / "clients.csv"
    result = export_list(staff, query, COLUMNS, target, module="clients")
    raw, rows = read_csv(target)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel on Windows reads UTF-8
    assert b"\r\n" in raw and raw.endswith(b"\r\n")  # RFC 4180 line ends
    assert b'"Quote ""this"", please"' in raw  # quotes doubled inside a quoted field
    assert b'"Line one\nline two"' in raw  # a newline stays inside its quoted field
    assert rows[0] == ["Client name", "Type", "Risk", "Client since"]
    assert result.rows == len(ALPHA) == len(rows) - 1
    names = [r[0] for r in rows[1:]]
    assert sorted(names) == sorted([*EXPECTED_CSV, "Alpha Client"])
    # the list's own order (by name), exactly as its first page shows it
    with staff.reading() as session:
        shown = [r[0] for r in query.first_page(session, 100).rows]
    assert names == [csv_safe(n) for n in shown]
    today = datetime.now(UTC).astimezone().date().isoformat()
    for row in rows[1:]:
        assert row[1] in ("Company", "Individual")  # the list's formatter, not the code
        assert row[2] in ("High", "Low", "")  # the page's label
        assert row[3] == today  # local calendar date, as shown
    assert not partial_path(target).exists()


def test_csv_safe_rules() -> None:
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("-12.50") == "-12.50"  # a plain number cannot be a formula
    assert csv_safe("-1,234.00") == "-1,234.00"
    assert csv_safe("-1+A1") == "'-1+A1"
    assert csv_safe("a\x00b") == "ab"  # NULs dropped
    assert csv_safe("=\x00cmd") == "'=cmd"
    assert csv_safe("plain") == "plain"


def test_nul_and_control_characters_from_a_label_are_written_safely(staff, tmp_path) -> None:
    columns = [ExportColumn("name", "Name", label=lambda v: f"\x00={v}\x01")]
    query = client_list_query(staff)
    query.set_filter("type", "individual")
    csv_path = tmp_path / "x.csv"
    export_list(staff, query, columns, csv_path)
    _raw, rows = read_csv(csv_path)
    assert all(r[0].startswith("'=") and "\x00" not in r[0] for r in rows[1:])
    xlsx_path = tmp_path / "x.xlsx"
    export_list(staff, query, columns, xlsx_path)
    sheet = openpyxl.load_workbook(xlsx_path, read_only=True).active
    values = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(values) == len(rows) - 1
    assert all(isinstance(v, str) and v.startswith("=") for v in values)  # text, not formulas


def test_xlsx_reads_back_with_real_dates_numbers_and_labels(staff, tmp_path) -> None:
    base = select(Client).where(Client.tenant_id == staff.tenant_id)
    query = PagedQuery(
        base,
        [
            ColumnSpec("name", "Name", Client.name),
            ColumnSpec("id", "Number", Client.id),
            ColumnSpec("since", "Since", Client.created_at, formatter=format_date),
            ColumnSpec("changed", "Changed", Client.updated_at),
            ColumnSpec("risk", "Risk", Client.risk_level),
        ],
        sort_key="name",
        descending=True,
    )
    columns = [
        ExportColumn("changed", "Last change"),
        ExportColumn("name", "Name"),
        ExportColumn("id", "Number"),
        ExportColumn("since", "Since"),
        ExportColumn("risk", "Risk", label=code_label),
    ]
    target = tmp_path / "clients.xlsx"
    result = export_list(staff, query, columns, target, sheet="Clients", batch=4)
    assert result.rows == len(ALPHA) and result.format == "xlsx"
    book = openpyxl.load_workbook(target)
    sheet = book["Clients"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Last change", "Name", "Number", "Since", "Risk")
    with staff.reading() as session:
        shown = [r[0] for r in query.first_page(session, 100).rows]
    assert [xml_text(r[1]) for r in rows[1:]] == shown  # the list's order
    with staff.reading() as session:
        stored = {
            xml_text(c.name): c
            for c in session.scalars(select(Client).where(Client.name.in_(ALPHA)))
        }
    for changed, name, number, since, risk in rows[1:]:
        client = stored[xml_text(name)]
        assert isinstance(changed, datetime)  # a real timestamp, in local time
        local = client.updated_at.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
        assert abs((changed - local).total_seconds()) < 0.01
        assert isinstance(since, datetime) and since.date() == local.date()  # a date cell
        assert number == client.id and isinstance(number, int | float)
        assert risk in (("High", "Low") if client.risk_level else (None,))
    assert sheet.freeze_panes == "A2"
    assert not partial_path(target).exists()


def test_typed_values_follow_what_the_list_shows() -> None:
    stamp = datetime(2026, 5, 1, 12, 30)
    local = stamp.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
    assert typed_value(stamp, format_date(stamp), False) == local.date()
    assert typed_value(Decimal("1234.5"), "1,234.50", False) == Decimal("1234.50")
    assert typed_value(Decimal("99"), "G$ 99.00", False) == Decimal("99.00")
    assert typed_value(85.4, "85", False) == Decimal("85")  # the number shown
    assert typed_value(True, "Yes", False) == "Yes"
    assert typed_value(3, "Three", False) == "Three"  # a label is text
    assert typed_value(date(2026, 1, 2), "2026-01-02", False) == date(2026, 1, 2)
    assert typed_value("x", "", False) is None


def test_filters_and_search_are_respected(staff, tmp_path) -> None:
    query = client_list_query(staff)
    query.set_filter("type", "company")
    query.set_filter("risk_level", "low")
    target = tmp_path / "filtered.csv"
    export_list(staff, query, COLUMNS, target)
    _raw, rows = read_csv(target)
    expected = [n for i, n in enumerate(TRICKY) if i % 2 and i % 3]
    assert sorted(r[0].removeprefix("'") for r in rows[1:]) == sorted(expected)
    assert all(r[1] == "Company" and r[2] == "Low" for r in rows[1:])

    query = client_list_query(staff)
    query.set_search("georgetown")
    export_list(staff, query, COLUMNS, target)
    _raw, rows = read_csv(target)
    assert [r[0] for r in rows[1:]] == ["Ünïcödé Café — Georgetown"]


def test_only_the_firms_own_rows(staff, firms, tmp_path) -> None:
    # Even a list without the application's own tenant condition: the session's criteria and
    # the database's row-level security keep Beta's client out.
    query = PagedQuery(select(Client), [ColumnSpec("name", "Name", Client.name)], sort_key="name")
    target = tmp_path / "all.csv"
    result = export_list(staff, query, [ExportColumn("name", "Name")], target)
    _raw, rows = read_csv(target)
    names = [r[0] for r in rows[1:]]
    assert "'=Beta secret" not in names and "Beta Client" not in names
    assert "Alpha Client" in names
    assert result.rows == len(ALPHA)


def test_cancel_leaves_no_file_and_keeps_an_older_one(staff, tmp_path, monkeypatch) -> None:
    scratch = tmp_path / "scratch"  # where xlsxwriter keeps a sheet's rows while writing
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for name in ("old.csv", "old.xlsx"):
        target = tmp_path / name
        target.write_text("the previous export")
        seen: list[int] = []
        with pytest.raises(ExportCancelled):
            export_list(
                staff,
                client_list_query(staff),
                COLUMNS,
                target,
                batch=2,
                progress=lambda done, _total, seen=seen: seen.append(done),
                cancelled=lambda seen=seen: len(seen) >= 2,  # after the first batch
            )
        assert seen == [0, 2]
        assert target.read_text() == "the previous export"  # untouched
        assert not partial_path(target).exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            ["scratch", *(n for n in ("old.csv", "old.xlsx") if (tmp_path / n).exists())]
        )
        assert list(scratch.iterdir()) == []  # no row file left behind


def test_progress_counts_to_the_total(staff, tmp_path) -> None:
    seen: list[tuple[int, int]] = []
    export_list(
        staff,
        client_list_query(staff),
        COLUMNS,
        tmp_path / "p.csv",
        batch=3,
        progress=lambda done, total: seen.append((done, total)),
    )
    total = len(ALPHA)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_an_unwritable_place_is_a_clear_message(staff, tmp_path) -> None:
    target = tmp_path / "no such folder" / "clients.csv"
    with pytest.raises(ServiceError) as caught:
        export_list(staff, client_list_query(staff), COLUMNS, target)
    assert "could not be saved" in caught.value.message
    assert "Traceback" not in caught.value.message
    assert not (tmp_path / "no such folder").exists()


def test_the_permission_gate(staff, tmp_path) -> None:
    query = client_list_query(staff)
    blind = dataclasses.replace(staff, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        export_list(blind, query, COLUMNS, tmp_path / "x.csv", module="clients")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ServiceError):
        export_list(staff, query, [], tmp_path / "x.csv")
    with pytest.raises(ServiceError):
        export_list(staff, query, [ExportColumn("nope", "Nope")], tmp_path / "x.csv")


@pytest.mark.parametrize("descending", [False, True])
def test_rows_come_in_the_pages_order_with_nulls_where_the_list_has_them(
    staff, engine, firms, tmp_path, descending
) -> None:
    with session_factory(engine)() as session:  # a nullable sort column, NULLs and ties
        for client in session.scalars(select(Client).where(Client.tenant_id == firms.alpha)):
            client.tin = None if client.id % 3 == 0 else f"T{client.id % 2}"
        session.commit()
    query = client_list_query(staff)
    query.set_sort("tin", descending)
    paged: list[str] = []
    with staff.reading() as session:
        page = query.first_page(session, 2)
        paged += [row[0] for row in page.rows]
        while not page.done:
            page = query.next_page(session, page.cursor, 2)
            paged += [row[0] for row in page.rows]
    target = tmp_path / "by-tin.csv"
    export_list(staff, query, [ExportColumn("name", "Name")], target, batch=3)
    _raw, rows = read_csv(target)
    assert [r[0] for r in rows[1:]] == [csv_safe(n) for n in paged]
