"""A calendar month (kỳ), the unit of contributions and of the book's sheets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import overload

_PATTERN = re.compile(r"^([0-9]{4})-([0-9]{2})$")
# [0-9], never \d: Python's, Polars' and Pydantic's regexes all let \d match any script's
# digits ("20٢٦-01"), which then break int casts downstream.
# What input may name: years 1900-2099, every month the law tables, the ledger and the books can
# speak of (a Period itself holds any year 1..9999).
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
DAY_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def month_refused(value: object) -> str:
    """Why a value is no month MONTH_PATTERN takes, in the same words at every door (a flag,
    a JSON body, a query): never the pattern itself, which tells a caller nothing."""
    return f"must be a month as YYYY-MM, years 1900 to 2099, got {value!r}"


@dataclass(frozen=True, order=True, slots=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM``; raises ValueError with the reason."""
        m = _PATTERN.match(text.strip())
        if not m:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, d: date) -> Period:
        return cls(d.year, d.month)

    @classmethod
    def from_index(cls, index: int) -> Period:
        """Inverse of :attr:`index` (months since year 0)."""
        # Interned: the book and the ledger make hundreds of thousands of periods out of a few
        # hundred distinct months, and building (and checking) one costs ten dict lookups.
        found = _BY_INDEX.get(index)
        if found is None:
            found = _BY_INDEX[index] = cls(index // 12, index % 12 + 1)
        return found

    @property
    def index(self) -> int:
        """Months since year 0: lets periods be stored as one integer and subtracted."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        nxt = self + 1
        return date.fromordinal(nxt.first_day.toordinal() - 1)

    def __add__(self, months: int) -> Period:
        return Period.from_index(self.index + months)

    @overload
    def __sub__(self, other: Period) -> int: ...
    @overload
    def __sub__(self, other: int) -> Period: ...
    def __sub__(self, other: Period | int) -> int | Period:
        """Months between two periods, or the period ``other`` months earlier."""
        if isinstance(other, Period):
            return self.index - other.index
        return Period.from_index(self.index - other)

    def __str__(self) -> str:
        text = _TEXT.get(self)
        if text is None:
            text = _TEXT[self] = f"{self.year:04d}-{self.month:02d}"
        return text


# Caches of from_index and __str__; bounded by the months of years 1..9999.
_BY_INDEX: dict[int, Period] = {}
_TEXT: dict[Period, str] = {}


def months_between(start: Period, end: Period) -> int:
    """Number of months in the closed range start..end (0 when end < start)."""
    return max(0, end - start + 1)
