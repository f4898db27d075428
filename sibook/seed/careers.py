"""Synthetic careers: jobs, raises, gaps and voluntary stretches, as participation periods.

A row is one unchanged stretch (employer, job, salary basis), as the paper book's sheets show
it. Every basis is at or above the regional minimum wage of every month of its row: floors only
rise, so the floor of the row's last month is the highest the row meets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from sibook.core.period import Period
from sibook.seed.names import JOBS
from sibook.seed.wages import floor_table

UI_START = Period(2009, 1)  # unemployment insurance began on 1/1/2009 (Law 71/2006 Art 141)
SUPPORT_GROUPS = ("poor", "near_poor", "ethnic_minority", "other", "other", "other")


@dataclass(frozen=True)
class EmployerRef:
    employer_id: int
    region: str
    occupational_rate_bp: int
    province_code: str  # a current (post-2025) code
    realm: str = "civil"  # a ministry's unit employs that ministry's people only
    payment_cycle: int = 1  # months per payment: 1, or 3 or 6 (``seed.employers``)


@dataclass
class Career:
    rng: random.Random
    person_id: int
    birth: date
    sex: str
    employers: list[EmployerRef]
    first: Period
    current: Period

    def span(self) -> tuple[Period, Period] | None:
        """First and last month worked, or None for someone who has not started."""
        start_age = self.rng.randint(18, 25)
        start = max(self.first, Period(self.birth.year + start_age, self.birth.month))
        retire_age = (60 if self.sex == "male" else 55) + self.rng.randint(0, 2)
        end = min(self.current, Period(self.birth.year + retire_age, self.birth.month))
        return (start, end) if start <= end else None


Row = tuple[object, ...]


def career_rows(c: Career) -> tuple[list[Row], list[Row], str | None]:
    """SI rows, UI rows and the participant type of the latest row (None: never insured)."""
    span = c.span()
    if span is None:
        return [], [], None
    start, end = span
    rng = c.rng
    floors = floor_table(c.first, c.current)
    skill = math.exp(abs(rng.gauss(0.0, 0.45)))  # >= 1: nobody earns below the floor
    si: list[Row] = []
    ui: list[Row] = []
    kind: str | None = None
    t = start
    voluntary_done = False
    while t <= end:
        if not voluntary_done and si and rng.random() < 0.08:
            voluntary_done = True
            last = min(end, t + rng.randint(12, 60) - 1)
            income = rng.randint(30, 100) * 50_000
            si.append(
                (
                    c.person_id,
                    len(si) + 1,
                    t.index,
                    last.index,
                    "voluntary",
                    None,
                    None,
                    income,
                    0,
                    0,
                    rng.choice(SUPPORT_GROUPS),
                )
            )
            kind = "voluntary"
        else:
            employer = rng.choice(c.employers)
            job = rng.choice(JOBS)
            last = min(end, t + rng.randint(6, 120) - 1)
            row_start = t
            while row_start <= last:
                row_end = min(last, row_start + rng.randint(12, 36) - 1)
                years = (row_end - start) / 12
                floor = floors[(employer.region, row_end.index)]
                salary = _round_up(max(floor, floor * skill * 1.02**years))
                allowances = _round_up(salary * 0.07) if rng.random() < 0.2 else 0
                si.append(
                    (
                        c.person_id,
                        len(si) + 1,
                        row_start.index,
                        row_end.index,
                        "compulsory",
                        employer.employer_id,
                        job,
                        salary,
                        allowances,
                        employer.occupational_rate_bp,
                        None,
                    )
                )
                if row_end >= UI_START:
                    ui.append(
                        (
                            c.person_id,
                            len(ui) + 1,
                            max(row_start, UI_START).index,
                            row_end.index,
                            employer.employer_id,
                            salary + allowances,
                        )
                    )
                row_start = row_end + 1
            kind = "compulsory"
        t = last + 1 + (0 if rng.random() < 0.6 else rng.randint(1, 24))
    if end == c.current and si and si[-1][3] == end.index and rng.random() < 0.9:
        si[-1] = (*si[-1][:3], None, *si[-1][4:])  # still working: the row stays open
        if ui and ui[-1][3] == end.index:
            ui[-1] = (*ui[-1][:3], None, *ui[-1][4:])
    return si, ui, kind


def _round_up(amount: float) -> int:
    return math.ceil(amount / 1_000) * 1_000
