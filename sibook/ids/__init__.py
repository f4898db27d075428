"""Identifiers (pure): personal ID, legacy SI code, legacy HI card number, unit codes, the
province and country codes inside them, and the code lists a person is recorded by (nationality,
ethnic group)."""

from sibook.ids.countries import Country, countries, country, nationality_vi
from sibook.ids.ethnic_groups import ethnic_group, ethnic_groups
from sibook.ids.hi_card import (
    HiCard,
    HiGroup,
    hi_card_problems,
    hi_group,
    hi_groups,
    is_valid_hi_card,
    make_hi_card,
    parse_hi_card,
)
from sibook.ids.inspect import inspect
from sibook.ids.personal_id import (
    PersonalId,
    Sex,
    century_sex_digit,
    check_consistency,
    decode_personal_id,
    is_valid_personal_id,
    make_personal_id,
    parse_personal_id,
    personal_id_problems,
)
from sibook.ids.provinces import (
    BirthCountry,
    HistoricalProvince,
    Province,
    birth_countries,
    birth_country,
    birth_place_name,
    current_province_for,
    historical_province,
    historical_provinces,
    is_valid_id_prefix,
    is_valid_province_code,
    province_2025,
    province_by_id_prefix,
    provinces_2025,
)
from sibook.ids.si_code import is_valid_si_code, make_si_code, si_code_problems
from sibook.ids.unit_code import (
    UNIT_CODE_SHAPE,
    UnitCodeKind,
    enterprise_check_digit,
    is_valid_unit_code,
    make_enterprise_code,
    unit_code_kind,
    unit_code_problems,
)

__all__ = [
    "UNIT_CODE_SHAPE",
    "BirthCountry", "Country", "HiCard", "HiGroup", "HistoricalProvince", "PersonalId",
    "Province", "Sex", "UnitCodeKind", "birth_countries", "birth_country", "birth_place_name",
    "century_sex_digit", "check_consistency", "countries", "country", "current_province_for",
    "decode_personal_id", "enterprise_check_digit", "ethnic_group", "ethnic_groups",
    "hi_card_problems", "hi_group", "hi_groups", "historical_province", "historical_provinces",
    "inspect", "is_valid_hi_card", "is_valid_id_prefix", "is_valid_personal_id",
    "is_valid_province_code", "is_valid_si_code", "is_valid_unit_code", "make_enterprise_code",
    "make_hi_card", "make_personal_id", "make_si_code", "nationality_vi", "parse_hi_card",
    "parse_personal_id",
    "personal_id_problems", "province_2025", "province_by_id_prefix", "provinces_2025",
    "si_code_problems", "unit_code_kind", "unit_code_problems",
]
