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
    "realm",
)
# The last two units of a seed of three or more are a defence and a public-security unit (the
# ministries' people work there and nowhere else); all others are civil.
_UNITS = {2: ("defence", "Đơn vị {eid} thuộc Bộ Quốc phòng"),
          1: ("public_security", "Đơn vị {eid} thuộc Bộ Công an")}
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
            )
        )
        refs.append(EmployerRef(eid, region, rate_bp, province.code, realm))
    return rows, refs
