"""Effective-dated law tables: one CSV file per table, one row per value and validity window.

Every row names its legal source and says whether it is provisional (not yet checked against
the official text). Rows are validated when the file is read; a bad file stops the load with the
file name and line, so a wrong correction never reaches a calculation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period

META_COLUMNS = ("key", "valid_from", "valid_to", "source", "provisional", "note")
# A value cell saying the law set no such value in the row's window (e.g. no cap before 2007).
NONE = "none"


class LawDataError(Exception):
    """A law data file is malformed: names the file, line and what is wrong."""


@dataclass(frozen=True, slots=True)
class LawRow:
    """One value (or set of values) of the law, in force from ``valid_from`` to ``valid_to``."""

    table: str
    key: str
    values: Mapping[str, Decimal]
    valid_from: Period
    valid_to: Period | None
    source: str
    provisional: bool
    note: str = ""
    line: int = 0
    unset: frozenset[str] = frozenset()  # columns written ``none``: the law set no such value
    # Columns a table declares as text (a disease's name, a unit), kept as written.
    texts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def value(self, column: str) -> Decimal:
        try:
            return self.values[column]
        except KeyError:
            where = f"{self.table}.csv line {self.line}"
            what = "is none in this window" if column in self.unset else "has no value"
            raise LawDataError(f"{where}: {column!r} {what}") from None

    def optional(self, column: str) -> Decimal | None:
        """The value, or None where the row says ``none`` (e.g. no cap existed then)."""
        return None if column in self.unset else self.value(column)

    def in_force(self, on: Period) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def cite(self) -> str:
        """How a step of an explanation names this row."""
        mark = ", provisional" if self.provisional else ""
        return f"{self.table}[{self.key}] {self.valid_from}.. ({self.source}{mark})"


class NoRuleInForce(ValidationError):
    """No row of a table is in force for the month asked about."""

    def __init__(self, *, table: str, key: str, on: Period, first: Period | None,
                 field_name: str = "month", reason: str | None = None) -> None:
        self.table, self.key, self.on, self.first = table, key, on, first
        super().__init__(Problem(field=field_name, reason=reason or self._reason()))

    def _reason(self) -> str:
        table, key, on, first = self.table, self.key, self.on, self.first
        if first is None:
            return f"the law table {table!r} has no entry {key!r}"
        if on < first:
            return (f"no {table} rule for {key!r} is known for {on}; "
                    f"the first known month is {first}")
        return f"no {table} rule for {key!r} is in force in {on} (first known month {first})"


@dataclass(frozen=True)
class LawTable:
    """All rows of one table, grouped by key and sorted by ``valid_from``."""

    name: str
    rows: tuple[LawRow, ...]
    _by_key: Mapping[str, tuple[LawRow, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[LawRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.key, []).append(row)
        by_key = {k: tuple(sorted(v, key=lambda r: r.valid_from)) for k, v in grouped.items()}
        object.__setattr__(self, "_by_key", MappingProxyType(by_key))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def has(self, key: str) -> bool:
        return key in self._by_key

    def first_month(self, key: str | None = None) -> Period | None:
        rows = self._by_key.get(key, ()) if key is not None else self.rows
        return min((r.valid_from for r in rows), default=None)

    def at(self, key: str, on: Period) -> LawRow:
        """The row for ``key`` in force in month ``on``; raises :class:`NoRuleInForce`."""
        rows = self._by_key.get(key, ())
        for row in rows:
            if row.in_force(on):
                return row
        before = max((r.valid_to for r in rows if r.valid_to is not None and r.valid_to < on),
                     default=None)
        after = min((r.valid_from for r in rows if r.valid_from > on), default=None)
        if before is not None and after is not None:
            raise NoRuleInForce(table=self.name, key=key, on=on, first=self.first_month(key),
                                reason=(f"no {self.name} rule for {key!r} is in force in {on}: "
                                        f"the rows known end in {before} and resume in {after} "
                                        "(no row covers the months between)"))
        raise NoRuleInForce(table=self.name, key=key, on=on, first=self.first_month(key))

    def find(self, key: str, on: Period) -> LawRow | None:
        """The row for ``key`` in force in month ``on``, or None."""
        return next((r for r in self._by_key.get(key, ()) if r.in_force(on)), None)

    def all_at(self, on: Period) -> tuple[LawRow, ...]:
        return tuple(r for r in self.rows if r.in_force(on))


def parse_table(name: str, text: str, text_columns: tuple[str, ...] = ()) -> LawTable:
    """Parse and validate one table's CSV text (``#`` lines are comments); ``text_columns`` are
    kept as written, every other column not of ``META_COLUMNS`` is a number."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise LawDataError(f"{name}.csv: empty table")
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in numbered)))
    columns = reader.fieldnames or []
    missing = [c for c in META_COLUMNS if c not in columns]
    if missing:
        raise LawDataError(f"{name}.csv: missing columns {missing}")
    missing = [c for c in text_columns if c not in columns]
    if missing:
        raise LawDataError(f"{name}.csv: missing columns {missing}")
    value_columns = [c for c in columns if c not in META_COLUMNS and c not in text_columns]
    if not value_columns:
        raise LawDataError(f"{name}.csv: no value column")
    lines = [n for n, _ in numbered[1:]]
    rows = tuple(_parse_row(name, line, raw, value_columns, text_columns)
                 for line, raw in zip(lines, reader, strict=True))
    _check_no_overlap(name, rows)
    return LawTable(name=name, rows=rows)


def _parse_row(table: str, line: int, raw: Mapping[str, str | None], value_columns: Iterable[str],
               text_columns: Iterable[str] = ()) -> LawRow:
    where = f"{table}.csv line {line}"

    def cell(column: str) -> str:
        return (raw.get(column) or "").strip()

    key, source = cell("key"), cell("source")
    if not key:
        raise LawDataError(f"{where}: empty key")
    if not source:
        raise LawDataError(f"{where}: every row needs its legal source")
    if cell("provisional") not in ("true", "false"):
        raise LawDataError(f"{where}: provisional must be true or false")
    values: dict[str, Decimal] = {}
    unset = frozenset(c for c in value_columns if cell(c) == NONE)
    for column in value_columns:
        if cell(column) and column not in unset:
            try:
                values[column] = Decimal(cell(column))
            except InvalidOperation:
                raise LawDataError(f"{where}: {column}={cell(column)!r} is not a number") from None
    if not values and not unset:
        raise LawDataError(f"{where}: no value")
    try:
        valid_from = Period.parse(cell("valid_from"))
        valid_to = Period.parse(cell("valid_to")) if cell("valid_to") else None
    except ValueError as exc:
        raise LawDataError(f"{where}: {exc}") from None
    if valid_to is not None and valid_to < valid_from:
        raise LawDataError(f"{where}: valid_to {valid_to} is before valid_from {valid_from}")
    return LawRow(table=table, key=key, values=MappingProxyType(values), valid_from=valid_from,
                  valid_to=valid_to, source=source, provisional=cell("provisional") == "true",
                  note=cell("note"), line=line, unset=unset,
                  texts=MappingProxyType({c: cell(c) for c in text_columns}))


def _check_no_overlap(table: str, rows: tuple[LawRow, ...]) -> None:
    by_key: dict[str, list[LawRow]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    for key, group in by_key.items():
        group.sort(key=lambda r: r.valid_from)
        for before, after in zip(group, group[1:], strict=False):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise LawDataError(
                    f"{table}.csv lines {before.line} and {after.line}: rows for {key!r} overlap "
                    f"({before.valid_from}..{before.valid_to or 'open'} and {after.valid_from}..)")
