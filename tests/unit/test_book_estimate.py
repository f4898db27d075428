"""The benefit estimate from a book's payload: the book's salary history (months not paid in
full left out, capped), revalued, and the law's pension and one-time withdrawal formulas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sibook.book.estimate import estimate, salary_history
from sibook.core.money import round_vnd
from sibook.core.period import Period
from sibook.rules.lump_sum import one_time_withdrawal


def _book(rows: list[tuple[str, str | None, int]], si_months: int, sex: str = "male",
          arrears: tuple[str, ...] = (), born: str = "1960-01-10") -> dict[str, Any]:
    return {"header": {"sex": sex, "birth_date": born},
            "totals": {"si_months": si_months},
            "sheets": [{"from": a, "to": b, "kind": "compulsory", "employer_code": "0100000155",
                        "salary_basis": pay, "allowances": 0} for a, b, pay in rows],
            "arrears": [{"employer_code": "0100000155", "month": m} for m in arrears]}


def test_two_years_at_ten_million_give_four_averages_at_once_and_no_pension() -> None:
    answer = estimate(_book([("2024-01", "2025-12", 10_000_000)], 24), Period(2025, 12))
    # Revaluation 1.00 for 2024 and 2025 (Circular 01/2025); from 2014, 2 averages a year.
    assert (answer["average_salary"], answer["revalued_for"]) == (10_000_000, 2025)
    assert answer["one_time_withdrawal"] == 40_000_000
    assert answer["pension"] is None and "15 years" in answer["pension_note"]


def test_a_year_without_published_coefficients_counts_at_face_value() -> None:
    # 2027 has no table yet: the 2026 one (1.00 for 2025 and 2026) is used, 2027 at face value.
    answer = estimate(_book([("2025-01", None, 10_000_000)], 35), Period(2027, 11))
    assert (answer["average_salary"], answer["revalued_for"]) == (10_000_000, 2026)
    assert answer["one_time_withdrawal"] == 60_000_000  # 2 years 11 months count as 3


def test_a_settlement_in_2026_revalues_2024_by_1_03() -> None:
    # VSS Official Letter 340/BHXH-CSXH (2026-02-03): 2024 x 1.03, 2025 and 2026 x 1.00.
    answer = estimate(_book([("2024-01", None, 10_000_000)], 35), Period(2026, 11))
    assert answer["revalued_for"] == 2026
    assert answer["average_salary"] == round_vnd(
        Decimal(10_000_000) * (12 * Decimal("1.03") + 23) / 35)  # 10,102,857


def test_months_in_arrears_and_pay_above_the_cap_are_left_out_or_capped() -> None:
    book = _book([("2025-01", "2025-12", 90_000_000)], 11, arrears=("2025-06",))
    history = salary_history(book, Period(2025, 12))
    assert len(history) == 11 and Period(2025, 6) not in {m for m, _ in history}
    assert {pay for _, pay in history} == {46_800_000}  # 20 x the reference level 2,340,000


def test_a_month_paid_by_two_employers_is_one_month_of_the_withdrawal() -> None:
    """2013 paid at two employers is 12 months of SI before 2014 (the book's totals count a
    calendar month once), not 24: with 2014's 12, 1.5 + 2 average salaries (FACTS §4.2)."""
    book = _book([("2013-01", "2013-12", 10_000_000), ("2013-01", "2014-12", 10_000_000)], 24)
    book["sheets"][1]["employer_code"] = "0100000156"
    answer = estimate(book, Period(2025, 12))
    assert answer["one_time_withdrawal"] == one_time_withdrawal(
        months_before_2014=12, months_from_2014=12, average_salary=answer["average_salary"],
        on=Period(2025, 12)).amount


def test_twenty_years_give_a_pension_rate() -> None:
    answer = estimate(_book([("2006-01", "2025-12", 8_000_000)], 240), Period(2025, 12))
    assert answer["pension"]["rate_percent"] == 45.0  # 20 years, a man (FACTS §4.1)
    assert answer["pension"]["monthly_pension"] == round(answer["average_salary"] * 0.45)


def test_a_man_past_retirement_age_could_retire_now_with_the_pension_from_next_month() -> None:
    answer = estimate(_book([("2006-01", "2025-12", 8_000_000)], 240), Period(2025, 12))
    # Born January 1960: 60 years, reached in January 2020 (Labour Code 2012 Art 187).
    assert (answer["retirement_date"], answer["reached_retirement_age"]) == ("2020-01-31", True)
    assert answer["pension"]["from_month"] == "2026-01"


def test_a_woman_before_retirement_age_is_told_when_the_pension_could_start() -> None:
    # Born March 1969: 56y8m (Decree 135/2020 Appendix I, births September 1968 - April
    # 1969), reached in November 2025.
    book = _book([("2006-01", None, 8_000_000)], 236, sex="female", born="1969-03-02")
    answer = estimate(book, Period(2025, 8))
    assert (answer["retirement_date"], answer["reached_retirement_age"]) == \
        ("2025-11-30", False)
    assert answer["pension"]["from_month"] == "2025-12"
    assert answer["pension"]["rate_percent"] == 55.0  # 19 years 8 months count as 20


def test_with_too_few_months_the_retirement_date_is_still_given() -> None:
    answer = estimate(_book([("2024-01", "2025-12", 10_000_000)], 24, born="1990-05-05"),
                      Period(2025, 12))
    assert (answer["retirement_date"], answer["reached_retirement_age"]) == \
        ("2052-05-31", False)
    assert answer["pension"] is None and "15 years" in answer["pension_note"]


def _with_pension(book: dict[str, Any], status: str) -> dict[str, Any]:
    return book | {"benefits": [{"regime": "pension", "dossier_no": "HS-HT-1",
                                 "received_on": "2025-11-20", "status": status,
                                 "event_from": "2026-01-01"}]}


def test_no_one_time_withdrawal_is_offered_beside_a_pension_settled_or_claimed() -> None:
    """Law 41/2024 Art 70: a withdrawal is refused to someone who receives (or has claimed) a
    pension; the estimate offered one all the same."""
    book = _book([("2006-01", "2025-12", 8_000_000)], 240)
    for status, says in (("settled", "settles"), ("claimed", "claims")):
        answer = estimate(_with_pension(book, status), Period(2025, 12))
        assert answer["one_time_withdrawal"] is None
        assert f"dossier HS-HT-1 {says} a pension" in answer["one_time_withdrawal_note"]
        assert answer["pension"]["from_month"] == "2026-01"
    refused = estimate(_with_pension(book, "refused"), Period(2025, 12))
    assert refused["one_time_withdrawal"] is not None
    assert refused["one_time_withdrawal_note"] is None


def test_years_paid_past_retirement_age_earn_the_larger_extra_lump_sum() -> None:
    """Law 41/2024 Art 68(2): a woman who reached her age in 2025-11 (born March 1969) and
    kept contributing: 383 months count 32 years, 2 above the 30 of the maximum rate; by her
    age 371 months counted 31, so 1 year at 0.5 average salaries and 1, paid after it, at 2."""
    book = _book([("1995-01", None, 8_000_000)], 383, sex="female", born="1969-03-02")
    answer = estimate(book, Period(2026, 11))
    average = answer["average_salary"]
    assert answer["pension"]["rate_percent"] == 75.0
    assert answer["pension"]["extra_lump_sum"] == round_vnd(average * Decimal("0.5")) \
        + 2 * average


def test_a_woman_eligible_when_reaching_her_age_earns_2_averages_a_year_paid_after_it() -> None:
    """Law 41/2024 Art 68(2): born June 1945, 55 reached in 2000-06 with 20 years of SI
    (1980-2000); 306 months after it, to 2025-12: 45.5 years count, 15.5 above the 30 of the
    maximum rate, all paid after the age, at 2 average salaries each."""
    book = _book([("1980-01", "1999-12", 8_000_000), ("2000-07", None, 8_000_000)], 546,
                 sex="female", born="1945-06-10")
    answer = estimate(book, Period(2025, 12))
    average = answer["average_salary"]
    assert answer["pension"]["extra_lump_sum"] == round_vnd(average * Decimal("31"))


def test_a_woman_who_had_15_years_only_after_her_age_earns_half_an_average_a_year() -> None:
    """Art 68(2) is for someone already eligible when reaching the age: with 10 years of SI
    by then (1990-2000), her 5.5 years above 30 earn 0.5 average salaries each (Art 68(1)),
    though paid after it."""
    book = _book([("1990-01", "1999-12", 8_000_000), ("2000-07", None, 8_000_000)], 426,
                 sex="female", born="1945-06-10")
    answer = estimate(book, Period(2025, 12))
    average = answer["average_salary"]
    assert answer["pension"]["extra_lump_sum"] == round_vnd(average * Decimal("2.75"))


def _two_employers(second_from: str = "2025-01") -> dict[str, Any]:
    """A from 2024-01 at 10,000,000 a month, B (a second contract) from ``second_from`` to
    2025-12 at 20,000,000."""
    book = _book([("2024-01", "2025-12", 10_000_000), (second_from, "2025-12", 20_000_000)],
                 24)
    book["sheets"][1]["employer_code"] = "0100000156"
    return book


def test_a_month_paid_at_two_employers_is_one_month_of_the_average_at_the_first_contract() -> None:
    """Law 41/2024 Art 2(5)(a): a worker with several labour contracts pays SI under the one
    signed first, so each month of 2025 counts once, at A's 10,000,000, not twice (24 months
    at 10,000,000 and 12 at 20,000,000 averaged 13,333,333)."""
    history = salary_history(_two_employers(), Period(2025, 12))
    assert len(history) == 24 and {pay for _, pay in history} == {10_000_000}
    assert estimate(_two_employers(), Period(2025, 12))["average_salary"] == 10_000_000


def test_a_month_the_first_employer_owes_counts_at_the_salary_the_other_paid_it_on() -> None:
    """The book counts a month some employer paid; the month A has not paid is B's."""
    book = _two_employers()
    book["arrears"] = [{"employer_code": "0100000155", "month": "2025-06"}]
    history = salary_history(book, Period(2025, 12))
    assert [pay for month, pay in history if month == Period(2025, 6)] == [20_000_000]


def test_the_contract_that_began_first_is_found_across_its_rows() -> None:
    """A's raise in 2025-03 starts a new sheet row after B's began; A's contract still began
    first (its rows are unbroken from 2024-01)."""
    book = _two_employers(second_from="2024-06")
    raised = dict(book["sheets"][0], **{"from": "2025-03", "salary_basis": 12_000_000})
    book["sheets"][0]["to"] = "2025-02"
    book["sheets"].insert(1, raised)
    history = dict(salary_history(book, Period(2025, 12)))
    assert (history[Period(2024, 6)], history[Period(2025, 3)]) == (10_000_000, 12_000_000)


def test_a_voluntary_month_beside_a_compulsory_one_counts_at_the_compulsory_salary() -> None:
    """Voluntary SI is for those outside compulsory SI (Law 41/2024 Art 2(4)(a))."""
    book = _book([("2025-01", "2025-12", 10_000_000)], 18)
    book["sheets"].append({"from": "2025-07", "to": "2026-06", "kind": "voluntary",
                           "employer_code": None, "salary_basis": 30_000_000,
                           "allowances": 0, "unpaid": []})
    history = salary_history(book, Period(2026, 6))
    assert len(history) == 18
    assert (dict(history)[Period(2025, 9)], dict(history)[Period(2026, 1)]) == \
        (10_000_000, 30_000_000)


def test_a_settled_pension_is_estimated_on_the_average_salary_its_decision_states() -> None:
    """The dossier's average (salary before the system's records, a correction) is what the
    pension was settled on; the book's revalued 8,000,000 would give another monthly sum."""
    book = _with_pension(_book([("2006-01", "2025-12", 8_000_000)], 240), "settled")
    book["benefits"][0] |= {"decision_no": "72/QĐ", "average_salary": 12_000_000}
    answer = estimate(book, Period(2025, 12))
    assert (answer["average_salary"], answer["revalued_for"]) == (12_000_000, None)
    assert answer["pension"]["monthly_pension"] == 5_400_000  # 45% (20 years, a man)
    assert "decision 72/QĐ" in answer["average_salary_note"]


def test_a_pension_settled_without_an_average_of_its_own_is_estimated_on_the_books() -> None:
    answer = estimate(_with_pension(_book([("2006-01", "2025-12", 8_000_000)], 240), "settled"),
                      Period(2025, 12))
    assert (answer["revalued_for"], answer["average_salary_note"]) == (2025, None)
    assert answer["pension"]["monthly_pension"] == round_vnd(
        answer["average_salary"] * Decimal("0.45"))


def _claimed_from(book: dict[str, Any], start: str) -> dict[str, Any]:
    return book | {"benefits": [{"regime": "pension", "dossier_no": "HS-HT-9",
                                 "received_on": "2026-03-02", "status": "claimed",
                                 "event_from": start}]}


def test_a_pension_claimed_from_2024_is_revalued_by_the_2024_table_not_todays() -> None:
    """A year's coefficients are for the benefits that start in it (Circular 01/2025 Art 1):
    a pension from 2024-05 still unsettled in 2026-03 is revalued by the 2024 table (2016 x
    1.23 ...), not 2026's (2016 x 1.36 ...). SI from 2004 on the state's salary scale: the last
    8 years, Law 58/2014 Art 62(1)(c), in force in 2024-05; 244 months, 20.5 years, 46%."""
    book = _claimed_from(_book([("2004-01", "2024-04", 8_000_000)], 244), "2024-05-01")
    book["sheets"][0]["state_scale"] = True
    answer = estimate(book, Period(2026, 3))
    years = {2016: (8, "1.23"), 2017: (12, "1.19"), 2018: (12, "1.15"), 2019: (12, "1.12"),
             2020: (12, "1.08"), 2021: (12, "1.07"), 2022: (12, "1.03"), 2023: (12, "1.00"),
             2024: (4, "1.00")}
    revalued = sum(months * Decimal(factor) for months, factor in years.values())
    assert (answer["average_salary"], answer["revalued_for"]) == \
        (round_vnd(8_000_000 * revalued / 96), 2024)
    assert answer["pension"]["rate_percent"] == 46.0
    assert answer["pension"]["monthly_pension"] == round_vnd(
        answer["average_salary"] * Decimal("0.46"))
    assert answer["pension_note"] is None


def test_a_pension_claimed_from_2021_has_no_amount_and_says_why() -> None:
    """MoLISA's 2021 coefficients are not loaded: no other year's table stands in for them;
    the rate is the 2021 law's (Law 58/2014 Art 56(2)(a): 45% at 19 years + 2% x 1.5)."""
    book = _claimed_from(_book([("2001-01", "2021-04", 8_000_000)], 244), "2021-05-01")
    answer = estimate(book, Period(2026, 3))
    assert (answer["average_salary"], answer["revalued_for"]) == (None, None)
    assert (answer["pension"]["rate_percent"], answer["pension"]["monthly_pension"]) == \
        (48.0, None)
    assert "no revaluation coefficients are loaded for benefits starting in 2021" in \
        answer["pension_note"]


def test_a_pension_claimed_from_a_later_year_is_revalued_as_of_the_estimate() -> None:
    """A pension from 2027-01 asked about in 2026-11: 2027's table cannot be known yet, so
    2026's (2024 x 1.03), as for a pension not claimed."""
    book = _claimed_from(_book([("2024-01", "2026-10", 10_000_000)], 34), "2027-01-01")
    assert estimate(book, Period(2026, 11))["revalued_for"] == 2026


def _after_a_withdrawal() -> dict[str, Any]:
    """2010 to 2012 at 5,000,000 a month, paid out by a one-time withdrawal; then 2024 and
    2025 at 10,000,000."""
    book = _book([("2010-01", "2012-12", 5_000_000), ("2024-01", "2025-12", 10_000_000)], 24)
    book["totals"]["si_months_paid_out"] = 36
    return book


def test_months_a_withdrawal_paid_out_are_not_averaged_again() -> None:
    """Months paid out count no more (FACTS §4.2; the book's totals leave them out): the
    average is of the 24 months since, at 10,000,000 (2024 and 2025 revalue at 1.00)."""
    assert estimate(_after_a_withdrawal(), Period(2025, 12))["average_salary"] == 10_000_000


def test_months_before_2014_a_withdrawal_paid_out_are_not_paid_out_again() -> None:
    """The 24 months counted are from 2014: 2 average salaries a year, none at 1.5."""
    answer = estimate(_after_a_withdrawal(), Period(2025, 12))
    assert answer["one_time_withdrawal"] == one_time_withdrawal(
        months_before_2014=0, months_from_2014=24, average_salary=answer["average_salary"],
        on=Period(2025, 12)).amount


def test_the_estimate_says_which_rule_took_its_average() -> None:
    """A book of employer-set pay: the whole period; its rows marked state_scale: the window
    for SI begun in 2006 (the last 8 years), the estimate's average then the window's."""
    book = _book([("2006-01", "2025-12", 8_000_000)], 240)
    assert estimate(book, Period(2025, 12))["average_rule"]["rule"] == "whole_period"
    book["sheets"][0]["state_scale"] = True
    rule = estimate(book, Period(2025, 12))["average_rule"]
    assert (rule["rule"], rule["si_started"], rule["window_years"], rule["source"]) == (
        "state_scale_window", 2006, 8, "Law 41/2024/QH15 Art 72(1)")


def test_a_decisions_average_and_no_average_name_no_rule() -> None:
    book = _with_pension(_book([("2006-01", "2025-12", 8_000_000)], 240), "settled")
    book["benefits"][0] |= {"decision_no": "72/QĐ", "average_salary": 12_000_000}
    assert estimate(book, Period(2025, 12))["average_rule"] is None
    assert estimate(_book([], 0), Period(2025, 12))["average_rule"] is None


def test_a_worker_past_retirement_age_still_employed_is_told_the_pension_waits() -> None:
    """Past the age with the employer's period running: the amount is estimated, and the note
    says the pension starts once they leave work (a claim is refused until the employer's
    decrease, ``benefits.left_work``); pension_note stays for what is missing."""
    working = estimate(_book([("2000-01", None, 10_000_000)], 312), Period(2025, 12))
    left = estimate(_book([("2000-01", "2025-11", 10_000_000)], 311), Period(2025, 12))
    assert working["pension"]["monthly_pension"] and working["pension_note"] is None
    assert working["note"].endswith(
        " An SI period with an employer is still running: the pension starts the month after "
        "you leave work, once the employer files the decrease (GH), not in 2026-01 while you "
        "work (Law 41/2024 Art 64(1), 'khi nghỉ việc').")
    assert "leave work" not in left["note"] and left["pension"]["from_month"] == "2026-01"
    voluntary = _book([("2000-01", None, 10_000_000)], 312)
    voluntary["sheets"][0]["kind"] = "voluntary"  # stops by not paying: no employer to leave
    assert "leave work" not in estimate(voluntary, Period(2025, 12))["note"]


def test_a_settled_pension_is_estimated_from_its_decisions_first_month() -> None:
    """Claimed from 2026-01, settled from 2026-03: the estimate starts it where the decision
    pays it, as its settlement priced it (``pension_first_month``), not at the claim's."""
    book = _with_pension(_book([("2006-01", "2025-12", 8_000_000)], 240), "settled")
    book["benefits"][0] |= {"decision_no": "72/QĐ", "from_month": "2026-03"}
    assert estimate(book, Period(2025, 12))["pension"]["from_month"] == "2026-03"
