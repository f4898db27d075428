"""The book as a value: sheet rows merge like the paper book's, and the hash is canonical."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sibook.book.amounts import compulsory_amounts, law_epochs, pieces
from sibook.book.assemble import (
    Arrear,
    BookInputs,
    Header,
    Line,
    OwedMonth,
    UISpan,
    assemble,
    calendar_months,
    canonical,
    content_hash,
    merge_lines,
)
from sibook.book.sheets import EmployerInfo, lines_of, ui_spans
from sibook.contributions.service import ParticipationRow, UIRow
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import compulsory_dues, voluntary_dues
from sibook.rules.contribution import Worker, compulsory_shares

HEADER = Header("001089012345", "0101234567", "Nguyễn Thị Hồng", date(1989, 3, 2), "female",
                "VN", "civil")
SHARES = {"retirement_survivorship": 800_000, "health": 150_000, "total": 950_000}


def line(start: str, end: str, *, basis: int = 10_000_000, employer: str = "0100000116",
         shares: dict[str, int] | None = SHARES) -> Line:
    return Line(Period.parse(start), Period.parse(end), "compulsory", employer, "Công ty A",
                "Kế toán", basis, 0, shares, shares)


def test_consecutive_months_with_the_same_facts_are_one_sheet_row() -> None:
    rows = merge_lines([line("2024-01", "2024-03"), line("2024-04", "2024-12")])
    assert [(str(r.from_month), str(r.to_month)) for r in rows] == [("2024-01", "2024-12")]


def test_a_new_salary_basis_starts_a_new_row() -> None:
    rows = merge_lines([line("2024-01", "2024-06"), line("2024-07", "2024-12", basis=12_000_000)])
    assert len(rows) == 2


def test_a_change_of_rates_starts_a_new_row_even_with_the_same_basis() -> None:
    other = {**SHARES, "health": 160_000, "total": 960_000}
    assert len(merge_lines([line("2024-01", "2024-06"), line("2024-07", "2024-12",
                                                               shares=other)])) == 2


def test_a_gap_between_months_is_not_bridged() -> None:
    assert len(merge_lines([line("2024-01", "2024-03"), line("2024-05", "2024-12")])) == 2


def test_another_employer_starts_a_new_row() -> None:
    rows = merge_lines([line("2024-01", "2024-06"), line("2024-07", "2024-12",
                                                          employer="0100000117")])
    assert len(rows) == 2


def test_totals_leave_out_months_the_employer_has_not_paid() -> None:
    arrear = Arrear(Period(2024, 12), "0100000116", "unpaid", 950_000, 40_000_000, 0)
    book = assemble(BookInputs(HEADER, [line("2023-01", "2024-12")],
                               ui=[UISpan(Period(2023, 1), Period(2024, 12), "0100000116",
                                          10_000_000)],
                               arrears=[arrear], ui_reserved_months=3))
    assert book["totals"] == {"si_months": 23, "si_years": 1, "si_remaining_months": 11,
                              "unpaid_months": 1, "ui_months": 23, "ui_reserved_months": 3}
    assert book["arrears"][0]["month"] == "2024-12"


def test_a_month_paid_by_two_employers_counts_once() -> None:
    """Months of SI are calendar months (Law 41/2024 Art 3(6); a worker with several contracts
    is insured under the first, Art 2(5)(a)): A pays 2024-01 to 2024-12, B 2024-07 to 2025-06,
    24 months on the sheets and 18 of SI. B's arrear in 2024-08 leaves A's month counted; its
    arrear in 2025-03, a month only B pays, is not counted until paid."""
    a, b = line("2024-01", "2024-12"), line("2024-07", "2025-06", employer="0100000117")
    arrears = [Arrear(Period(2024, 8), "0100000117", "unpaid", 950_000, 40_000_000, 0),
               Arrear(Period(2025, 3), "0100000117", "unpaid", 950_000, 40_000_000, 0)]
    book = assemble(BookInputs(HEADER, [a, b], arrears=arrears))
    assert sum(row["months"] for row in book["sheets"]) == 24
    assert book["totals"] == {"si_months": 17, "si_years": 1, "si_remaining_months": 5,
                              "unpaid_months": 2, "ui_months": 0, "ui_reserved_months": 0}


def test_a_month_of_ui_paid_by_two_employers_counts_once() -> None:
    """UI months are calendar months too, counted as SI's: A's UI from 2024-01 to 2024-12, B's
    from 2024-07 to 2025-06 are 18 months, not 24 (a worker with several contracts pays UI
    under one of them). B's arrear in 2024-08 leaves A's month counted; its arrear in 2025-03,
    a month only B pays, is not counted until paid."""
    a, b = line("2024-01", "2024-12"), line("2024-07", "2025-06", employer="0100000117")
    ui = [UISpan(Period(2024, 1), Period(2024, 12), "0100000116", 10_000_000),
          UISpan(Period(2024, 7), Period(2025, 6), "0100000117", 10_000_000)]
    arrears = [Arrear(Period(2024, 8), "0100000117", "unpaid", 950_000, 40_000_000, 0),
               Arrear(Period(2025, 3), "0100000117", "unpaid", 950_000, 40_000_000, 0)]
    book = assemble(BookInputs(HEADER, [a, b], ui=ui, arrears=arrears))
    assert sum(span["months"] for span in book["ui_periods"]) == 24
    assert (book["totals"]["si_months"], book["totals"]["ui_months"]) == (17, 17)


def test_a_voluntary_month_beside_a_compulsory_one_counts_once() -> None:
    """Voluntary SI is for those outside compulsory SI (Law 41/2024 Art 2(4)(a)): a month paid
    both ways is one month; a voluntary month owed counts only where no employer pays it."""
    compulsory = line("2024-01", "2024-06")
    voluntary = Line(Period(2024, 6), Period(2024, 12), "voluntary", None, None, None,
                     3_000_000, 0, None, SHARES)
    assert calendar_months([compulsory, voluntary], set()) == 12
    owed = [OwedMonth(Period(2024, 6), "unpaid", 330_000, 0),
            OwedMonth(Period(2024, 10), "unpaid", 330_000, 0)]
    assert calendar_months([compulsory, voluntary], set(), owed) == 11


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.sampled_from(
    ["0100000116", "0100000117", None])), min_size=0, max_size=5),
       st.sets(st.tuples(st.sampled_from(["0100000116", "0100000117"]), st.integers(0, 60))),
       st.sets(st.integers(0, 60)))
def test_the_calendar_months_are_those_some_row_pays(
        spans: list[tuple[int, int, str | None]], arrears: set[tuple[str, int]],
        owed: set[int]) -> None:
    """Counted without walking every month: the same as asking of each month whether a row
    covering it pays it (its employer's arrear, or a voluntary month owed, does not)."""
    base = Period(2024, 1).index
    rows = [Line(Period.from_index(base + a), Period.from_index(base + a + n),
                 "voluntary" if code is None else "compulsory", code, None, None, 5_000_000, 0,
                 None, None) for a, n, code in spans]
    unpaid = {(code, Period.from_index(base + i)) for code, i in arrears}
    owing = [OwedMonth(Period.from_index(base + i), "unpaid", None, 0) for i in owed]
    paid = {i for r in rows for i in range(r.from_month.index, r.to_month.index + 1)
            if (r.employer_code, Period.from_index(i)) not in unpaid
            and not (r.kind == "voluntary" and i - base in owed)}
    assert calendar_months(rows, unpaid, owing) == len(paid)


def test_an_open_period_shows_no_end_month() -> None:
    book = assemble(BookInputs(HEADER, [replace(line("2024-01", "2026-11"), ongoing=True)]))
    assert book["sheets"][0]["to"] is None and book["sheets"][0]["months"] == 35


def test_the_same_facts_give_the_same_hash() -> None:
    inputs = BookInputs(HEADER, [line("2024-01", "2024-12")])
    assert content_hash(assemble(inputs)) == content_hash(assemble(inputs))


def test_the_hash_does_not_depend_on_key_order() -> None:
    assert content_hash({"a": 1, "b": [1, "x"]}) == content_hash({"b": [1, "x"], "a": 1})


def test_canonical_form_is_compact_sorted_utf8() -> None:
    assert canonical({"b": "Hồng", "a": 1}) == '{"a":1,"b":"Hồng"}'.encode()


def test_floats_are_refused_in_the_canonical_form() -> None:
    with pytest.raises(TypeError, match="floats"):
        canonical({"salary": 1.5})


def test_any_change_of_a_fact_changes_the_hash() -> None:
    base = assemble(BookInputs(HEADER, [line("2024-01", "2024-12")]))
    renamed = assemble(BookInputs(replace(HEADER, full_name="Nguyễn Thị Hòng"),
                                  [line("2024-01", "2024-12")]))
    assert content_hash(base) != content_hash(renamed)


def test_periods_are_cut_where_the_law_changes() -> None:
    epoch = next(e for e in law_epochs() if e > Period(2020, 1))
    cut = list(pieces(Period(2020, 1).index, (epoch + 3).index))
    assert cut[0][:2] == (Period(2020, 1).index, (epoch - 1).index)
    assert cut[-1][1:] == ((epoch + 3).index, epoch.index)  # the last piece starts its epoch
    assert all(b + 1 == c for (_, b, _), (c, _, _) in zip(cut, cut[1:], strict=False))


def test_a_piece_before_the_first_epoch_answers_the_month_before_the_law() -> None:
    first = law_epochs()[0]
    assert list(pieces((first - 30).index, (first - 1).index)) == [
        ((first - 30).index, (first - 1).index, (first - 1).index)]


@settings(max_examples=150, deadline=None)
@given(start=st.integers(1990 * 12, 2031 * 12), months=st.integers(1, 480),
       basis=st.one_of(st.integers(0, 200_000_000), st.sampled_from(
           [1, 350_000, 4_960_000, 46_800_000, 46_800_001, 99_200_000, 10_000_000_001])),
       region=st.sampled_from(["I", "II", "III", "IV"]), oa_bp=st.sampled_from([0, 30, 50]),
       kind=st.sampled_from(["compulsory", "foreign"]))
def test_each_month_of_a_compulsory_run_has_the_amounts_the_rules_give_that_month(
        start: int, months: int, basis: int, region: str, oa_bp: int, kind: str) -> None:
    """Runs span several law epochs where caps and rates leave the amounts alone."""
    runs = compulsory_amounts(start, start + months - 1, basis, region, oa_bp, kind)
    assert [a for a, _, _ in runs] == [start] + [b + 1 for _, b, _ in runs[:-1]]
    assert runs[-1][1] == start + months - 1
    for a, b, shares in runs:
        for index in range(a, b + 1):
            try:
                expected = compulsory_shares(
                    Period.from_index(index), basis, region,
                    "reduced" if oa_bp == 30 else "standard", cast(Worker, kind))
            except ValidationError:  # before the law tables, or a basis out of range
                assert shares is None
            else:
                assert shares == expected


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20))
def test_canonical_form_is_the_stdlib_json_of_the_same_value(value: object) -> None:
    """Hashes recorded before the faster encoder still match the versions they hash."""
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(value) == expected.encode("utf-8")


def voluntary(start: str, end: str | None, income: int, group: str | None) -> ParticipationRow:
    return ParticipationRow("voluntary", Period.parse(start), Period.parse(end) if end else None,
                            None, None, income, 0, 0, group)


def test_voluntary_rows_show_what_the_participant_pays_after_the_states_support() -> None:
    """The same amount as ``sibook rules contribution --voluntary --support ...``."""
    (row,) = lines_of([voluntary("2026-11", None, 3_000_000, "near_poor")], {}, Period(2026, 11))
    rules = voluntary_dues(month=Period(2026, 11), salary=3_000_000, support="near_poor")
    assert rules.state_support > 0
    assert row.employee_share == rules.employee.as_dict()
    assert row.employee_share is not None
    assert row.employee_share["total"] == rules.employee.total  # 660,000 less the support


def test_the_states_support_stops_after_the_months_the_law_allows() -> None:
    """120 months of support at most: a longer voluntary career pays in full after them."""
    periods = [voluntary("2020-01", "2024-12", 3_000_000, "poor"),  # the tables begin 2020
               voluntary("2025-01", None, 3_000_000, "poor")]
    lines = lines_of(periods, {}, Period(2030, 12))
    aided = {(ln.from_month, ln.to_month) for ln in lines
             if ln.employee_share and ln.employee_share
             != voluntary_dues(month=ln.from_month, salary=3_000_000).employee.as_dict()}
    assert sum(b - a + 1 for a, b in aided) == 120  # 2020-01 .. 2029-12, over two periods
    last_aided = max(b for _, b in aided)
    assert last_aided == Period(2029, 12)
    after = next(ln for ln in lines if ln.from_month == last_aided + 1)
    assert after.employee_share == voluntary_dues(month=after.from_month,
                                                  salary=3_000_000).employee.as_dict()


def test_months_that_cannot_be_paid_use_none_of_the_states_support() -> None:
    """Support is counted by the months actually paid for (Decree 159/2025): an income below
    the 2022 floor cannot be paid at all, so those months leave the 120 to the later ones."""
    periods = [voluntary("2020-01", "2021-12", 1_000_000, "poor"),
               voluntary("2022-01", "2023-12", 1_000_000, "poor"),  # below 1,500,000 from 2022
               voluntary("2024-01", None, 3_000_000, "poor")]
    lines = lines_of(periods, {}, Period(2033, 12))
    assert all(ln.employee_share is None for ln in lines
               if Period(2022, 1) <= ln.from_month <= Period(2023, 12))
    full = {ln.from_month: voluntary_dues(month=ln.from_month, salary=ln.salary_basis)
            .employee.as_dict() for ln in lines if ln.employee_share}
    aided = [(ln.from_month, ln.to_month) for ln in lines
             if ln.employee_share and ln.employee_share != full[ln.from_month]]
    assert sum(b - a + 1 for a, b in aided) == 120
    assert max(b for _, b in aided) == Period(2031, 12)  # 24 + 96 months paid with support


def test_a_voluntary_row_has_no_employer_share() -> None:
    (row,) = lines_of([voluntary("2026-01", None, 3_000_000, None)], {}, Period(2026, 11))
    assert row.employer_share is None and row.employee_share is not None


def test_ui_rows_that_change_nothing_are_one_span() -> None:
    """A salary adjustment that left the UI basis as it was splits the stored rows only."""
    unit = {7: EmployerInfo("0101234567", "Công ty A", "I")}
    rows = [UIRow(Period(2026, 1), Period(2026, 8), 7, 10_000_000),
            UIRow(Period(2026, 9), None, 7, 10_000_000)]
    (span,) = ui_spans(rows, unit, Period(2026, 11))
    assert (span.from_month, span.to_month, span.ongoing) == (Period(2026, 1), Period(2026, 11),
                                                               True)
    changed = [rows[0], UIRow(Period(2026, 9), None, 7, 12_000_000)]
    assert len(ui_spans(changed, unit, Period(2026, 11))) == 2


@pytest.mark.parametrize("realm", ["defence", "public_security"])
def test_a_defence_or_public_security_book_holds_the_person_and_totals_only(realm: str) -> None:
    """FACTS §1.2 (the MPS draft circular): name, SI number, birth date and the total time of
    SI and UI; units, posts and pay are state secrets and stay out of the document."""
    inputs = BookInputs(HEADER, [line("2020-01", "2024-12")],
                        ui=[UISpan(Period(2020, 1), Period(2024, 12), "0100000116", 10_000_000)],
                        arrears=[Arrear(Period(2024, 12), "0100000116", "unpaid", 1, 2, 0)])
    civil = assemble(inputs)
    book = assemble(replace(inputs, header=replace(HEADER, realm=realm)))
    assert book["restricted"] is True and "restricted" not in civil
    assert book["totals"] == civil["totals"] and book["totals"]["si_months"] == 59
    assert book["sheets"] == book["ui_periods"] == book["arrears"] == book["benefits"] == []
    assert book["header"] == {**civil["header"], "realm": realm}
    text = canonical(book).decode()
    assert "Công ty A" not in text and "Kế toán" not in text and "0100000116" not in text


def test_a_career_since_1995_shows_the_amounts_of_every_month_in_the_book() -> None:
    """The law tables reach back to 1995-01 (Decree 12/CP): no line of a 1990s career is left
    without amounts, and each is what ``sibook rules contribution`` says for its months."""
    employers = {1: EmployerInfo("TS0000001", "Old Firm", "II"),
                 2: EmployerInfo("TS0000002", "New Firm", "I")}
    periods = [ParticipationRow("compulsory", Period(1995, 3), Period(2009, 12), 1, "clerk",
                                900_000, 0, 0, None),
               ParticipationRow("compulsory", Period(2010, 1), None, 2, "engineer",
                                60_000_000, 0, 30, None)]  # the reduced OA/OD rate, capped
    lines = lines_of(periods, employers, Period(2026, 10))
    assert lines[0].from_month == Period(1995, 3)
    assert all(ln.employer_share is not None and ln.employee_share is not None for ln in lines)
    first = next(ln for ln in lines if ln.from_month <= Period(1997, 6) <= ln.to_month)
    rules = compulsory_dues(month=Period(1997, 6), salary=900_000, region="II",
                            check_minimum=False)
    assert first.employer_share == rules.employer.as_dict()
    assert first.employee_share == rules.employee.as_dict()


def test_the_months_of_a_unit_paying_by_the_state_scale_say_so_and_no_others_do() -> None:
    """A pension averages them over other years (Law 41/2024 Art 72): the row says
    ``state_scale``; an enterprise's row and a voluntary one have no such key, so the content
    of the books of people who never worked at such a unit is as it was."""
    units = {7: EmployerInfo("0101234567", "Trường Tiểu học", "I", state_scale=True),
             8: EmployerInfo("0101234568", "Công ty A", "I")}
    periods = [ParticipationRow("compulsory", Period(2024, 1), Period(2024, 12), 7, None,
                                8_000_000, 0, 50, None),
               ParticipationRow("compulsory", Period(2025, 1), Period(2025, 6), 8, None,
                                8_000_000, 0, 50, None),
               voluntary("2025-07", None, 3_000_000, None)]
    lines = lines_of(periods, units, Period(2025, 12))
    book = assemble(BookInputs(HEADER, lines))
    assert [(r["employer_code"], r.get("state_scale")) for r in book["sheets"]] == [
        ("0101234567", True), ("0101234568", None), (None, None)]


def test_the_rows_split_where_the_units_regime_changes_and_merge_while_it_stays() -> None:
    """A public school that became a company in March 2025 (its regime: state as registered,
    employer from 2025-03, ``registry.regimes``): one stretch of work is two kinds of time
    for the pension's average, the rows before it marked ``state_scale``, none after."""
    school = EmployerInfo("0101234567", "Trường Tiểu học", "I", state_scale=True,
                          regime_changes=((Period(2025, 3).index, False),))
    periods = [ParticipationRow("compulsory", Period(2024, 1), Period(2025, 12), 7, None,
                                8_000_000, 0, 50, None)]
    book = assemble(BookInputs(HEADER, lines_of(periods, {7: school}, Period(2025, 12))))
    assert [(r["from"], r["to"], r.get("state_scale")) for r in book["sheets"]] == [
        ("2024-01", "2025-02", True), ("2025-03", "2025-12", None)]
    unchanged = replace(school, regime_changes=())
    assert len(lines_of(periods, {7: unchanged}, Period(2025, 12))) == 1


def test_a_regime_changed_and_changed_back_marks_only_the_months_between() -> None:
    unit = EmployerInfo("0101234567", "Đơn vị", "I", regime_changes=(
        (Period(2024, 3).index, True), (Period(2024, 5).index, False)))
    spans = [(Period.from_index(a), Period.from_index(b), state) for a, b, state in
             unit.scale_spans(Period(2024, 1).index, Period(2024, 12).index)]
    assert spans == [(Period(2024, 1), Period(2024, 2), False),
                     (Period(2024, 3), Period(2024, 4), True),
                     (Period(2024, 5), Period(2024, 12), False)]
    assert list(unit.scale_spans(Period(2024, 4).index, Period(2024, 4).index)) == [
        (Period(2024, 4).index, Period(2024, 4).index, True)]
