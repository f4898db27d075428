"""An access-log entry's detail: short "key value" parts naming the unit and what changed, and
the portal's reading of them in both languages."""

from __future__ import annotations

import html
import re

import pytest

from sibook.access import details
from sibook.access.store import DETAIL_MAX
from sibook.core.period import Period
from sibook.portal.log_detail import detail_vi

UNIT = "0101234567"


def test_a_remittance_names_its_unit_payment_day_and_the_months_it_paid() -> None:
    assert details.unit_paid(UNIT, 12, "2026-04-10", ["2026-03", "2026-01", "2026-02"]) == (
        f"unit {UNIT}; payment 12; paid_on 2026-04-10; months 2026-01..2026-03")
    assert details.unit_paid(UNIT, 12, "2026-04-10", ["2026-03"]).endswith("; months 2026-03")
    assert details.unit_paid(UNIT, 12, "2026-04-10", []) == (  # all of it to the unit's credit
        f"unit {UNIT}; payment 12; paid_on 2026-04-10")


def test_a_change_and_a_filing_say_what_and_from_when() -> None:
    assert details.unit_changed(UNIT, details.PAYMENT_CYCLE, "3", Period(2026, 4)) == (
        f"unit {UNIT}; payment_cycle 3; from 2026-04")
    assert details.declaration(UNIT, Period(2026, 4), 2) == f"unit {UNIT}; month 2026-04; batch 2"
    assert details.declaration(UNIT, Period(2026, 4), 2, 17).endswith("; declaration 17")


def test_a_benefit_names_its_regime_dossier_and_decision() -> None:
    assert details.benefit("pension", "HS-1") == "regime pension; dossier HS-1"
    assert details.benefit("pension", "HS-1", "9/QĐ", "settled") == (
        "regime pension; dossier HS-1; decision 9/QĐ; outcome settled")


def test_the_longest_detail_fits_its_column() -> None:
    longest = [details.unit_paid("X" * 13, 2**63 - 1, "2026-04-10", ["2026-01", "2026-12"]),
               details.unit_changed("X" * 13, details.SALARY_REGIME, "employer",
                                    Period(2026, 4)),
               details.declaration("X" * 13, Period(2026, 4), 999, 2**63 - 1),
               details.benefit("occupational", "X" * 40, "Đ" * 40, "refused")]
    assert max(map(len, longest)) <= DETAIL_MAX


def _read(detail: str | None) -> str:
    return html.unescape(re.sub(r"</?span[^>]*>", "", str(detail_vi(detail))))


@pytest.mark.parametrize(("detail", "shown"), [
    (f"unit {UNIT}; payment 12; paid_on 2026-04-10; months 2026-01..2026-03",
     f"Đơn vị / unit: {UNIT}; khoản nộp số / payment: 12; ngày nộp / paid on: 10/04/2026; "
     "trả cho tháng / months paid: 01/2026–03/2026"),
    (f"unit {UNIT}; salary_regime state; from 2026-04",
     f"Đơn vị / unit: {UNIT}; chế độ tiền lương / salary regime: theo chế độ tiền lương do Nhà "
     "nước quy định / the state's salary scale; từ tháng / from: 04/2026"),
    (f"unit {UNIT}; month 2026-04; batch 1; declaration 17",
     f"Đơn vị / unit: {UNIT}; tháng kê khai / month declared: 04/2026; đợt / batch: 1; "
     "mã kê khai / declaration: 17"),
    ("regime lump_sum; dossier HS-1; decision 9/QĐ; outcome refused",
     "chế độ / benefit: BHXH một lần / one-time withdrawal; hồ sơ số / dossier: HS-1; "
     "quyết định số / decision: 9/QĐ; kết quả / outcome: từ chối / refused"),
    # a part this version has no words for, or a value not of its kind: as logged
    ("unit X; shelf 4; from soon", "Đơn vị / unit: X; shelf 4; từ tháng / from: soon"),
    (None, ""),
])
def test_the_portal_says_each_part_in_both_languages(detail: str | None, shown: str) -> None:
    assert _read(detail) == shown


def test_a_detail_is_shown_as_text() -> None:
    assert "<b>" not in str(detail_vi("unit <b>x</b>; <b>y</b> z"))


def test_an_entry_of_another_realms_unit_keeps_its_detail_without_the_unit() -> None:
    assert details.without_unit(f"unit {UNIT}; month 2026-04; batch 1") == (
        "month 2026-04; batch 1")
    assert details.without_unit(f"unit {UNIT}") is None
    assert details.without_unit(None) is None


def test_the_portal_names_a_unit_it_knows_by_name_and_code() -> None:
    detail = f"unit {UNIT}; payment_cycle 6; from 2026-04"
    assert _read_with(detail, {UNIT: "Công ty <A> (0101234567)"}).startswith(
        "Đơn vị / unit: Công ty <A> (0101234567); phương thức đóng")
    assert _read_with(detail, {"0100000001": "Công ty B"}).startswith(f"Đơn vị / unit: {UNIT};")
    assert "<A>" not in str(detail_vi(detail, {UNIT: "Công ty <A>"}))  # a name is text too


def _read_with(detail: str, units: dict[str, str]) -> str:
    return html.unescape(re.sub(r"</?span[^>]*>", "", str(detail_vi(detail, units))))
