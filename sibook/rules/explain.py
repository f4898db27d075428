"""Results that explain themselves: the inputs, each step in words, and the law rows used."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from sibook.law import Fact, LawRow

T = TypeVar("T")


@dataclass(frozen=True)
class Explanation:
    """What a calculation used and did, in order; part of every result."""

    inputs: dict[str, str]
    steps: tuple[str, ...]
    rows: tuple[LawRow, ...]

    @property
    def sources(self) -> list[str]:
        """The legal sources of the rows used, each once, in the order first used."""
        return list(dict.fromkeys(r.source for r in self.rows))

    @property
    def provisional(self) -> bool:
        """True when any row used is not yet checked against the official text."""
        return any(r.provisional for r in self.rows)


@dataclass
class Trail:
    """Collects steps and rows while a calculator works; ``done()`` freezes them."""

    inputs: dict[str, str]
    steps: list[str] = field(default_factory=list)
    rows: list[LawRow] = field(default_factory=list)

    def use(self, row: LawRow) -> LawRow:
        if row not in self.rows:
            self.rows.append(row)
        return row

    def fact(self, fact: Fact[T]) -> T:
        self.use(fact.row)
        return fact.value

    def step(self, text: str) -> None:
        self.steps.append(text)

    def done(self) -> Explanation:
        return Explanation(inputs=dict(self.inputs), steps=tuple(self.steps), rows=tuple(self.rows))


def vnd(amount: int | Decimal) -> str:
    """``1234567`` -> ``1,234,567`` (exact decimals keep their fraction)."""
    if isinstance(amount, Decimal) and amount != amount.to_integral_value():
        return f"{amount:,.2f}"
    return f"{int(amount):,}"


def pct(percent: Decimal) -> str:
    return f"{percent.normalize():f}%"
