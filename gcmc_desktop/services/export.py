"""Export of a list — exactly what its filters, search and sort show — to CSV or XLSX, streamed.

Every list page hands its `PagedQuery` (a clone, with the page's current filters, search and
sort) and its visible columns (in the order shown, with their header titles and the labels the
page shows for stored codes) to `export_list`. Rows come from one server-side cursor over the
list's own ordered statement (`PagedQuery.all_rows_statement`), a batch at a time, and go
straight to the file: memory stays bounded whatever the list's length (bench/export.py measures
1,000,000 clients). The statement is the list's ORM statement, so the session's tenant criteria
and the database's row-level security apply as they do to the list on screen.

Values are written as the user sees them: labels, not codes; timestamps in local time.
- CSV: UTF-8 with a byte-order mark (Excel on Windows reads it as UTF-8 then), RFC 4180 quoting
  and CRLF line ends. A text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
  gets a leading apostrophe (OWASP "CSV injection"): a spreadsheet would otherwise run it as a
  formula. A plain number such as "-12.50" is left alone: it cannot be a formula.
- XLSX (xlsxwriter in constant-memory mode: each row goes to disk as it is written): dates and
  timestamps are real dates, numbers real numbers, everything else a string cell (never a
  formula). A column is typed only when its display text is what the typed value shows as
  (a score shown rounded is written as the rounded number). More rows than a sheet holds
  continue on a second sheet.

The file is written as `name.partial` and renamed when complete: a cancelled or failed export
leaves no file that looks finished.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .context import Context, require
from .errors import ServiceError
from .paging import PagedQuery, format_date, format_value

CSV = "csv"
XLSX = "xlsx"
FORMATS: dict[str, str] = {CSV: "CSV (comma-separated)", XLSX: "Excel workbook"}
BATCH = 2000
# A sheet holds 1,048,576 rows; one is the header.
SHEET_ROWS = 1_048_575
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
PARTIAL_SUFFIX = ".partial"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_NUMBER_TEXT = re.compile(r"^(G\$|\$)?\s*([+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?)$")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

Label = Callable[[Any], str]


@dataclass(frozen=True)
class ExportColumn:
    """One column of the file: the list's column `key`, its header `title` as the page shows
    it, and `label` when the page shows the stored value through one (codes as words)."""

    key: str
    title: str
    label: Label | None = None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    format: str


class ExportCancelled(Exception):
    """The user cancelled; the partial file is gone."""


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for: "xlsx" for .xlsx, else "csv"."""
    return XLSX if str(path).lower().endswith(".xlsx") else CSV


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


# -- values ------------------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    """A stored (naive UTC) timestamp as local wall time, naive (what a spreadsheet holds)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone().replace(tzinfo=None)


def display_text(spec_format: Callable[[Any], str], label: Label | None, value: Any) -> str:
    """What the list shows in a cell."""
    text = label(value) if label is not None and value is not None else spec_format(value)
    return "" if text is None else str(text)


def _shower(spec_format: Callable[[Any], str], label: Label | None) -> Callable[[Any], str]:
    """`display_text` for one column, as one quick call per cell (a million rows of it)."""
    if label is not None:
        return lambda v: display_text(spec_format, label, v)
    if spec_format is format_value:  # the default: most cells are plain text
        return lambda v: v if type(v) is str else format_value(v)
    return lambda v: display_text(spec_format, None, v)


def csv_safe(text: str) -> str:
    """`text` for a CSV cell: NULs dropped (no spreadsheet keeps them), a would-be formula
    neutralised with a leading apostrophe (OWASP)."""
    text = text.replace("\x00", "")
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def typed_value(raw: Any, text: str, labelled: bool) -> Any:
    """The XLSX cell for a value the list shows as `text`: a date, timestamp or number when the
    text is what that shows as, else the text; None for an empty cell."""
    if text == "":
        return None
    if not labelled and raw is not None:
        if isinstance(raw, datetime):
            if text == format_value(raw):
                return _local(raw)
            if text == format_date(raw):
                return _local(raw).date()
        elif isinstance(raw, date):
            if text == raw.isoformat():
                return raw
        elif isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
            match = _NUMBER_TEXT.match(text.strip())
            if match:
                try:
                    return Decimal(match.group(2).replace(",", ""))
                except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                    pass
    return text


# -- writers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    index: int  # in the list's row
    show: Callable[[Any], str]
    labelled: bool


class _CsvWriter:
    def __init__(self, path: Path, titles: Sequence[str]) -> None:
        # newline="": the csv module writes the RFC 4180 CRLF itself.
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._file, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        self._csv.writerow([csv_safe(t) for t in titles])

    def rows(self, rows: Sequence[Sequence[Any]], columns: Sequence[_Column]) -> None:
        safe = csv_safe
        self._csv.writerows([[safe(c.show(row[c.index])) for c in columns] for row in rows])

    def close(self) -> None:
        self._file.close()

    def abort(self) -> None:
        self._file.close()


class _XlsxWriter:
    def __init__(self, path: Path, titles: Sequence[str], sheet: str) -> None:
        import xlsxwriter

        self._titles = list(titles)
        self._sheet_name = _sheet_name(sheet)
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,  # each row is flushed to disk once the next begins
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_date_format": "yyyy-mm-dd",
            },
        )
        self._bold = self._book.add_format({"bold": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._stamp = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self._money = self._book.add_format({"num_format": "#,##0.00"})
        self._sheets = 0
        self._widths = [min(max(len(t) + 2, 8), 60) for t in titles]
        self._sized = False
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = (
            self._sheet_name if self._sheets == 1 else f"{self._sheet_name[:26]} ({self._sheets})"
        )
        self._sheet = self._book.add_worksheet(name)
        self._sheet.freeze_panes(1, 0)
        for column, title in enumerate(self._titles):
            self._sheet.write_string(0, column, title, self._bold)
        self._row = 1
        if self._sized:
            self._size_columns()

    def _size_columns(self) -> None:
        for column, width in enumerate(self._widths):
            self._sheet.set_column(column, column, width)

    def rows(self, rows: Sequence[Sequence[Any]], columns: Sequence[_Column]) -> None:
        if not self._sized:  # widths from the first batch: later rows are never held
            for row in rows:
                for n, c in enumerate(columns):
                    width = len(c.show(row[c.index])) + 2
                    self._widths[n] = min(max(self._widths[n], width), 60)
            self._sized = True
            self._size_columns()
        sheet = self._sheet
        for row in rows:
            if self._row > SHEET_ROWS:
                self._new_sheet()
                sheet = self._sheet
            r = self._row
            for column, c in enumerate(columns):
                raw = row[c.index]
                value = typed_value(raw, c.show(raw), c.labelled)
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(r, column, value, self._stamp)
                elif isinstance(value, date):
                    sheet.write_datetime(r, column, value, self._date)
                elif isinstance(value, Decimal):
                    if value.as_tuple().exponent == -2:  # type: ignore[operator]
                        sheet.write_number(r, column, float(value), self._money)
                    else:
                        sheet.write_number(r, column, float(value))
                else:
                    sheet.write_string(r, column, _xlsx_text(value))
            self._row += 1

    def close(self) -> None:
        self._book.close()

    def abort(self) -> None:
        """Drop the sheets' row files instead of closing: closing would first assemble a whole
        (shorter) workbook — a minute's work for a long list the user no longer wants."""
        for sheet in self._book.worksheets():
            with contextlib.suppress(Exception):
                if not getattr(sheet, "row_data_fh_closed", True):
                    sheet.row_data_fh.close()
                    sheet.row_data_fh_closed = True
                if sheet.row_data_filename:
                    os.unlink(sheet.row_data_filename)
        self._book.fileclosed = True  # nothing left to write (and no warning at exit)


def _xlsx_text(text: str) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


def _sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_BAD.sub(" ", name).strip("' ") or "Export"
    return cleaned[:31]


# -- the export --------------------------------------------------------------------------------


def _rows(ctx: Context, query: PagedQuery, batch: int) -> Iterator[Sequence[Any]]:
    """The list's rows in its order, `batch` at a time, through one server-side cursor."""
    stmt = query.all_rows_statement().execution_options(yield_per=batch)
    result = ctx.session.execute(stmt)
    try:
        yield from result.partitions(batch)
    finally:
        result.close()


def export_list(
    ctx: Context,
    query: PagedQuery,
    columns: Sequence[ExportColumn],
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    module: str | None = None,
    sheet: str = "Export",
    total: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    batch: int = BATCH,
) -> ExportResult:
    """Write the rows of `query` (its filters, search and sort as set) to `path`.

    `columns` pick and order the list's columns; `module` is the permission module whose
    `view` the caller must hold. `total` (the count the page already knows) saves a count;
    `progress(done, total)` is called after every batch; when `cancelled()` turns true the
    export stops, removes its partial file and raises `ExportCancelled`."""
    if module is not None:
        require(ctx, module, "view")
    fmt = fmt or format_of(path)
    if fmt not in FORMATS:
        raise ServiceError(f"Exports are written as CSV or XLSX, not {fmt!r}.")
    if not columns:
        raise ServiceError("There are no visible columns to export.")
    specs = query.columns
    try:
        indexes = [query.column_index(c.key) for c in columns]
    except KeyError as exc:
        raise ServiceError(f"The list has no column {exc.args[0]!r}.") from None
    cells = [
        _Column(i, _shower(specs[i].formatter or format_value, c.label), c.label is not None)
        for i, c in zip(indexes, columns, strict=True)
    ]
    target = Path(path)
    partial = partial_path(target)
    if total is None:
        total = query.count(ctx.session, parallel=False)
    is_cancelled = cancelled or (lambda: False)
    titles = [c.title for c in columns]
    try:
        writer: _CsvWriter | _XlsxWriter = (
            _XlsxWriter(partial, titles, sheet) if fmt == XLSX else _CsvWriter(partial, titles)
        )
    except OSError as exc:
        raise ServiceError(_cannot_write(target, exc)) from None
    done = 0
    try:
        if progress is not None:
            progress(0, total)
        for rows in _rows(ctx, query, batch):
            if is_cancelled():
                raise ExportCancelled()
            writer.rows(rows, cells)
            done += len(rows)
            if progress is not None:
                progress(done, max(total, done))
        if is_cancelled():
            raise ExportCancelled()
        writer.close()
        os.replace(partial, target)
    except BaseException as exc:
        writer.abort()
        with contextlib.suppress(OSError):
            partial.unlink()
        ctx.session.rollback()
        if isinstance(exc, OSError):
            raise ServiceError(_cannot_write(target, exc)) from None
        raise
    ctx.session.rollback()  # nothing was written; end the read's transaction
    return ExportResult(target, done, fmt)


def _cannot_write(path: Path, exc: OSError) -> str:
    reason = exc.strerror or "the file cannot be written"
    return f"The export could not be saved as {path}: {reason}. Choose another folder or name."
