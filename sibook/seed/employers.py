"""Synthetic employers across the 34 provinces and the four minimum-wage regions.

A few civil units (``CYCLE_PAYER_SHARE``) are farms, forests, fisheries or salt works paying
every 3 or 6 months, as Law 41/2024/QH15 Art 33(1)(b) lets such a unit paying its workers by
product or piece-rate (``contributions.cycles``). The method is theirs from the month their
first worker was insured: the unit's registration with SI, as far as the seed knows it.

Some civil units (``STATE_SCALE_SHARE``: schools, hospitals, communes' people's committees,
departments) pay by the state's salary scale, as the defence and public-security units do; the
others are enterprises whose pay the employer sets (``Employer.salary_regime``: the years a
pension averages differ, Law 41/2024/QH15 Art 72). One of them in fifty (``REGIME_CHANGE_SHARE``,
at least one where there are any) has since become a company setting its own pay, from a month
drawn between its first worker's and the seed's own (``registry.regimes``), so `sibook employers
regimes` and its workers' books show a unit whose regime changed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import Connection, func, select

from sibook.contributions.store import SIPeriod
from sibook.core.bulk import write
from sibook.core.period import Period
from sibook.ids import make_enterprise_code
from sibook.ids.provinces import provinces_2025
from sibook.seed import names
from sibook.seed.careers import EmployerRef

COLUMNS = (
    "employer_id",
    "code",
    "name",
    "province_code",
    "region",
    "address",
    "business_type",
    "managing_office",
    "occupational_rate_bp",
    "realm",
    "salary_regime",
)
# The last two units of a seed of three or more are a defence and a public-security unit (the
# ministries' people work there and nowhere else); all others are civil.
_UNITS = {2: ("defence", "Đơn vị {eid} thuộc Bộ Quốc phòng"),
          1: ("public_security", "Đơn vị {eid} thuộc Bộ Công an")}
_CITIES = ("01", "79", "31", "48", "92")  # centrally-run cities: mostly region I
CYCLE_PAYER_SHARE = 0.02
# A tenth of the civil units are state agencies and public units: a plausible share for
# synthetic data, an assumption and not a statistic.
STATE_SCALE_SHARE = 0.1
# Of those, one in fifty has since become a company (a public unit equitised): an assumption for
# synthetic data, as the share above.
REGIME_CHANGE_SHARE = 0.02
_CYCLES = (3, 6)  # months per payment: the first unit chosen pays every 3, the next every 6, ...
_NAME, _BUSINESS = COLUMNS.index("name"), COLUMNS.index("business_type")
_REGIME, _REALM = COLUMNS.index("salary_regime"), COLUMNS.index("realm")
CYCLE_COLUMNS = ("employer_id", "from_month", "months")
REGIME_COLUMNS = ("employer_id", "from_month", "salary_regime")


def generate(
    rng: random.Random, count: int, first_id: int
) -> tuple[list[tuple[object, ...]], list[EmployerRef]]:
    provinces = provinces_2025()
    weights = [6 if p.code in _CITIES else 1 for p in provinces]
    rows: list[tuple[object, ...]] = []
    refs: list[EmployerRef] = []
    styles: list[tuple[str, str]] = []  # kind and word of each unit's name
    for i in range(count):
        eid = first_id + i
        province = rng.choices(provinces, weights)[0]
        region = (
            rng.choices(("I", "II", "III"), (70, 20, 10))[0]
            if province.code in _CITIES
            else rng.choices(("I", "II", "III", "IV"), (10, 30, 35, 25))[0]
        )
        industry, rate_bp = rng.choice(names.INDUSTRIES)
        kind, word = rng.choice(names.COMPANY_KINDS), rng.choice(names.COMPANY_WORDS)
        styles.append((kind, word))
        name = f"{kind} {industry} {word}"
        address = f"Số {rng.randint(1, 500)} {rng.choice(names.STREETS)}, {province.name}"
        realm, unit_name = _UNITS.get(count - i, ("civil", "")) if count >= 3 else ("civil", "")
        rows.append(
            (
                eid,
                make_enterprise_code(eid, province.code),
                unit_name.format(eid=eid) or f"{name} {eid}",
                province.code,
                region,
                address,
                industry,
                f"{province.code}{rng.randint(0, 999):03d}",
                rate_bp,
                realm,
                "employer" if realm == "civil" else "state",
            )
        )
        refs.append(EmployerRef(eid, region, rate_bp, province.code, realm))
    # Drawn after every unit, so the units' own draws (and the careers) stay as they were.
    for n, i in enumerate(_cycle_payers(rng, refs)):
        farming = rng.choice(names.FARMING)
        row = list(rows[i])
        kind, word = styles[i]
        row[_NAME] = f"{kind} {farming} {word} {refs[i].employer_id}"
        row[_BUSINESS] = farming
        rows[i] = tuple(row)
        refs[i] = replace(refs[i], payment_cycle=_CYCLES[n % len(_CYCLES)])
    for i in _public_units(rng, refs):
        unit, business = rng.choice(names.PUBLIC_UNITS)
        row = list(rows[i])
        row[_NAME] = f"{unit} {styles[i][1]} {refs[i].employer_id}"
        row[_BUSINESS], row[_REGIME] = business, "state"
        rows[i] = tuple(row)
    return rows, refs


def _cycle_payers(rng: random.Random, refs: list[EmployerRef]) -> list[int]:
    """Positions in ``refs`` of the units paying every 3 or 6 months, in id order."""
    civil = [i for i, ref in enumerate(refs) if ref.realm == "civil"]
    return sorted(rng.sample(civil, round(len(civil) * CYCLE_PAYER_SHARE)))


def _public_units(rng: random.Random, refs: list[EmployerRef]) -> list[int]:
    """Positions in ``refs`` of the civil units paying by the state's salary scale, in id
    order: drawn after the cycle payers (farms and the like, enterprises), so those stay."""
    civil = [i for i, ref in enumerate(refs) if ref.realm == "civil" and ref.payment_cycle == 1]
    return sorted(rng.sample(civil, round(len(civil) * STATE_SCALE_SHARE)))


def seed_payment_cycles(conn: Connection, refs: list[EmployerRef], default: Period) -> int:
    """The methods of the units not paying monthly (``employer_payment_cycles``), each from the
    month its first worker was insured, or ``default`` at a unit nobody has worked at yet.
    Rows written."""
    payers = {ref.employer_id: ref.payment_cycle for ref in refs if ref.payment_cycle != 1}
    if not payers:
        return 0
    first = _first_months(conn, payers)
    rows = [(e, first.get(e, default.index), months) for e, months in sorted(payers.items())]
    write(conn, "employer_payment_cycles", CYCLE_COLUMNS, rows)
    return len(rows)


def seed_regime_changes(conn: Connection, rows: list[tuple[object, ...]], *, seed: int,
                        month: Period) -> int:
    """The civil public units that became companies (``employer_salary_regimes``): one in fifty,
    at least one, each setting its own pay from a month after its first worker's, up to
    ``month`` (the seed's own; a unit nobody has worked at yet, from it). Rows written."""
    public = [int(str(r[0])) for r in rows if r[_REGIME] == "state" and r[_REALM] == "civil"]
    if not public:
        return 0
    rng = random.Random(f"regimes-{seed}")
    changed = sorted(rng.sample(public, max(1, round(len(public) * REGIME_CHANGE_SHARE))))
    first = _first_months(conn, changed)
    written = [(e, rng.randint(min(first.get(e, month.index) + 1, month.index), month.index),
                "employer") for e in changed]
    write(conn, "employer_salary_regimes", REGIME_COLUMNS, written)
    return len(written)


def _first_months(conn: Connection, employer_ids: Iterable[int]) -> dict[int, int]:
    """The month (``Period.index``) each unit's first worker was insured, of those with one."""
    return {employer_id: month for employer_id, month in conn.execute(
        select(SIPeriod.employer_id, func.min(SIPeriod.from_month))
        .where(SIPeriod.employer_id.in_(list(employer_ids))).group_by(SIPeriod.employer_id))}
