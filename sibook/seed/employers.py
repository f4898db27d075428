"""Synthetic employers across the 34 provinces and the four minimum-wage regions."""

from __future__ import annotations

import random

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
)
_CITIES = ("01", "79", "31", "48", "92")  # centrally-run cities: mostly region I


def generate(
    rng: random.Random, count: int, first_id: int
) -> tuple[list[tuple[object, ...]], list[EmployerRef]]:
    provinces = provinces_2025()
    weights = [6 if p.code in _CITIES else 1 for p in provinces]
    rows: list[tuple[object, ...]] = []
    refs: list[EmployerRef] = []
    for i in range(count):
        eid = first_id + i
        province = rng.choices(provinces, weights)[0]
        region = (
            rng.choices(("I", "II", "III"), (70, 20, 10))[0]
            if province.code in _CITIES
            else rng.choices(("I", "II", "III", "IV"), (10, 30, 35, 25))[0]
        )
        industry, rate_bp = rng.choice(names.INDUSTRIES)
        name = f"{rng.choice(names.COMPANY_KINDS)} {industry} {rng.choice(names.COMPANY_WORDS)}"
        address = f"Số {rng.randint(1, 500)} {rng.choice(names.STREETS)}, {province.name}"
        rows.append(
            (
                eid,
                make_enterprise_code(eid, province.code),
                f"{name} {eid}",
                province.code,
                region,
                address,
                industry,
                f"{province.code}{rng.randint(0, 999):03d}",
                rate_bp,
            )
        )
        refs.append(EmployerRef(eid, region, rate_bp, province.code))
    return rows, refs
