"""Typed questions to the law tables: "what was X in force in month M?", answered with the row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files
from typing import Generic, TypeVar

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law import diseases
from sibook.law.tables import LawDataError, LawRow, LawTable, NoRuleInForce, parse_table
from sibook.law.terms import (
    FUNDS,
    REGIONS,
    SUPPORT_GROUPS,
    Fund,
    Kind,
    OaRate,
    Region,
    Sex,
    SupportGroup,
    parse_choice,
)

T = TypeVar("T")

TABLES = ("fund_rates", "reference_level", "regional_minimum", "parameters", "voluntary_support",
          "household_hi", "pension_rates", "averaging_windows", "revaluation", "retirement_age",
          "sickness_days", diseases.TABLE)


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """A value of the law and the row it came from."""

    value: T
    row: LawRow


@dataclass(frozen=True, slots=True)
class FundRate:
    fund: Fund
    employer: Decimal
    employee: Decimal
    row: LawRow


@dataclass(frozen=True, slots=True)
class FundRates:
    """The percentages a participant kind pays into each fund in a month (only funds it joins)."""

    kind: Kind
    on: Period
    rates: tuple[FundRate, ...]

    def of(self, fund: Fund) -> FundRate | None:
        return next((r for r in self.rates if r.fund == fund), None)


@dataclass(frozen=True, slots=True)
class Cap:
    """The most a monthly salary basis counts for: ``multiplier`` x ``base`` (the amount named
    ``base_name``); ``amount`` is None in a window where the law set no cap."""

    amount: int | None
    multiplier: Decimal | None
    base: int
    base_name: str
    rows: tuple[LawRow, ...]

    def of(self, basis: int) -> int:
        return basis if self.amount is None else min(basis, self.amount)


class LawBook:
    """All law tables, loaded and validated once."""

    def __init__(self, tables: Mapping[str, LawTable]) -> None:
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise LawDataError(f"missing law tables: {missing}")
        self._tables = dict(tables)

    def table(self, name: str) -> LawTable:
        return self._tables[name]

    def disease_guarantee(self, code: int, form: str | None, on: Period) -> diseases.Guarantee:
        """An occupational disease's guarantee period in force in month ``on`` (Circular
        15/2016/TT-BYT), refused by field when the table has none for it."""
        return diseases.guarantee(self._tables[diseases.TABLE], code, form, on)

    @property
    def tables(self) -> Mapping[str, LawTable]:
        return dict(self._tables)

    def fund_rates(self, kind: Kind, on: Period, oa_rate: OaRate = "standard") -> FundRates:
        table = self._tables["fund_rates"]
        rates: list[FundRate] = []
        for fund in FUNDS:
            key = f"{kind}:{fund}"
            if fund == "occupational" and oa_rate == "reduced":
                key = f"{kind}:occupational_reduced"
            if not table.has(key):
                continue  # this kind does not pay into this fund
            row = table.at(key, on)
            rates.append(FundRate(fund=fund, employer=row.value("employer"),
                                  employee=row.value("employee"), row=row))
        if not rates:
            raise NoRuleInForce(table="fund_rates", key=kind, on=on, first=None)
        return FundRates(kind=kind, on=on, rates=tuple(rates))

    def reference_level(self, on: Period) -> Fact[int]:
        row = self._tables["reference_level"].at("reference_level", on)
        return Fact(int(row.value("amount")), row)

    def regional_minimum(self, region: str, on: Period) -> Fact[int]:
        checked: Region = parse_choice(region, REGIONS, field="region")
        row = self._tables["regional_minimum"].at(checked, on)
        return Fact(int(row.value("monthly")), row)

    def si_hi_cap(self, on: Period) -> Cap:
        """SI/HI basis cap: ``si_hi_cap_multiplier`` x the reference level (the minimum common
        wage, then the base salary, before 2025-07); none before the Law on SI 2006."""
        reference = self.reference_level(on)
        row = self._tables["parameters"].at("si_hi_cap_multiplier", on)
        return _cap(row, reference.value, "reference level", (row, reference.row))

    def ui_cap(self, region: str, on: Period) -> Cap:
        """UI basis cap. Its base is data: ``ui_cap_multiplier`` x the region's minimum wage in
        the months it has a row (Law on Employment 2013 Art 58(2)), else
        ``ui_cap_reference_multiplier`` x the reference level (Law on SI 2006: the minimum
        common wage); the rows of the two never overlap (checked by the law tables' tests)."""
        params = self._tables["parameters"]
        row = params.find("ui_cap_multiplier", on)
        if row is not None:
            minimum = self.regional_minimum(region, on)
            return _cap(row, minimum.value, f"region {region} minimum", (row, minimum.row))
        row = params.at("ui_cap_reference_multiplier", on)
        reference = self.reference_level(on)
        return _cap(row, reference.value, "reference level", (row, reference.row))

    def salary_floor(self, region: str, on: Period) -> Fact[int]:
        """Lowest basis of an employee: the region's minimum wage where loaded, else
        ``floor_reference_multiplier`` x the reference level (the minimum common wage)."""
        checked: Region = parse_choice(region, REGIONS, field="region")
        if self._tables["regional_minimum"].find(checked, on) is not None:
            return self.regional_minimum(region, on)
        row = self._tables["parameters"].at("floor_reference_multiplier", on)
        return Fact(int(row.value("value") * self.reference_level(on).value), row)

    def voluntary_floor(self, on: Period) -> Fact[int]:
        """Lowest voluntary SI income: the rural poverty line where loaded (Law 58/2014 Art 87(1)
        from 2016), else ``voluntary_floor_reference_multiplier`` x the reference level (the
        minimum common wage of Law 71/2006); the row read is the fact's."""
        row = self._tables["parameters"].find("rural_poverty_line", on)
        if row is not None:
            return Fact(int(row.value("value")), row)
        row = self._tables["parameters"].at("voluntary_floor_reference_multiplier", on)
        return Fact(int(row.value("value") * self.reference_level(on).value), row)

    def parameter(self, name: str, on: Period) -> Fact[Decimal]:
        row = self._tables["parameters"].at(name, on)
        return Fact(row.value("value"), row)

    def voluntary_support(self, group: str, on: Period) -> Fact[Decimal]:
        checked: SupportGroup = parse_choice(group, SUPPORT_GROUPS, field="support")
        row = self._tables["voluntary_support"].at(checked, on)
        return Fact(row.value("percent"), row)

    def household_hi_share(self, member: int, on: Period) -> Fact[Decimal]:
        """Percent of the first member's amount paid by the ``member``-th member (1-based)."""
        if member < 1:
            raise ValidationError(field="member", reason=f"must be 1 or more, got {member}")
        table = self._tables["household_hi"]
        last = max(int(k) for k in table.keys)
        row = table.at(str(min(member, last)), on)
        return Fact(row.value("percent"), row)

    def pension_band(self, sex: Sex, years: int, on: Period) -> LawRow:
        """The rate row in force in ``on`` for ``sex`` and whole ``years`` paid (eligibility
        counts whole years): refused below the years a pension then needs, which may lie above
        the band's own ``from_years`` (Law 58/2014: 20 years, the rate anchored at 15 to 20)."""
        least = self.pension_min_years(on)
        rows = self._pension_rows(sex, on)
        if years >= least.value:
            for row in sorted(rows, key=lambda r: r.value("from_years")):
                upper = row.values.get("to_years")
                if row.value("from_years") <= years and (upper is None or years < upper):
                    return row
        raise ValidationError(
            field="contribution_months",
            reason=f"a {sex} pension needs at least {least.value} years ({least.value * 12} "
                   f"months) of contributions ({least.row.source}), got {years} whole years")

    def pension_full_rate_band(self, sex: Sex, on: Period) -> LawRow:
        """The rate row in force in ``on`` for ``sex`` that reaches the law's maximum rate: the
        years above its full rate earn the extra lump sum (Law 41/2024 Art 68, Law 58/2014 Art
        58), whichever band a pension is priced by (a man's 15 to under 20 years reach 45%, not
        the 75% of 35 years)."""
        return max(self._pension_rows(sex, on), key=lambda r: r.value("max_percent"))

    def _pension_rows(self, sex: Sex, on: Period) -> list[LawRow]:
        """The rate rows (bands) in force in ``on`` for ``sex``; refused when none is."""
        table = self._tables["pension_rates"]
        rows = [r for k in table.keys if k.split("_")[0] == sex
                and (r := table.find(k, on)) is not None]
        if not rows:
            raise NoRuleInForce(table="pension_rates", key=sex, on=on,
                                first=table.first_month(sex))
        return rows

    def pension_min_years(self, on: Period) -> Fact[int]:
        """The fewest whole years of SI that, with the retirement age, give a pension starting in
        ``on``: the law in force then (Law 41/2024 Art 5(7)), 20 to 2025-06 (Law 58/2014 Art
        54), 15 from 2025-07 (Law 41/2024 Art 64), for men and women alike."""
        row = self._tables["parameters"].at("pension_min_years", on)
        return Fact(int(row.value("value")), row)

    def averaging_window(self, start_year: int, on: Period) -> Fact[int | None]:
        """Years of salary averaged for a person who started SI in ``start_year`` (None: all),
        by the rows in force in ``on``, the month the pension starts (Law 41/2024 Art 5(7))."""
        table = self._tables["averaging_windows"]
        for row in table.all_at(on):
            if row.value("from_year") <= start_year <= row.value("to_year"):
                years = row.values.get("years")
                return Fact(int(years) if years is not None else None, row)
        raise NoRuleInForce(table="averaging_windows", key=str(start_year), on=on,
                            first=table.first_month())

    def averaging_law(self, on: Period) -> LawRow:
        """A salary averaging row in force in ``on`` (every window of a law cites the same
        article): the law a pension starting then is averaged by, Law 58/2014 Art 62 to
        2025-06, Law 41/2024 Art 72 from 2025-07."""
        table = self._tables["averaging_windows"]
        rows = table.all_at(on)
        if not rows:
            raise NoRuleInForce(table="averaging_windows", key="any start year", on=on,
                                first=table.first_month())
        return rows[0]

    def revaluation(self, paid_year: int, settlement: Period) -> Fact[Decimal]:
        """The coefficient revaluing a salary paid in ``paid_year`` for a benefit that starts in
        ``settlement``'s year (a year's table is for benefits starting in it: Circular
        01/2025/TT-BLDTBXH Art 1); refused, naming the year, when no table for it is loaded."""
        table = self._tables["revaluation"]
        first_year = min(int(k) for k in table.keys)
        if not table.all_at(settlement):
            years = self.revaluation_years()
            raise NoRuleInForce(table="revaluation", key=str(paid_year), on=settlement,
                                first=table.first_month(), reason=(
                f"no revaluation coefficients are loaded for benefits starting in "
                f"{settlement.year} (the law tables hold those for {', '.join(map(str, years))}): "
                "the salaries paid cannot be revalued (Law 41/2024 Art 73, Law 58/2014 Art 63)"))
        row = table.at(str(max(paid_year, first_year)), settlement)
        return Fact(row.value("coefficient"), row)

    def revaluation_years(self) -> tuple[int, ...]:
        """The years of the benefits the revaluation tables are loaded for, in order."""
        rows = self._tables["revaluation"].rows
        return tuple(sorted({year for r in rows for year in range(
            r.valid_from.year, (r.valid_to or r.valid_from).year + 1)}))

    def retirement_age(self, sex: Sex, born: Period) -> Fact[int]:
        """Statutory age in months for someone born in month ``born`` (normal conditions): the
        age in force in the first year in which they reach it (Decree 135/2020 Appendix I)."""
        table = self._tables["retirement_age"]
        first = table.first_month(sex)
        if first is None:
            raise NoRuleInForce(table="retirement_age", key=sex, on=born, first=None)
        year = max(first.year, born.year)
        while True:
            rule = table.at(sex, Period(year, 1))
            base_year, base = int(rule.value("base_year")), int(rule.value("base_months"))
            step, top = int(rule.value("step_months")), int(rule.value("max_months"))
            age = min(base + step * (year - base_year), top)
            reaches = (born + age).year
            if reaches < first.year:
                raise NoRuleInForce(
                    table="retirement_age", key=sex, on=born + age, first=first,
                    field_name="born", reason=(
                        f"a {sex} born in {born} reached the retirement age in {born + age}, "
                        f"before the first year the retirement_age table knows ({first.year})"))
            if reaches <= year:
                return Fact(age, rule)
            year += 1

    def sickness_band(self, years: int, on: Period) -> LawRow:
        table = self._tables["sickness_days"]
        for row in table.all_at(on):
            upper = row.values.get("to_years")
            if row.value("from_years") <= years and (upper is None or years < upper):
                return row
        raise NoRuleInForce(table="sickness_days", key=f"{years} years", on=on,
                            first=table.first_month())


def _cap(row: LawRow, base: int, base_name: str, rows: tuple[LawRow, ...]) -> Cap:
    multiplier = row.optional("value")
    amount = None if multiplier is None else int(multiplier * base)
    return Cap(amount, multiplier, base, base_name, rows)


def load_book() -> LawBook:
    """Read every table shipped in ``sibook/law/data`` and validate it."""
    data = files("sibook.law").joinpath("data")
    tables = {name: parse_table(name, data.joinpath(f"{name}.csv").read_text(encoding="utf-8"),
                                diseases.TEXT_COLUMNS if name == diseases.TABLE else ())
              for name in TABLES}
    diseases.check_rows(tables[diseases.TABLE])
    return LawBook(tables)
