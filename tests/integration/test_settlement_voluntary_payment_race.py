"""A voluntary payment posted while a withdrawal that ends the voluntary period is settled, on
PostgreSQL (SQLite's one writer serialises them): the settlement locks the person's row, then
the voluntary period it ends; the payment locked the periods, then met the person's row when
its insert checked its foreign key, so each waited for the other and PostgreSQL cancelled one
(a deadlock). The payment now locks the person's row first too: the settlement waits for it."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, text

from sibook.benefits.service import decide
from sibook.contributions.voluntary_payments import post_voluntary_payment
from sibook.core.db import unit_of_work
from sibook.core.errors import ValidationError
from sibook.registry import reading as registry
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.races import until_one_waits
from tests.integration.test_benefits import TODAY, claim, count, worked
from tests.integration.test_benefits_voluntary_stop import (
    MONTH,
    WITHDRAWAL,
    WITHDRAWN,
    volunteer,
)

# Settled second, the withdrawal counts the month the payment paid: 20 months, not 19.
AFTER_PAYMENT = replace(WITHDRAWN, amount=33_600_000)


def test_a_voluntary_payment_and_a_withdrawal_ending_the_period_take_turns(
        engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's one writer serialises the two")
    (pid,) = setup_workers(engine, 1)
    worked(engine, pid)  # 2024-01 to 2025-06
    volunteer(engine, pid, 1)  # 2025-07 paid, then not
    claim(engine, pid, WITHDRAWAL)
    failed: list[BaseException] = []
    refused: list[str] = []

    def paying() -> None:
        try:
            with unit_of_work(engine) as s:
                post_voluntary_payment(
                    session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                    personal_id=pid, amount=MONTH, reference="VOL-LATE",
                    paid_on=date(2025, 10, 10), today=TODAY)
        except BaseException as exc:  # noqa: BLE001 - a deadlock's victim, kept to fail on
            failed.append(exc)

    def withdrawing() -> None:
        try:
            with unit_of_work(engine) as s:
                decide(session=s, person_id=registry.person_id_of(session=s, personal_id=pid),
                       personal_id=pid, dossier_no=WITHDRAWAL.dossier_no, decision=AFTER_PAYMENT,
                       actor="approver", today=TODAY)
        except ValidationError as exc:
            refused.extend(p.field or "" for p in exc.problems)
        except BaseException as exc:  # noqa: BLE001
            failed.append(exc)

    # The payment is held at its insert (a table lock taken here) with what it locked before;
    # the settlement then runs until it waits; then both go on.
    racers = [threading.Thread(target=paying), threading.Thread(target=withdrawing)]
    with unit_of_work(engine) as s:
        s.execute(text("LOCK TABLE voluntary_payments IN SHARE MODE"))
        racers[0].start()
        until_one_waits(engine)
        racers[1].start()
        until_one_waits(engine, waiting=2)
    for racer in racers:
        racer.join(timeout=60)
    assert failed == []
    assert count(engine, "voluntary_payments") == 2
    assert (refused, count(engine, "benefit_decisions")) == ([], 1)
