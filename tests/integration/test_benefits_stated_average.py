"""A pension decision may state the revalued average salary its dossier establishes (salary
before the system's records, a court's or inspection's correction), on SQLite and PostgreSQL:
its monthly amount and extra lump sum are then checked against the record's rate times THAT
average (Law 41/2024 Arts 66, 68), and it is kept with the decision (migration 0019); a
decision that states none is checked on the book's average, as before.

The test unit pays by the state's salary scale here (``STATE``): its workers' averages are
the last years' by the year SI started (Law 41/2024 Art 72(1)), as the figures below are."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from typer.testing import CliRunner

from sibook.access import tokens
from sibook.benefits.domain import Claim, Decision, Regime
from sibook.benefits.service import BenefitConflict
from sibook.book.assemble import content_hash
from sibook.book.estimate import estimate
from sibook.book.render_pdf import render_pdf
from sibook.book.schema import BenefitEstimate, BookAnswer
from sibook.cli.rules import app as rules_app
from sibook.core import migrate
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.signing.qr import qr_png
from tests.integration.ledger_fixtures import setup_workers
from tests.integration.test_benefits import SICK, book_of, claim, count, older_worker, settle
from tests.servers import app_on

PENSION = Claim(Regime.PENSION, "HS-HT-BQ", date(2025, 8, 1), date(2025, 9, 1))
DECIDED = date(2025, 8, 20)
# The default older worker: 246 months (20.5 years: 46% for a man, Art 66(1)); the book's
# revalued average 9,894,375 gives 4,551,413 a month. The dossier's 12,000,000 gives 5,520,000.
BOOKS_MONTHLY, STATED, STATED_MONTHLY = 4_551_413, 12_000_000, 5_520_000

STATE = "state"  # the test unit's salary regime


def paying(monthly: int, average: int | None = None, amount: int | None = None) -> Decision:
    return Decision("settled", DECIDED, "72/QĐ", amount=amount, monthly_amount=monthly,
                    from_month=Period(2025, 9), average_salary=average)


def refused(engine: Engine, pid: str, d: Decision) -> tuple[str, str]:
    with pytest.raises(ValidationError) as exc:
        settle(engine, pid, PENSION.dossier_no, d)
    assert count(engine, "benefit_decisions") == 0
    return exc.value.problems[0].field, exc.value.problems[0].reason


def computed(reason: str, key: str) -> int:
    """What the ``sibook rules pension`` command a refusal names answers for ``key``."""
    found = re.search(r"`sibook rules (pension [^`]*)`", reason)
    assert found is not None
    result = CliRunner().invoke(rules_app, [*shlex.split(found.group(1)), "--json"])
    assert result.exit_code == 0
    return int(json.loads(result.stdout)[key])


def test_a_stated_average_prices_the_records_rate_and_the_book_shows_it(
        engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, PENSION)
    # Without a stated average the dossier's figure is refused, as before: the book's decides.
    field, reason = refused(engine, pid, paying(STATED_MONTHLY))
    assert field == "monthly_amount"
    assert "the book's salary history averages 9,894,375 VND revalued" in reason
    # Stated, the book's figure is the one refused, naming the stated average and its command.
    field, reason = refused(engine, pid, paying(BOOKS_MONTHLY, STATED))
    assert field == "monthly_amount"
    assert reason.startswith(
        "4,551,413 VND a month is not the pension the record gives, 5,520,000 VND: 246 months "
        "of SI count on 2025-08-20 and the decision states an average salary of 12,000,000 VND; "
        "rate = 45% at 20 years + 2% x (20.5 - 20) years, at most 75% = 46%; monthly pension = "
        "46% x 12,000,000 = 5,520,000 (Law 41/2024/QH15 Art 66(1), the average Law 41/2024/QH15 "
        "Art 72(1);")
    assert "--average-salary 12000000 " in reason
    assert computed(reason, "monthly_pension") == STATED_MONTHLY
    done = settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    assert (done["status"], done["decision"]["average_salary"]) == ("settled", STATED)
    decisions = metadata.tables["benefit_decisions"]
    with engine.connect() as conn:
        assert conn.execute(select(decisions.c.average_salary)).scalar_one() == STATED
    # The same decision again is its first record; another average is a conflict by field.
    again = settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    assert again["replayed"] is True
    with pytest.raises(BenefitConflict) as other:
        settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, STATED + 1))
    assert other.value.field == "average_salary"
    book = book_of(engine, pid, as_of=date(2025, 9, 1))
    (entry,) = book["benefits"]
    assert (entry["monthly_amount"], entry["average_salary"]) == (STATED_MONTHLY, STATED)
    BookAnswer.model_validate({"version": 1, "content_hash": content_hash(book),
                               "prev_hash": None, "book": book})
    pdfium = pytest.importorskip("pypdfium2", reason="pip install '.[test]' brings pypdfium2")
    pdf = pdfium.PdfDocument(render_pdf(
        book, version=1, content_hash=content_hash(book), issuer="Bảo hiểm xã hội Việt Nam",
        issued_at="2025-09-01T00:00:00+00:00", qr_png=qr_png("SIB1:TEST")))
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "bình quân tiền lương 12.000.000 đ" in text.replace("\r\n", " ")


def test_the_portal_line_of_a_pension_settled_on_a_stated_average_says_it_as_the_pdf(
        engine: Engine) -> None:
    """The PDF's line says "bình quân tiền lương 12.000.000 đ"; the portal's said only the
    monthly amount, so its holder could not see what the pension rests on."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, PENSION)
    settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    client = TestClient(app_on(engine))
    client.cookies.set("sibook_session", tokens.issue(
        {"sub": pid, "kind": "citizen", "personal_id": pid, "level": 2}), path="/portal")
    page = client.get("/portal/book")
    line = next(r for r in re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
                if PENSION.dossier_no in r)
    assert ("5.520.000\u00a0₫ từ / from 09/2025<br><small>bình quân tiền lương 12.000.000\u00a0₫ "
            "/ average monthly salary</small>") in re.sub(r"</?span[^>]*>", "", line)
    # The estimate's average names the decision in Vietnamese too: it did in the English only.
    average = re.search(r"<dt>Mức bình quân tiền lương.*?<dd>(.*?)</dd>", page.text, re.S)
    assert average is not None
    assert (f"12.000.000 ₫ (theo quyết định hưởng lương hưu 72/QĐ, hồ sơ "
            f"{PENSION.dossier_no}: lương hưu tính trên mức này, không phải mức tính từ sổ / "
            f"the average salary pension decision 72/QĐ") in " ".join(
        re.sub(r"</?span[^>]*>", "", average.group(1)).split())


def test_the_books_estimate_of_a_pension_settled_on_a_stated_average_uses_it(
        engine: Engine) -> None:
    """The estimate of a settled pension is the one paid: on the decision's average, not the
    book's 9,894,375, and it says whose average it is."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, PENSION)
    settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    answer = estimate(book_of(engine, pid, as_of=date(2025, 9, 1)), Period(2025, 9))
    BenefitEstimate.model_validate(answer)
    assert (answer["average_salary"], answer["pension"]["monthly_pension"]) == \
        (STATED, STATED_MONTHLY)
    assert "pension decision 72/QĐ (dossier HS-HT-BQ)" in answer["average_salary_note"]


def test_a_decision_stating_no_average_leaves_the_books_entry_without_one(
        engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, PENSION)
    done = settle(engine, pid, PENSION.dossier_no, paying(BOOKS_MONTHLY))
    assert (done["status"], done["decision"]["average_salary"]) == ("settled", None)
    (entry,) = book_of(engine, pid, as_of=date(2025, 9, 1))["benefits"]
    assert "average_salary" not in entry


def test_the_extra_lump_sum_follows_the_stated_average_and_its_refusal_names_it(
        engine: Engine) -> None:
    """A woman with 366 months (30.5 years, 75%), half a year beyond the 30 in the months paid
    after her age: 2 x 0.5 average salaries (Art 68(2)), of the stated 20,000,000."""
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine, born=date(1968, 3, 15), sex="female", since=Period(1995, 1))
    claim(engine, pid, PENSION)
    field, reason = refused(engine, pid, paying(15_000_000, 20_000_000, amount=9_615_000))
    assert field == "amount"
    assert reason.startswith("9,615,000 VND is not the extra lump sum the record gives, "
                             "20,000,000 VND: 366 months of SI count on 2025-08-20")
    assert "the decision states an average salary of 20,000,000 VND" in reason
    assert computed(reason, "extra_lump_sum") == 20_000_000
    done = settle(engine, pid, PENSION.dossier_no,
                  paying(15_000_000, 20_000_000, amount=20_000_000))
    assert done["status"] == "settled"


def test_only_a_settled_pension_states_an_average(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, SICK)
    with pytest.raises(ValidationError) as sick:
        settle(engine, pid, SICK.dossier_no, Decision(
            "settled", date(2025, 3, 27), "1/QĐ", amount=1_000_000, days=3,
            average_salary=STATED))
    assert [p.field for p in sick.value.problems] == ["average_salary"]
    claim(engine, pid, PENSION)
    with pytest.raises(ValidationError) as refusal:
        settle(engine, pid, PENSION.dossier_no, Decision(
            "refused", DECIDED, "2/QĐ", reason="hồ sơ thiếu", average_salary=STATED))
    assert [p.field for p in refusal.value.problems] == ["average_salary"]
    with pytest.raises(ValidationError) as zero:
        settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, 0))
    assert [p.field for p in zero.value.problems] == ["average_salary"]
    assert count(engine, "benefit_decisions") == 0


def test_migration_0019_adds_the_checked_column_and_is_undone(engine: Engine) -> None:
    setup_workers(engine, 0, salary_regime=STATE)
    pid = older_worker(engine)
    claim(engine, pid, PENSION)
    settle(engine, pid, PENSION.dossier_no, paying(STATED_MONTHLY, STATED))
    decisions = metadata.tables["benefit_decisions"]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(decisions.insert().values(
            person_id=1, claim_no=99, outcome="settled", decided_on=DECIDED,
            decision_no="X", average_salary=0, months_settled=0, recorded_by="test"))
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0018")
    columns = {c["name"] for c in inspect(engine).get_columns("benefit_decisions")}
    assert "average_salary" not in columns and "monthly_amount" in columns
    migrate.upgrade(engine)
    assert "average_salary" in {c["name"] for c in inspect(engine).get_columns(
        "benefit_decisions")}
    # The decisions are still append-only after the round trip.
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(update(decisions).values(average_salary=1))
