"""``sibook benefits claim|decide|list`` by the commands' contract: one JSON object with --json,
exit 1 for a refusal naming the field, exit 2 for a usage error; the operator's reads and
changes are in the person's access log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.access import audit
from sibook.cli.main import app
from sibook.core.config import get_settings
from sibook.core.db import default_engine, unit_of_work
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.databases import migrated_sqlite
from tests.integration.ledger_fixtures import EMPLOYER, setup_workers
from tests.integration.test_benefits import older_worker
from tests.integration.test_declaration_settled_benefits import file

CLAIM = ("benefits", "claim", "--regime", "unemployment", "--dossier", "HS-TN-1",
         "--received", "2025-07-05", "--from", "2025-06-30")
SETTLE = ("--outcome", "settled", "--decided", "2025-07-20", "--decision-no", "7/QĐ-SLĐTBXH",
          "--monthly", "5400000", "--from-month", "2025-07", "--months", "3")


@dataclass
class Cli:
    db: Path
    engine: Engine
    worker: str  # worked 2024-01 to 2025-06: 18 months of SI and UI

    def run(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(app, [*args, "--json"])
        return result.exit_code, json.loads(result.stdout) if result.stdout else {}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("SIBOOK_DATABASE_URL", migrated_sqlite(db))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    engine = default_engine()
    (worker,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        person = registry.person_id_of(session=s, personal_id=worker)
        eid = registry.employer_by_code(session=s, code=EMPLOYER).employer_id
        for table, extra in (("si_periods", {"kind": "compulsory", "allowances": 0,
                                             "occupational_rate_bp": 50}),
                             ("ui_periods", {})):
            s.execute(insert(metadata.tables[table]).values(
                person_id=person, seq=1, from_month=Period(2024, 1).index,
                to_month=Period(2025, 6).index, employer_id=eid, salary_basis=9_000_000,
                **extra))
    yield Cli(db, engine, worker)
    get_settings.cache_clear()


def test_a_claim_is_received_decided_listed_and_logged(cli: Cli) -> None:
    code, received = cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:])
    assert code == 0, received
    assert (received["recorded"], received["status"], received["replayed"]) == \
        (True, "claimed", False)
    code, decided = cli.run("benefits", "decide", cli.worker, "hs-tn-1", *SETTLE)
    assert code == 0, decided
    assert decided["decision"]["months_settled"] == 18
    code, listed = cli.run("benefits", "list", cli.worker)
    assert code == 0
    assert [(b["dossier_no"], b["status"], b["decision"]["monthly_amount"])
            for b in listed["benefits"]] == [("HS-TN-1", "settled", 5_400_000)]
    shown = CliRunner().invoke(app, ["benefits", "list", cli.worker])
    assert shown.exit_code == 0 and "settled" in shown.stdout  # a table, its cells wrapped
    with unit_of_work(cli.engine) as s:
        said = {e.action: e.detail for e in audit.entries_for_person(
            session=s, person_id=registry.person_id_of(session=s, personal_id=cli.worker))}
    # Which dossier each entry is of (its amounts are not: the person's pay), none for a read.
    assert said == {"benefit.claim": "regime unemployment; dossier HS-TN-1",
                    "benefit.decide": "regime unemployment; dossier HS-TN-1; "
                                      "decision 7/QĐ-SLĐTBXH; outcome settled",
                    "benefit.read": None}


def test_a_repeat_changes_nothing_and_a_change_is_refused_by_field(cli: Cli) -> None:
    cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:])
    code, again = cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:])
    assert (code, again["replayed"]) == (0, True)
    code, moved = cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:-1], "2025-06-29")
    assert code == 1 and moved["recorded"] is False
    assert moved["errors"][0]["field"] == "--from"  # the flag typed, not the API's key
    code, few = cli.run("benefits", "decide", cli.worker, "HS-TN-1",
                        *SETTLE[:-1], "13")  # 13 months: more than the law's 12
    assert (code, few["errors"][0]["field"]) == (1, "--months")
    code, nobody = cli.run("benefits", "list", "001099000001")
    assert (code, nobody["errors"][0]["field"]) == (1, "PERSONAL_ID")


def test_values_outside_the_law_are_refused_and_malformed_ones_are_usage_errors(
        cli: Cli) -> None:
    """As everywhere in the CLI: a number out of the law's range is refused (exit 1, naming
    the field); a value of the wrong form, or a word outside the flag's list (its usage line:
    ``--outcome settled|refused``), is a usage error (exit 2) naming the flag."""
    bogus = CliRunner().invoke(app, [*CLAIM[:2], cli.worker, "--regime", "holiday",
                                     *CLAIM[4:], "--json"])
    assert bogus.exit_code == 2 and "Invalid value for --regime" in bogus.output
    cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:])
    for flag, value in (("--amount", "99999999999999999999999"), ("--amount", "-1"),
                        ("--outcome", "maybe")):
        args = list(SETTLE)
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
        if flag == "--outcome":  # --outcome settled|refused
            maybe = CliRunner().invoke(app, ["benefits", "decide", cli.worker, "HS-TN-1", *args])
            assert maybe.exit_code == 2 and "Invalid value for --outcome" in maybe.output
            continue
        code, refused = cli.run("benefits", "decide", cli.worker, "HS-TN-1", *args)
        assert (code, refused["errors"][0]["field"]) == (1, flag), refused
    early = list(SETTLE)
    early[early.index("--decided") + 1] = "2025-07-01"  # before the claim was received
    code, refused = cli.run("benefits", "decide", cli.worker, "HS-TN-1", *early)
    assert (code, refused["errors"][0]["field"]) == (1, "--decided"), refused  # decided_on
    code, unknown = cli.run("benefits", "decide", cli.worker, "HS-NONE", *SETTLE)
    assert (code, unknown["errors"][0]["field"]) == (1, "DOSSIER")  # the argument, as typed
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{cli.db}"}
    result = subprocess.run([sys.executable, "-m", "sibook.cli.main", *CLAIM[:2], cli.worker,
                             "--regime", "sickness", *CLAIM[4:6], "--received", "2025-7-5",
                             "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    (problem,) = json.loads(result.stdout)["errors"]
    assert problem["field"] == "--received"


def test_a_pension_claims_assessed_capacity_loss_is_checked_by_its_flag(cli: Cli) -> None:
    pension = (*CLAIM[:2], cli.worker, "--regime", "pension", "--dossier", "HS-HT-1",
               "--received", "2025-07-05", "--from", "2025-08-01")
    for extra, flag in ((("--capacity-loss", "0"), "--capacity-loss"),
                        (("--capacity-loss", "101"), "--capacity-loss"),
                        (("--hazardous-years", "15"), "--hazardous-years")):
        code, refused = cli.run(*pension, *extra)
        assert (code, refused["errors"][0]["field"]) == (1, flag), refused
    code, sick = cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:], "--capacity-loss", "65")
    assert (code, sick["errors"][0]["field"]) == (1, "--capacity-loss")
    assert CliRunner().invoke(app, [*pension, "--capacity-loss", "high"]).exit_code == 2


def test_a_long_regime_or_ground_is_quoted_cut_short(cli: Cli) -> None:
    regime = CliRunner().invoke(app, [*CLAIM[:2], cli.worker, "--regime", "r" * 50_000,
                                      *CLAIM[4:]])
    assert regime.exit_code == 2 and "r" * 40 + "…" in regime.output
    assert "r" * 41 not in regime.output
    ground = CliRunner().invoke(app, [*CLAIM[:2], cli.worker, "--regime", "lump_sum",
                                      *CLAIM[4:8], "--ground", "g" * 50_000])
    assert ground.exit_code == 2 and "g" * 40 + "…" in ground.output
    assert "g" * 41 not in ground.output


def test_an_average_salary_is_a_pension_decisions_only(cli: Cli) -> None:
    """``--average-salary`` states a pension dossier's average: on an unemployment decision it
    is refused naming the flag, and nothing is recorded."""
    cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:])
    code, refused = cli.run("benefits", "decide", cli.worker, "HS-TN-1", *SETTLE,
                            "--average-salary", "9000000")
    assert (code, refused["recorded"]) == (1, False)
    assert [e["field"] for e in refused["errors"]] == ["--average-salary"]
    code, settled = cli.run("benefits", "decide", cli.worker, "HS-TN-1", *SETTLE)
    assert (code, settled["decision"]["average_salary"]) == (0, None)


def test_a_stated_average_salary_is_told_in_words_only_when_stated(cli: Cli) -> None:
    """``benefits decide`` and ``benefits list`` without --json say the average salary a
    pension decision states, as its JSON has it; a decision stating none says no average."""
    pid = older_worker(cli.engine)  # 246 months: 46% for a man (Law 41/2024 Art 66(1))
    code, claimed = cli.run("benefits", "claim", pid, "--regime", "pension", "--dossier",
                            "HS-HT-1", "--received", "2025-08-01", "--from", "2025-09-01")
    assert code == 0, claimed
    pension = ("--outcome", "settled", "--decided", "2025-08-20", "--decision-no", "72/QĐ",
               "--monthly", "5520000", "--from-month", "2025-09", "--average-salary",
               "12000000")  # 46% of the dossier's 12,000,000
    decided = CliRunner().invoke(app, ["benefits", "decide", pid, "HS-HT-1", *pension])
    assert decided.exit_code == 0, decided.output
    assert ("5,520,000 VND a month from 2025-09; on an average salary of 12,000,000 VND"
            in decided.stdout)
    assert "on an average salary of 12,000,000 VND" in listed(cli, pid)
    cli.run(*CLAIM[:2], cli.worker, *CLAIM[2:])
    plain = CliRunner().invoke(app, ["benefits", "decide", cli.worker, "HS-TN-1", *SETTLE])
    assert plain.exit_code == 0, plain.output
    assert "5,400,000 VND a month" in plain.stdout and "average" not in plain.stdout
    assert "5,400,000 VND a month" in listed(cli, cli.worker)
    assert "average" not in listed(cli, cli.worker)


def listed(cli: Cli, personal_id: str) -> str:
    """``benefits list`` as a person reads it, on a terminal wide enough for its table's
    cells to stay on one line (the console takes its width when sibook starts)."""
    env = {**os.environ, "SIBOOK_DATABASE_URL": f"sqlite:///{cli.db}", "COLUMNS": "300"}
    result = subprocess.run([sys.executable, "-m", "sibook.cli.main", "benefits", "list",
                             personal_id], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_refused_listing_answers_with_its_list_empty(cli: Cli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``benefits list`` refused answers a listing's key, ``benefits`` empty, with the errors
    (as ``persons list`` and ``employers list`` do), not ``recorded``, which belongs to the
    commands that record: a person nobody holds, and a setting that cannot be read."""
    code, nobody = cli.run("benefits", "list", "001099000001")
    assert code == 1
    assert nobody == {"benefits": [], "errors": [
        {"field": "PERSONAL_ID", "reason": nobody["errors"][0]["reason"]}]}
    monkeypatch.setenv("SIBOOK_LOCK_WAIT_SECONDS", "two minutes")
    get_settings.cache_clear()
    code, unreadable = cli.run("benefits", "list", cli.worker)
    assert code == 1
    assert [e["field"] for e in unreadable.pop("errors")] == ["SIBOOK_LOCK_WAIT_SECONDS"]
    assert unreadable == {"benefits": []}


def test_dossier_and_decision_numbers_are_read_without_the_spaces_pasted_around_them(
        cli: Cli) -> None:
    code, received = cli.run(*CLAIM[:2], cli.worker, "--regime", "unemployment", "--dossier",
                             " HS-TN-1\t", *CLAIM[6:])
    assert code == 0, received
    code, decided = cli.run("benefits", "decide", cli.worker, " HS-TN-1 ", *SETTLE[:5],
                            " 7/QĐ-SLĐTBXH ", *SETTLE[6:])
    assert code == 0, decided
    [listed] = cli.run("benefits", "list", cli.worker)[1]["benefits"]
    assert (listed["dossier_no"], listed["decision"]["decision_no"]) == (
        "HS-TN-1", "7/QĐ-SLĐTBXH")


def test_a_mother_after_infertility_treatment_claims_with_its_flag(cli: Cli) -> None:
    """FACTS §4.4: 5 months paid in 2024-01 to 05 are not in the 10 months before a leave from
    2025-06, but are in the 22: the flag looks for the 6 months in the 24 before the birth."""
    mother = older_worker(cli.engine, date(1994, 4, 4), "female", Period(2024, 1),
                          Period(2024, 5))
    leave = ("benefits", "claim", mother, "--regime", "maternity", "--dossier", "HS-TS-1",
             "--received", "2025-06-20", "--from", "2025-06-01", "--to", "2025-11-30")
    code, refused = cli.run(*leave)
    assert (code, refused["errors"][0]["field"]) == (1, "--from"), refused
    code, done = cli.run(*leave, "--infertility-treatment")
    assert (code, done["recorded"], done["infertility_treatment"]) == (0, True, True), done
    code, father = cli.run("benefits", "claim", cli.worker, "--regime", "maternity",
                           "--dossier", "HS-TS-2", "--received", "2025-03-10", "--from",
                           "2025-03-02", "--to", "2025-03-06", "--infertility-treatment")
    assert (code, father["errors"][0]["field"]) == (1, "--infertility-treatment"), father


def test_a_disease_diagnosed_after_the_job_is_claimed_within_its_guarantee_period(
        cli: Cli) -> None:
    """Law 84/2015/QH13 Art 46(2): lead anaemia (Circular 15/2016/TT-BYT Appendix 8, 3 months)
    diagnosed in 2025-09, exposure ended with the SI in 2025-06; a work accident then is not."""
    after = ("benefits", "claim", cli.worker, "--regime", "occupational", "--received",
             "2025-09-20", "--from", "2025-09-10")
    code, accident = cli.run(*after, "--dossier", "HS-TNLD-9", "--occupational-kind",
                             "accident")
    assert (code, accident["errors"][0]["field"]) == (1, "--from"), accident
    code, done = cli.run(*after, "--dossier", "HS-BNN-9", "--occupational-kind", "disease",
                         "--disease-code", "8", "--disease-form", "inorganic_anaemia")
    assert (code, done["recorded"], done["exposure_ended"]) == (0, True, "2025-06"), done
    assert "Circular 15/2016/TT-BYT Appendix 8" in done["guarantee"]
    code, benzene = cli.run(*after[:-1], "2025-09-12", "--dossier", "HS-BNN-10",
                            "--occupational-kind", "disease", "--disease-code", "9")
    assert (code, benzene["errors"][0]["field"]) == (1, "--disease-code"), benzene


def test_a_decision_refused_for_the_claims_dates_names_the_claims_flag(cli: Cli) -> None:
    """A pension decided while a job taken up since the claim covers its first month is refused
    on the claim's start (``event_from``, the API's key), which ``decide`` has no flag for: it
    names the flag the claim was received with, as the claim's."""
    him = older_worker(cli.engine, until=Period(2025, 8))
    code, _ = cli.run("benefits", "claim", him, "--regime", "pension", "--dossier", "HS-HT-1",
                      "--received", "2025-08-01", "--from", "2025-09-01")
    assert code == 0
    file(cli.engine, [(him, "TM", 9_000_000, "2025-10")], month=Period(2025, 10))
    code, refused = cli.run("benefits", "decide", him, "HS-HT-1", "--outcome", "settled",
                            "--decided", "2025-08-20", "--decision-no", "72/QĐ",
                            "--monthly", "5640000", "--from-month", "2025-09")
    assert (code, [e["field"] for e in refused["errors"]]) == (1, ["the claim's --from"])
    assert "still open" in refused["errors"][0]["reason"]
