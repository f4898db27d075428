"""What a voluntary participant's payments pay: their months oldest first, each at what the
participant owes for it (22% of the declared income less the state's support)."""

from __future__ import annotations

from datetime import date

from sibook.book.sheets import lines_of, supported_months
from sibook.book.voluntary_charges import charges_of
from sibook.contributions.service import ParticipationRow
from sibook.contributions.voluntary import Account, Payment, allocate
from sibook.core.period import Period
from sibook.rules import voluntary_dues

FULL = 660_000  # 22% of 3,000,000
NEAR_POOR = 528_000  # less 40% of 22% of the rural poverty line 1,500,000 (132,000)


def voluntary(start: str, end: str | None, income: int = 3_000_000,
              group: str | None = None) -> ParticipationRow:
    return ParticipationRow("voluntary", Period.parse(start), Period.parse(end) if end else None,
                            None, None, income, 0, 0, group)


def paid(*amounts: int, on: date = date(2026, 1, 10)) -> list[Payment]:
    return [Payment(n, amount, f"REF-{n}", on) for n, amount in enumerate(amounts, 1)]


def account(periods: list[ParticipationRow], payments: list[Payment],
            as_of: date = date(2026, 3, 31)) -> Account:
    return allocate(charges_of(lines_of(periods, {}, Period.of(as_of))), payments, as_of)


def statuses(a: Account) -> list[tuple[str, str]]:
    return [(str(m.month), m.status) for m in a.months]


def test_payments_of_exactly_the_dues_pay_each_month_in_full() -> None:
    a = account([voluntary("2026-01", None)], paid(FULL, FULL, FULL))
    assert statuses(a) == [("2026-01", "paid"), ("2026-02", "paid"), ("2026-03", "paid")]
    assert a.credit == 0 and a.unpaid() == []


def test_a_payment_short_of_the_dues_pays_the_oldest_months_first() -> None:
    a = account([voluntary("2026-01", None)], paid(1_000_000))
    assert statuses(a) == [("2026-01", "paid"), ("2026-02", "partly_paid"),
                           ("2026-03", "unpaid")]
    assert [(m.due, m.paid) for m in a.months] == [(FULL, FULL), (FULL, 340_000), (FULL, 0)]
    assert a.allocated_by(1) == [(Period(2026, 1), FULL), (Period(2026, 2), 340_000)]


def test_money_beyond_the_months_due_is_credit_that_pays_the_next_month() -> None:
    a = account([voluntary("2026-01", None)], paid(2_000_000))
    assert a.credit == 2_000_000 - 3 * FULL and a.unpaid() == []
    april = account([voluntary("2026-01", None)], paid(2_000_000), as_of=date(2026, 4, 30))
    assert (april.months[-1].status, april.months[-1].paid, april.credit) == (
        "partly_paid", 20_000, 0)


def test_the_states_support_lowers_what_a_month_costs() -> None:
    a = account([voluntary("2026-01", "2026-01", group="near_poor")], paid(NEAR_POOR))
    rules = voluntary_dues(month=Period(2026, 1), salary=3_000_000, support="near_poor")
    assert rules.employee.total == NEAR_POOR
    assert statuses(a) == [("2026-01", "paid")] and a.credit == 0


def test_after_the_months_of_support_the_law_allows_a_month_costs_in_full() -> None:
    a = account([voluntary("2020-01", None, group="near_poor")], [], as_of=date(2030, 1, 31))

    def dues(month: Period, group: str | None) -> int:
        return voluntary_dues(month=month, salary=3_000_000, support=group).employee.total

    assert len(a.months) == 121
    assert all(m.due == dues(m.month, "near_poor") < dues(m.month, None) for m in a.months[:120])
    assert a.months[120].due == dues(Period(2030, 1), None)


def test_months_before_the_law_tables_take_no_money_and_stand_as_recorded() -> None:
    """Voluntary SI's tables begin in 2010-01 (18% of Law 71/2006): 2008-2009's 16% has no
    source loaded, so those months stand as recorded."""
    a = account([voluntary("2009-11", "2010-01")], paid(1_000_000, on=date(2010, 1, 5)),
                as_of=date(2010, 1, 31))
    assert statuses(a) == [("2009-11", "reported"), ("2009-12", "reported"),
                           ("2010-01", "paid")]
    assert [m.due for m in a.months[:2]] == [None, None]
    assert a.allocated_by(1) == [(Period(2010, 1), 540_000)]  # 18% of 3,000,000


def test_months_in_the_gap_of_the_voluntary_tables_stand_as_recorded() -> None:
    """2014-2015 (22% of Law 71/2006, not found in a source) have no rows; 2013-12 (20%) and
    2016-01 (22% of Law 58/2014, no state support before 2018) are priced."""
    a = account([voluntary("2013-12", "2016-01")], paid(600_000, FULL, on=date(2016, 1, 5)),
                as_of=date(2016, 1, 31))
    assert [m.due for m in a.months] == [600_000, *[None] * 24, FULL]
    assert a.months[0].status == a.months[-1].status == "paid"
    assert {m.status for m in a.months[1:-1]} == {"reported"}


def test_a_support_group_takes_no_support_and_no_months_of_it_before_2018() -> None:
    """Decree 134/2015 Art 14(2): the state's support began 2018-01; a near-poor participant
    of 2016-2017 pays the whole 22%, and those months do not count toward the 120."""
    a = account([voluntary("2017-12", "2018-01", income=1_500_000, group="near_poor")],
                paid(330_000, 330_000 - 38_500, on=date(2018, 1, 5)), as_of=date(2018, 1, 31))
    assert [m.due for m in a.months] == [330_000, 330_000 - 38_500]  # 25% x 22% x 700,000
    assert statuses(a) == [("2017-12", "paid"), ("2018-01", "paid")]
    assert supported_months(lines_of([voluntary("2017-01", "2018-01", group="near_poor")], {},
                                     Period(2018, 1))) == 1


def test_a_month_whose_income_the_law_refuses_cannot_be_paid_and_stays_unpaid() -> None:
    """1,000,000 was above the rural poverty line of 2021 (700,000), below 2022's (1,500,000)."""
    a = account([voluntary("2021-12", "2022-01", income=1_000_000)],
                paid(500_000, on=date(2021, 12, 20)), as_of=date(2022, 1, 31))
    assert statuses(a) == [("2021-12", "paid"), ("2022-01", "unpaid")]
    assert a.months[1].due is None and a.credit == 500_000 - 220_000


def test_payments_pay_in_the_order_they_were_paid_not_recorded() -> None:
    late = Payment(1, FULL, "LATE", date(2026, 3, 5))
    early = Payment(2, FULL, "EARLY", date(2026, 1, 5))
    a = account([voluntary("2026-01", None)], [late, early])
    assert a.allocated_by(2) == [(Period(2026, 1), FULL)]
    assert a.allocated_by(1) == [(Period(2026, 2), FULL)]


def test_a_payment_after_the_day_asked_about_pays_nothing_yet() -> None:
    a = account([voluntary("2026-01", None)], paid(3 * FULL, on=date(2026, 4, 2)))
    assert [m.status for m in a.months] == ["unpaid"] * 3 and a.paid == 0


def _due(month: Period, income: int, group: str | None = None) -> int:
    return voluntary_dues(month=month, salary=income, support=group).employee.total


def test_months_paid_ahead_keep_the_price_they_had_when_paid() -> None:
    """FACTS §3.4 (Law 41/2024 Art 36): a change of the poverty line after a prepayment brings
    no top-up and no refund. Paid in December 2021 for 2022, when the line went from 700,000
    to 1,500,000 (support up, dues down): each 2022 month costs December 2021's price."""
    from sibook.book.voluntary_charges import voluntary_account_of

    december = _due(Period(2021, 12), 2_000_000, "near_poor")
    assert december != _due(Period(2022, 1), 2_000_000, "near_poor")
    lines = lines_of([voluntary("2022-01", "2022-12", 2_000_000, "near_poor")], {},
                     Period(2022, 12))
    a = voluntary_account_of(lines, paid(12 * december, on=date(2021, 12, 15)),
                             date(2022, 12, 31))
    assert a.unpaid() == [] and a.credit == 0
    assert {m.due for m in a.months} == {december}


def test_a_month_paid_ahead_counts_even_if_its_income_fell_below_a_later_floor() -> None:
    """1,000,000 was a valid income in 2021 (floor 700,000) but not in 2022 (1,500,000): paid
    ahead in 2021 the months stand paid; paid late in 2022 they cannot be priced."""
    from sibook.book.voluntary_charges import voluntary_account_of

    lines = lines_of([voluntary("2022-01", "2022-03", 1_000_000)], {}, Period(2022, 3))
    price = _due(Period(2021, 11), 1_000_000)
    ahead = voluntary_account_of(lines, paid(3 * price, on=date(2021, 11, 20)),
                                 date(2022, 3, 31))
    assert [m.status for m in ahead.months] == ["paid"] * 3
    late = voluntary_account_of(lines, paid(3 * price, on=date(2022, 1, 20)), date(2022, 3, 31))
    assert [m.status for m in late.months] == ["unpaid"] * 3 and late.credit == 3 * price
