"""The pure checks of claims and decisions, and what the book shows of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from sibook.benefits.domain import (
    Benefit,
    Claim,
    Decision,
    Regime,
    check_claim,
    check_decision,
    decision_number_ok,
    entry,
    months_settled,
    ui_months_used,
)
from sibook.core.period import Period

TODAY = date(2026, 3, 20)
RECEIVED = date(2026, 3, 1)


def fields_of(problems: list[object]) -> set[str]:
    return {p.field for p in problems}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("regime", "event_from", "event_to", "bad"), [
    (Regime.SICKNESS, date(2026, 2, 2), date(2026, 2, 6), set()),
    (Regime.SICKNESS, date(2026, 2, 2), None, {"event_to"}),
    (Regime.MATERNITY, None, None, {"event_from", "event_to"}),
    (Regime.OCCUPATIONAL, date(2026, 1, 5), None, set()),
    (Regime.OCCUPATIONAL, date(2026, 1, 5), date(2026, 1, 6), {"event_to"}),
    (Regime.PENSION, date(2026, 6, 1), None, set()),  # claimed before it starts
    (Regime.SURVIVORSHIP, date(2026, 3, 2), None, {"event_from"}),  # after the receipt
    (Regime.LUMP_SUM, None, None, set()),
    (Regime.LUMP_SUM, date(2026, 1, 1), None, {"event_from"}),
    (Regime.UNEMPLOYMENT, date(2026, 2, 28), None, set()),
])
def test_each_regime_takes_the_event_dates_it_has(regime: Regime, event_from: date | None,
                                                  event_to: date | None, bad: set[str]) -> None:
    ground = "emigration" if regime is Regime.LUMP_SUM else None
    problems = check_claim(Claim(regime, "HS-1", RECEIVED, event_from, event_to, None, ground),
                           TODAY)
    assert fields_of(problems) == bad


def test_a_one_time_withdrawal_names_its_ground_and_nothing_else_does() -> None:
    assert fields_of(check_claim(Claim(Regime.LUMP_SUM, "HS-1", RECEIVED), TODAY)) == {"ground"}
    assert fields_of(check_claim(Claim(Regime.LUMP_SUM, "HS-1", RECEIVED, ground="holiday"),
                                 TODAY)) == {"ground"}
    assert fields_of(check_claim(Claim(Regime.PENSION, "HS-1", RECEIVED, date(2026, 6, 1),
                                       ground="emigration"), TODAY)) == {"ground"}


def test_a_withdrawal_without_a_ground_is_told_so_in_plain_words() -> None:
    (problem,) = check_claim(Claim(Regime.LUMP_SUM, "HS-1", RECEIVED), TODAY)
    assert problem.reason.endswith("; none was given"), problem.reason
    (problem,) = check_claim(Claim(Regime.LUMP_SUM, "HS-1", RECEIVED, ground="holiday"), TODAY)
    assert problem.reason.endswith("; got 'holiday'"), problem.reason


def test_a_claim_names_every_problem_at_once() -> None:
    problems = check_claim(Claim(Regime.SICKNESS, "HS/1", date(2026, 4, 1), date(2026, 2, 9),
                                 date(2026, 2, 2), "x" * 201), TODAY)
    assert fields_of(problems) == {"dossier_no", "received_on", "event_to", "note"}


def test_decision_numbers_are_written_as_the_agency_writes_them() -> None:
    assert decision_number_ok("123/QĐ-BHXH") and decision_number_ok("2026.01")
    for bad in ("", "/12", "12 QĐ", "١٢/QĐ", "x" * 41):
        assert not decision_number_ok(bad), bad


SICK = Claim(Regime.SICKNESS, "HS-1", RECEIVED, date(2026, 2, 2), date(2026, 2, 6))


@pytest.mark.parametrize(("claim", "decision", "bad"), [
    (SICK, Decision("settled", TODAY, "1/QĐ", amount=1_000_000, days=5), set()),
    (SICK, Decision("settled", TODAY, "1/QĐ", amount=1_000_000, days=6), {"days"}),
    (SICK, Decision("settled", TODAY, "1/QĐ", amount=1_000_000), {"days"}),
    (SICK, Decision("settled", TODAY, "1/QĐ", days=5, monthly_amount=1,
                    from_month=Period(2026, 3)), {"amount", "monthly_amount"}),
    (SICK, Decision("refused", TODAY, "1/QĐ", reason="hồ sơ thiếu giấy ra viện"), set()),
    (SICK, Decision("refused", TODAY, "1/QĐ", reason="  "), {"reason"}),
    (SICK, Decision("refused", TODAY, "1/QĐ", reason="no", amount=5), {"amount"}),
    (SICK, Decision("settled", date(2026, 2, 1), "1/QĐ", amount=1, days=1), {"decided_on"}),
    (SICK, Decision("settled", date(2026, 4, 1), "1/QĐ", amount=1, days=1), {"decided_on"}),
    (SICK, Decision("approved", TODAY, "1/QĐ"), {"outcome"}),
    (SICK, Decision("settled", TODAY, "1/QĐ", amount=1, days=1, reason="why"), {"reason"}),
    (Claim(Regime.PENSION, "HS-2", RECEIVED, date(2026, 6, 1)),
     Decision("settled", TODAY, "2/QĐ", monthly_amount=9_000_000, from_month=Period(2026, 6)),
     set()),
    (Claim(Regime.PENSION, "HS-2", RECEIVED, date(2026, 6, 1)),
     Decision("settled", TODAY, "2/QĐ", monthly_amount=9_000_000, from_month=Period(2026, 5)),
     {"from_month"}),
    (Claim(Regime.PENSION, "HS-2", RECEIVED, date(2026, 6, 1)),
     Decision("settled", TODAY, "2/QĐ", monthly_amount=9_000_000), {"from_month"}),
    (Claim(Regime.UNEMPLOYMENT, "HS-3", RECEIVED, date(2026, 2, 28)),
     Decision("settled", TODAY, "3/QĐ", monthly_amount=5_000_000, from_month=Period(2026, 3),
              months=13), {"months"}),
    (Claim(Regime.LUMP_SUM, "HS-4", RECEIVED),
     Decision("settled", TODAY, "4/QĐ", monthly_amount=1, from_month=Period(2026, 3)),
     {"amount", "monthly_amount"}),
    (Claim(Regime.SURVIVORSHIP, "HS-5", RECEIVED, date(2026, 2, 1)),
     Decision("settled", TODAY, "5/QĐ"), {"amount"}),
    (Claim(Regime.SURVIVORSHIP, "HS-5", RECEIVED, date(2026, 2, 1)),
     Decision("settled", TODAY, "5/QĐ", amount=23_400_000, monthly_amount=1_170_000,
              from_month=Period(2026, 3)), set()),
    (Claim(Regime.OCCUPATIONAL, "HS-6", RECEIVED, date(2026, 1, 5)),
     Decision("settled", TODAY, "6/QĐ", amount=5, days=3), {"days"}),
])
def test_what_a_decision_must_say(claim: Claim, decision: Decision, bad: set[str]) -> None:
    assert fields_of(check_decision(claim, decision, TODAY)) == bad


def test_the_book_entry_leaves_out_what_the_benefit_does_not_have() -> None:
    settled = Benefit(SICK, Decision("settled", TODAY, "1/QĐ", amount=1_000_000, days=5))
    assert entry(settled) == {
        "regime": "sickness", "dossier_no": "HS-1", "received_on": "2026-03-01",
        "status": "settled", "event_from": "2026-02-02", "event_to": "2026-02-06",
        "decided_on": "2026-03-20", "decision_no": "1/QĐ", "amount": 1_000_000, "days": 5}
    assert entry(Benefit(SICK))["status"] == "claimed"


def test_only_settled_withdrawals_and_unemployment_benefits_take_months_off() -> None:
    lump = Claim(Regime.LUMP_SUM, "HS-4", RECEIVED)
    benefits = [
        Benefit(lump, Decision("settled", TODAY, "4", amount=1, months_settled=40)),
        Benefit(lump, Decision("refused", TODAY, "5", reason="no", months_settled=0)),
        Benefit(Claim(Regime.UNEMPLOYMENT, "HS-3", RECEIVED, date(2026, 2, 28)),
                Decision("settled", TODAY, "3", monthly_amount=1, from_month=Period(2026, 3),
                         months=3, months_settled=30)),
    ]
    assert months_settled(benefits, Regime.LUMP_SUM) == 40
    assert months_settled(benefits, Regime.UNEMPLOYMENT) == 30


@pytest.mark.parametrize(("paid", "months", "used"), [(30, 3, 30), (40, 3, 36), (50, 4, 48),
                                                      (200, 12, 144)])
def test_a_month_of_unemployment_benefit_uses_twelve_paid_months(paid: int, months: int,
                                                                used: int) -> None:
    assert ui_months_used(paid, months) == used


@pytest.mark.parametrize("number", ["HS-1\n", "HS-1\r", " HS-1", "HS 1"])
def test_a_dossier_number_with_a_line_break_or_space_is_refused(number: str) -> None:
    # re's "$" matches before a final newline: "HS-1\n" would be a second dossier beside
    # "HS-1", unique key and all, that no URL can name.
    c = Claim(Regime.LUMP_SUM, number, RECEIVED, ground="emigration")
    assert fields_of(check_claim(c, TODAY)) == {"dossier_no"}


@pytest.mark.parametrize(("regime", "loss", "years", "bad"), [
    (Regime.PENSION, 65, None, set()),
    (Regime.PENSION, 65, 15, set()),
    (Regime.PENSION, 0, None, {"capacity_loss_percent"}),
    (Regime.PENSION, 101, None, {"capacity_loss_percent"}),
    (Regime.PENSION, None, 15, {"hazardous_years"}),  # counted with an assessed loss only
    (Regime.PENSION, 65, 61, {"hazardous_years"}),
    (Regime.SICKNESS, 65, None, {"capacity_loss_percent"}),  # a pension claim's only
    (Regime.LUMP_SUM, None, 15, {"hazardous_years"}),
])
def test_only_a_pension_claim_gives_a_capacity_loss_and_hazardous_years(
        regime: Regime, loss: int | None, years: int | None, bad: set[str]) -> None:
    dates = {Regime.PENSION: (date(2026, 6, 1), None),
             Regime.SICKNESS: (date(2026, 2, 2), date(2026, 2, 6)),
             Regime.LUMP_SUM: (None, None)}[regime]
    c = Claim(regime, "HS-1", RECEIVED, *dates,
              ground="emigration" if regime is Regime.LUMP_SUM else None,
              capacity_loss_percent=loss, hazardous_years=years)
    assert fields_of(check_claim(c, TODAY)) == bad


def test_a_refusal_quotes_a_long_value_cut_short() -> None:
    """A ground, dossier, outcome or decision number of megabytes was sent back whole."""
    long = "x" * 100_000
    claimed = check_claim(Claim(Regime.LUMP_SUM, long, RECEIVED, ground=long), TODAY)
    decided = check_decision(Claim(Regime.LUMP_SUM, "HS-1", RECEIVED, ground="emigration"),
                             Decision(long, TODAY, long), TODAY)
    assert fields_of(claimed) == {"dossier_no", "ground"} and fields_of(decided) == {"outcome"}
    assert all(len(p.reason) < 300 for p in [*claimed, *decided])
    assert all("'" + "x" * 40 + "…'" in p.reason for p in [*claimed, *decided])
    numbered = check_decision(Claim(Regime.LUMP_SUM, "HS-1", RECEIVED, ground="emigration"),
                              Decision("settled", TODAY, long, amount=1), TODAY)
    assert [len(p.reason) < 300 for p in numbered] == [True]


def test_only_a_maternity_claim_says_it_follows_infertility_treatment() -> None:
    """FACTS §4.4: the 24 months of a mother after infertility treatment; the book's entry
    shows it only when said."""
    leave = Claim(Regime.MATERNITY, "HS-TS-9", RECEIVED, date(2026, 2, 1), date(2026, 7, 31),
                  infertility_treatment=True)
    assert check_claim(leave, TODAY) == []
    assert entry(Benefit(leave))["infertility_treatment"] is True
    sick = Claim(Regime.SICKNESS, "HS-OD-9", RECEIVED, date(2026, 2, 1), date(2026, 2, 3))
    assert "infertility_treatment" not in entry(Benefit(sick))
    sick_treated = Claim(Regime.SICKNESS, "HS-OD-9", RECEIVED, date(2026, 2, 1),
                         date(2026, 2, 3), infertility_treatment=True)
    assert fields_of(check_claim(sick_treated, TODAY)) == {"infertility_treatment"}


def test_only_an_occupational_disease_names_a_disease_and_its_exposure() -> None:
    """Law 84/2015/QH13 Art 46(2): the kind is an occupational claim's; the code (needed), form
    and last month of exposure a disease's, that month not after the diagnosis."""
    disease = Claim(Regime.OCCUPATIONAL, "HS-BNN-9", RECEIVED, date(2026, 2, 1),
                    occupational_kind="disease", disease_code=8, disease_form="inorganic_colic",
                    exposure_ended=Period(2026, 1))
    assert check_claim(disease, TODAY) == []
    assert entry(Benefit(disease))["disease_name"] == "Bệnh nhiễm độc chì nghề nghiệp"
    assert fields_of(check_claim(replace(disease, disease_code=None), TODAY)) == {"disease_code"}
    assert fields_of(check_claim(replace(disease, exposure_ended=Period(2026, 3)), TODAY)) == {
        "exposure_ended"}
    assert fields_of(check_claim(replace(disease, occupational_kind="accident"), TODAY)) == {
        "disease_code", "disease_form", "exposure_ended"}
    assert fields_of(check_claim(replace(disease, occupational_kind="illness"), TODAY)) == {
        "occupational_kind"}
    assert fields_of(check_claim(replace(disease, disease_form="chì vô cơ"), TODAY)) == {
        "disease_form"}
    sick = Claim(Regime.SICKNESS, "HS-OD-9", RECEIVED, date(2026, 2, 1), date(2026, 2, 3),
                 occupational_kind="disease", disease_code=8)
    assert fields_of(check_claim(sick, TODAY)) == {"occupational_kind", "disease_code"}
    plain = Claim(Regime.OCCUPATIONAL, "HS-TNLD-9", RECEIVED, date(2026, 2, 1))
    assert check_claim(plain, TODAY) == [] and "disease_code" not in entry(Benefit(plain))
