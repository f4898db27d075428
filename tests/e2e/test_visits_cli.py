"""``sibook visits import|list`` by the commands' contract: one JSON object with --json, exit 1
for a refused file naming record and field (nothing recorded), the same file again changing
nothing; the operator's reads and imports are in the person's access log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from sibook.access import audit
from sibook.cli.main import app
from sibook.core.config import get_settings
from sibook.core.db import default_engine, unit_of_work
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from tests.databases import migrated_sqlite
from tests.integration.ledger_fixtures import setup_workers, worker_name
from tests.visit_files import claim_file, summary

CARD = "DN4010000000001"


@dataclass
class Cli:
    folder: Path
    engine: Engine
    worker: str

    def run(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(app, [*args, "--json"])
        return result.exit_code, json.loads(result.stdout) if result.stdout else {}

    def claims(self, name: str, **fields: str) -> str:
        path = self.folder / name
        path.write_bytes(claim_file([summary(**{
            "SO_CCCD": self.worker, "HO_TEN": worker_name(0), "MA_THE_BHYT": CARD, **fields})]))
        return str(path)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("SIBOOK_DATABASE_URL", migrated_sqlite(tmp_path / "cli.db"))
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    engine = default_engine()
    (worker,) = setup_workers(engine, 1)
    with unit_of_work(engine) as s:
        s.execute(insert(metadata.tables["hi_cards"]).values(
            person_id=registry.person_id_of(session=s, personal_id=worker), seq=1,
            card_number=CARD, group_code="DN", benefit_level=4, province_code="01",
            initial_kcb_place="01001", valid_from=date(2026, 1, 1),
            valid_to=date(2026, 12, 31)))
    yield Cli(tmp_path, engine, worker)
    get_settings.cache_clear()


def test_a_file_is_imported_once_listed_and_logged(cli: Cli) -> None:
    path = cli.claims("march.xml")
    code, imported = cli.run("visits", "import", path)
    assert code == 0, imported
    assert (imported["accepted"], imported["recorded"], imported["facility_code"],
            imported["replayed"]) == (True, 1, "01001", False)
    code, again = cli.run("visits", "import", path)
    assert (code, again["recorded"], again["unchanged"], again["replayed"]) == (0, 0, 1, True)
    code, listed = cli.run("visits", "list", cli.worker)
    assert code == 0
    assert [(v["link_code"], v["diagnosis"], v["total_cost"]) for v in listed["visits"]] == [
        ("LK0001", "J03", 237_300)]
    with unit_of_work(cli.engine) as s:
        entries = audit.entries_for_person(
            session=s, person_id=registry.person_id_of(session=s, personal_id=cli.worker))
    assert {(e.actor_kind, e.action, e.route) for e in entries} >= {
        ("operator", "visit.file", "cli: sibook visits import"),
        ("operator", "visit.read", "cli: sibook visits list")}
    # Imported once: the file run again (its answer lost) is not a second filing in their log.
    assert [e.action for e in entries].count("visit.file") == 1


def test_visits_are_listed_a_page_at_a_time_as_the_api_reads_them(cli: Cli) -> None:
    """The command listed every visit of a life at once (a chronic patient's thousands took
    half a minute to draw) where the API pages them."""
    cli.run("visits", "import", cli.claims("march.xml"))
    cli.run("visits", "import", cli.claims("later.xml", MA_LK="LK0002", NGAY_VAO="202603050800",
                                           NGAY_RA="202603050900"))
    code, page = cli.run("visits", "list", cli.worker, "--limit", "1", "--offset", "1")
    assert code == 0, page
    assert (page["total"], [v["link_code"] for v in page["visits"]]) == (2, ["LK0001"])
    assert len(cli.run("visits", "list", cli.worker)[1]["visits"]) == 2  # 100 unless asked


def test_a_refused_file_exits_1_naming_record_and_field(cli: Cli) -> None:
    code, refused = cli.run("visits", "import", cli.claims("bad.xml", NGAY_VAO="2026-03-02"))
    assert code == 1
    assert refused["accepted"] is False
    assert [(e["row"], e["field"]) for e in refused["errors"]] == [(1, "NGAY_VAO")]
    assert cli.run("visits", "list", cli.worker)[1]["visits"] == []


def test_changed_content_under_a_recorded_link_code_exits_1(cli: Cli) -> None:
    cli.run("visits", "import", cli.claims("march.xml"))
    code, refused = cli.run("visits", "import", cli.claims("again.xml", MA_BENH_CHINH="J02"))
    assert code == 1 and refused["errors"][0]["field"] == "MA_BENH_CHINH"


def test_an_unknown_person_to_list_exits_1_and_a_missing_file_2(cli: Cli) -> None:
    assert cli.run("visits", "list", "001099000001")[0] == 1
    assert cli.run("visits", "import", str(cli.folder / "none.xml"))[0] == 2


def test_a_file_larger_than_the_api_takes_is_refused_unread(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cli.claims("march.xml")
    monkeypatch.setenv("SIBOOK_MAX_UPLOAD_BYTES", "1000")
    get_settings.cache_clear()
    code, refused = cli.run("visits", "import", path)
    assert (code, refused["accepted"]) == (1, False)
    [error] = refused["errors"]
    assert error["field"] == "FILE" and "larger than 1,000 bytes" in error["reason"]
    assert cli.run("visits", "list", cli.worker)[1]["visits"] == []


def test_an_operator_annuls_a_visit_once_and_the_list_shows_it_annulled(cli: Cli) -> None:
    cli.run("visits", "import", cli.claims("march.xml"))
    code, first = cli.run("visits", "annul", "01001", "LK0001", "--reason", "another patient's")
    assert code == 0, first
    assert (first["annulled"], first["reason"], first["replayed"]) == (
        True, "another patient's", False)
    code, again = cli.run("visits", "annul", "01001", "LK0001", "--reason", "twice")
    assert (code, again) == (0, {**first, "replayed": True})
    [listed] = cli.run("visits", "list", cli.worker)[1]["visits"]
    assert listed["annulment"]["reason"] == "another patient's"
    with unit_of_work(cli.engine) as s:
        entries = audit.entries_for_person(
            session=s, person_id=registry.person_id_of(session=s, personal_id=cli.worker))
    assert ("operator", "visit.annul", "cli: sibook visits annul") in {
        (e.actor_kind, e.action, e.route) for e in entries}


def test_annulling_an_unknown_visit_or_one_of_another_realm_exits_1(cli: Cli) -> None:
    cli.run("visits", "import", cli.claims("march.xml"))
    for args in (("01001", "LK9999"), ("01001", "LK0001", "--realm", "defence")):
        code, refused = cli.run("visits", "annul", *args, "--reason", "wrong")
        assert (code, refused["annulled"]) == (1, False), args
        assert refused["errors"][0]["reason"].startswith("no visit with MA_LK")
        assert refused["errors"][0]["field"] == "LINK_CODE"  # the visit's key, as typed
    code, refused = cli.run("visits", "annul", "01001", "LK0001", "--reason", " ")
    assert (code, refused["errors"][0]["field"]) == (1, "--reason")
    assert cli.run("visits", "list", cli.worker)[1]["visits"][0]["annulment"] is None


@pytest.mark.parametrize("facility", ["1001", "01001x", "0100١"])
def test_a_facility_code_that_cannot_be_one_is_named_not_the_link_code(cli: Cli,
                                                                      facility: str) -> None:
    """A code mistyped: "no visit with MA_LK 'LK0001' at facility 1001", naming LINK_CODE, sent
    the operator to look at the key that was right (the API refuses it by its pattern)."""
    cli.run("visits", "import", cli.claims("march.xml"))
    code, refused = cli.run("visits", "annul", facility, "LK0001", "--reason", "wrong")
    assert (code, refused["annulled"]) == (1, False)
    assert refused["errors"] == [{"field": "FACILITY", "reason": (
        f"{facility!r} is not a facility code (MA_CSKCB: 5 digits)")}]


def test_an_annulment_refused_as_of_another_realm_is_in_the_persons_access_log(
        cli: Cli) -> None:
    """As the API logs an out-of-scope attempt on a visit in its person's log, so does the
    command: the person (or their realm) sees that someone tried."""
    cli.run("visits", "import", cli.claims("march.xml"))
    code, _ = cli.run("visits", "annul", "01001", "LK0001", "--reason", "wrong",
                      "--realm", "defence")
    assert code == 1
    with unit_of_work(cli.engine) as s:
        entries = audit.entries_for_person(
            session=s, person_id=registry.person_id_of(session=s, personal_id=cli.worker))
    assert [(e.actor_kind, e.action, e.route, e.outcome) for e in entries
            if e.action == "visit.annul"] == [
        ("operator", "visit.annul", "cli: sibook visits annul", "not_found")]


def test_a_visit_is_annulled_by_its_codes_pasted_with_spaces_around_them(cli: Cli) -> None:
    cli.run("visits", "import", cli.claims("march.xml"))
    code, annulled = cli.run("visits", "annul", " 01001 ", " LK0001\t", "--reason", "wrong")
    assert code == 0, annulled
    assert (annulled["annulled"], annulled["link_code"]) == (True, "LK0001")


def test_the_listed_table_names_each_visits_key_that_annul_takes(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table showed the facility but not MA_LK: the operator who would annul a visit
    listed it again with --json to find its key."""
    monkeypatch.setenv("COLUMNS", "200")  # the table's row on one line
    cli.run("visits", "import", cli.claims("march.xml"))
    listed = CliRunner().invoke(app, ["visits", "list", cli.worker])
    assert listed.exit_code == 0, listed.output
    [header] = [line for line in listed.stdout.splitlines() if "admitted" in line]
    [row] = [line for line in listed.stdout.splitlines() if "J03" in line]
    cells = dict(zip([c.strip() for c in header.split("┃")], [c.strip() for c in row.split("│")],
                     strict=True))
    assert (cells["facility"], cells["MA_LK"]) == ("01001", "LK0001"), cells
    annulled = CliRunner().invoke(app, ["visits", "annul", cells["facility"], cells["MA_LK"],
                                        "--reason", "wrong"])
    assert annulled.exit_code == 0, annulled.output


def test_an_annulment_is_shown_on_vietnams_clock(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """20:00 UTC on 31 March is 03:00 on 1 April in Vietnam: the day the officer annulled it
    by their own calendar, as the visits' admission and discharge times are shown."""
    monkeypatch.setenv("COLUMNS", "200")  # the table's row on one line
    cli.run("visits", "import", cli.claims("march.xml"))
    with unit_of_work(cli.engine) as s:
        s.execute(insert(metadata.tables["hi_visit_annulments"]).values(
            person_id=registry.person_id_of(session=s, personal_id=cli.worker),
            facility_code="01001", link_code="LK0001", reason="wrong", annulled_by="op",
            annulled_at=datetime(2026, 3, 31, 20, 0, tzinfo=UTC)))
    listed = CliRunner().invoke(app, ["visits", "list", cli.worker])
    assert listed.exit_code == 0, listed.output
    assert "2026-04-01 03:00: wrong (by op)" in listed.stdout  # who annulled it, as the JSON
    assert "2026-03-31" not in listed.stdout
    again = CliRunner().invoke(app, ["visits", "annul", "01001", "LK0001", "--reason", "x"])
    assert "was annulled already on 2026-04-01 03:00: wrong" in again.stdout
