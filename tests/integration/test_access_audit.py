"""The access log on SQLite and PostgreSQL: append-only, hash-chained, tamper-evident."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sibook.access import audit, chain, credentials, revocation, sliding_window
from sibook.access.principals import TooManyRequests
from sibook.access.settings import get_access_settings
from sibook.access.store import AccessLogEntry
from sibook.core import migrate
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ValidationError
from sibook.registry import service as registry
from sibook.registry.new_employer import NewEmployer
from tests.integration.races import until_one_waits, while_held


def _access(n: int) -> audit.Access:
    return audit.Access(actor_kind="officer", actor_id="hn-clerk", action="person.read",
                        route="GET /api/v1/persons/{personal_id}", purpose=f"case {n}",
                        person_id=n)


def _fill(engine: Engine, count: int = 5) -> None:
    for n in range(1, count + 1):
        with unit_of_work(engine) as s:
            audit.append(session=s, access=_access(n))


def _verify(engine: Engine) -> chain.ChainReport:
    with unit_of_work(engine) as s:
        return chain.verify(session=s)


def _tamper(engine: Engine, sql: str, table: str = "access_log") -> None:
    """What a DBA with full rights could do: drop the append-only guard, then edit."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
        else:
            conn.execute(text(f"DROP TRIGGER {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        conn.execute(text(sql))


def test_an_untouched_chain_verifies(engine: Engine) -> None:
    _fill(engine)
    assert _verify(engine) == chain.ChainReport(entries=5)


def test_the_database_refuses_to_edit_or_delete_log_rows(engine: Engine) -> None:
    _fill(engine, 1)
    for sql in ("UPDATE access_log SET purpose = 'x'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_a_chain_logged_before_migration_0021_verifies_after_it_and_stays_append_only(
        engine: Engine) -> None:
    """0021 drops the UNIQUE index on hash; on SQLite by rebuilding the table, which must keep
    every row as it was hashed and make the append-only triggers again. The entries are
    logged at head and taken down with the schema: this code writes 0027's columns."""
    _fill(engine, 3)
    _downgrade(engine, "0020")
    migrate.upgrade(engine)
    _fill(engine, 2)  # appended on the new table, after the old entries
    assert _verify(engine) == chain.ChainReport(entries=5)
    for sql in ("UPDATE access_log SET purpose = 'x'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


def test_a_chain_logged_before_migration_0022_verifies_after_it_beside_group_entries(
        engine: Engine) -> None:
    """0022 adds group entries; the entries logged before it hash exactly as they did (logged
    at head, with no group entry, and taken down with the schema, as 0021's test does)."""
    _fill(engine, 3)
    with unit_of_work(engine) as s:  # 0021's code: one entry a person, whatever the access
        audit.append_many(session=s, accesses=[_access(n) for n in range(4, 6)])
    _downgrade(engine, "0021")
    migrate.upgrade(engine)
    with unit_of_work(engine) as s:
        audit.append_for(session=s, access=_access(0), person_ids=[7, 8, 9])
    assert _verify(engine) == chain.ChainReport(entries=6)
    _tamper(engine, "UPDATE access_log SET purpose = 'x' WHERE seq = 2")
    assert _verify(engine).first_bad_seq == 2


def test_migration_0022_is_not_undone_over_group_entries(engine: Engine) -> None:
    """0021's schema has no place for a group's persons: undoing 0022 would lose them."""
    _group_of(engine, [1, 2])
    cfg = migrate.alembic_config(engine)
    with pytest.raises(RuntimeError, match="group entries"), engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0021")
    assert _verify(engine) == chain.ChainReport(entries=5)


PAID = "unit 0100000001; payment 12; paid_on 2026-02-20; months 2026-01..2026-02"
CHANGED = "unit 0100000001; payment_cycle 3; from 2026-04"


def _detailed(engine: Engine) -> None:
    """Entry 6 naming one person with a detail, entry 7 a group with one (both on 0027)."""
    with unit_of_work(engine) as s:
        audit.append(session=s, access=dataclasses.replace(_access(6), detail=PAID))
        audit.append_for(session=s, access=dataclasses.replace(_access(0), detail=CHANGED),
                         person_ids=[7, 8, 9])


def test_a_chain_logged_before_migration_0027_verifies_after_it_beside_entries_with_a_detail(
        engine: Engine) -> None:
    """0027 adds ``detail`` in place: the entries before it (single and group, which the code
    before 0027 hashed as it hashes an entry without a detail, tests/unit pins the bytes)
    verify as they did, and SQLite's append-only triggers stay."""
    _group_of(engine, [1, 2])
    _downgrade(engine, "0026")
    assert "detail" not in {c["name"] for c in inspect(engine).get_columns("access_log")}
    migrate.upgrade(engine)
    _detailed(engine)
    assert _verify(engine) == chain.ChainReport(entries=7)
    with unit_of_work(engine) as s:
        assert [(e.seq, e.detail) for e in audit.entries_for_person(session=s, person_id=8)
                ] == [(7, CHANGED)]
        assert [e.detail for e in audit.entries_for_person(session=s, person_id=6)] == [PAID]
        assert [e.detail for e in audit.entries_for_person(session=s, person_id=1)] == [
            None] * 3
    for sql in ("UPDATE access_log SET detail = 'x'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


@pytest.mark.parametrize(("sql", "seq"), [
    ("UPDATE access_log SET detail = 'unit 0100000009' WHERE seq = 2", 2),  # an old entry
    ("UPDATE access_log SET detail = 'unit 0100000009; payment 13' WHERE seq = 6", 6),
    ("UPDATE access_log SET detail = NULL WHERE seq = 7", 7),  # a group's, dropped
])
def test_a_detail_added_changed_or_removed_is_found_as_an_edit_by_its_seq(
        engine: Engine, sql: str, seq: int) -> None:
    _group_of(engine, [1, 2])
    _detailed(engine)
    _tamper(engine, sql)
    report = _verify(engine)
    assert report.first_bad_seq == seq and "edited" in (report.reason or "")


def test_migration_0027_is_not_undone_over_entries_with_a_detail(engine: Engine) -> None:
    """0026's schema has no place for a detail, which the entry's hash covers."""
    _group_of(engine, [1, 2])
    _detailed(engine)
    cfg = migrate.alembic_config(engine)
    with pytest.raises(RuntimeError, match="detail"), engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0026")
    assert _verify(engine) == chain.ChainReport(entries=7)


def test_accesses_alike_but_for_their_detail_are_not_one_group(engine: Engine) -> None:
    """A group's members share its one detail: an access of another unit is an entry apart."""
    accesses = [dataclasses.replace(_access(0), person_id=n, detail=detail)
                for n, detail in ((1, PAID), (2, PAID), (3, CHANGED), (4, CHANGED), (5, None))]
    with unit_of_work(engine) as s:
        assert [a.seq for a in audit.append_many(session=s, accesses=accesses)] == [1, 2, 3]
    with unit_of_work(engine) as s:
        assert [(e.seq, e.detail) for n in (2, 3, 5)
                for e in audit.entries_for_person(session=s, person_id=n)] == [
            (1, PAID), (2, CHANGED), (3, None)]
    assert _verify(engine) == chain.ChainReport(entries=3)


def _group_of(engine: Engine, person_ids: list[int]) -> int:
    """Three single entries, then one access of ``person_ids`` (entry 4), then one more."""
    _fill(engine, 3)
    with unit_of_work(engine) as s:
        (group,) = audit.append_for(session=s, access=_access(0), person_ids=person_ids)
    _fill(engine, 1)
    return group.seq


def test_one_access_of_many_persons_is_one_entry_that_each_of_them_sees(
        engine: Engine) -> None:
    assert _group_of(engine, [40, 10, 30, 20]) == 4
    assert _verify(engine) == chain.ChainReport(entries=5)
    with unit_of_work(engine) as s:
        seen = {p: [(e.seq, e.purpose) for e in audit.entries_for_person(session=s,
                                                                         person_id=p)]
                for p in (10, 20, 30, 40, 50)}
    assert seen == {10: [(4, "case 0")], 20: [(4, "case 0")], 30: [(4, "case 0")],
                    40: [(4, "case 0")], 50: []}


def test_accesses_alike_but_for_their_persons_are_one_entry_and_others_stay_apart(
        engine: Engine) -> None:
    """append_many groups each run of accesses that differ only in their person; a person
    named again in the run is a second access of them, so it starts a new entry."""
    other = audit.Access(actor_kind="officer", actor_id="hcm-clerk", action="person.read",
                         route="GET /api/v1/persons/{personal_id}", purpose="case 0",
                         person_id=2)
    accesses = [_access(0), *(dataclasses.replace(_access(0), person_id=n) for n in (1, 2, 3)),
                other, dataclasses.replace(_access(0), person_id=None),
                *(dataclasses.replace(_access(0), person_id=n) for n in (4, 5, 4))]
    with unit_of_work(engine) as s:
        appended = audit.append_many(session=s, accesses=accesses)
    assert [a.seq for a in appended] == [1, 2, 3, 4, 5]
    with unit_of_work(engine) as s:
        named = {p: [e.seq for e in audit.entries_for_person(session=s, person_id=p)]
                 for p in range(6)}
    assert named == {0: [1], 1: [1], 2: [2, 1], 3: [1], 4: [5, 4], 5: [4]}
    assert _verify(engine) == chain.ChainReport(entries=5)


@pytest.mark.parametrize(("sql", "why"), [
    ("UPDATE access_log_subjects SET person_id = 11 WHERE person_id = 20", "changed"),
    ("DELETE FROM access_log_subjects WHERE person_id = 20", "deleted"),
    ("INSERT INTO access_log_subjects (person_id, seq) VALUES (99, 4)", "added"),
])
def test_a_person_changed_in_deleted_from_or_added_to_a_group_is_found_by_its_seq(
        engine: Engine, sql: str, why: str) -> None:
    seq = _group_of(engine, [10, 20, 30])
    _tamper(engine, sql, "access_log_subjects")
    report = _verify(engine)
    assert report.first_bad_seq == seq and "persons it names" in (report.reason or ""), why


@pytest.mark.parametrize("seq", [3, 5, 6])
def test_a_person_added_to_an_entry_that_names_one_or_none_is_found(engine: Engine,
                                                                    seq: int) -> None:
    """The triggers refuse only updates and deletes: a row inserted under entry 3 (a single
    entry), 5 (the last) or 6 (no entry yet) makes the citizen see an access that was not."""
    _group_of(engine, [10, 20, 30])
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO access_log_subjects (person_id, seq) VALUES (77, {seq})"))
    report = _verify(engine)
    assert report.first_bad_seq == seq and not report.intact


def test_a_groups_count_edited_with_its_persons_is_found_as_an_edit(engine: Engine) -> None:
    seq = _group_of(engine, [10, 20, 30])
    _tamper(engine, "DELETE FROM access_log_subjects WHERE person_id = 20",
            "access_log_subjects")
    _tamper(engine, f"UPDATE access_log SET subject_count = 2 WHERE seq = {seq}")
    report = _verify(engine)
    assert report.first_bad_seq == seq and "edited" in (report.reason or "")


def test_entries_appended_while_the_chain_is_walked_are_not_taken_for_tampering(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A filing logged between verify's reads of the persons and of the entries (each query
    of READ COMMITTED sees the commits before it) is outside the walk, not a broken chain."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's verify holds the write lock: nothing is appended meanwhile")
    _group_of(engine, [10, 20])
    walk = chain._rows

    def appended_first(session: Session) -> Iterator[AccessLogEntry]:
        with unit_of_work(engine) as s:
            audit.append_for(session=s, access=_access(0), person_ids=[30, 40])
        return walk(session)

    monkeypatch.setattr(chain, "_rows", appended_first)
    assert _verify(engine) == chain.ChainReport(entries=5)
    monkeypatch.undo()
    assert _verify(engine) == chain.ChainReport(entries=6)


def test_the_database_refuses_to_edit_or_delete_the_persons_of_a_group(engine: Engine) -> None:
    _group_of(engine, [10, 20])
    for sql in ("UPDATE access_log_subjects SET person_id = 3",
                "DELETE FROM access_log_subjects"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


def test_one_edited_row_is_found_by_its_seq(engine: Engine) -> None:
    _fill(engine)
    _tamper(engine, "UPDATE access_log SET purpose = 'nothing to see' WHERE seq = 3")
    report = _verify(engine)
    assert report.first_bad_seq == 3 and "edited" in (report.reason or "")


def test_a_deleted_row_is_found(engine: Engine) -> None:
    _fill(engine)
    _tamper(engine, "DELETE FROM access_log WHERE seq = 2")
    assert _verify(engine).first_bad_seq == 2


def test_a_deleted_tail_is_found_by_the_chain_head(engine: Engine) -> None:
    _fill(engine)
    _tamper(engine, "DELETE FROM access_log WHERE seq = 5")
    report = _verify(engine)
    assert report.first_bad_seq == 5 and "deleted" in (report.reason or "")


def test_two_rows_swapped_are_found(engine: Engine) -> None:
    _fill(engine)
    _tamper(engine, "UPDATE access_log SET person_id = CASE seq WHEN 2 THEN 4 ELSE 2 END "
                    "WHERE seq IN (2, 4)")
    assert _verify(engine).first_bad_seq == 2


def test_many_appends_in_one_call_chain_in_order(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        entries = audit.append_many(session=s, accesses=[_access(n) for n in range(1, 4)])
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash
    assert _verify(engine).entries == 3


def test_a_large_append_writes_every_entry_in_one_chain(engine: Engine) -> None:
    """A filing of many workers logs one entry each, written as plain rows (COPY on
    PostgreSQL): each entry as the chain's hashes say, after what was there. How fast, beside a
    plain INSERT of as many rows, is measured in bench/bench_audit.py, not asserted here."""
    _fill(engine, 3)
    with unit_of_work(engine) as s:
        appended = audit.append_many(session=s, accesses=[_access(n) for n in range(4, 5_004)])
    assert [a.seq for a in appended] == list(range(4, 5_004))
    assert all(a.prev_hash == b.hash for a, b in zip(appended[1:], appended, strict=False))
    with unit_of_work(engine) as s:
        (stored,) = audit.entries_for_person(session=s, person_id=3_999)
        assert (stored.seq, stored.hash) == (3_999, appended[3_999 - 4].hash)
        assert stored.purpose == "case 3999"
    report = _verify(engine)
    assert report.entries == 5_003 and report.intact


def test_an_append_stores_every_character_it_was_given(engine: Engine) -> None:
    """PostgreSQL's rows go in as COPY text made by hand: a tab, a line end, a backslash or a
    text that looks like its NULL must come back as given, and the chain verify."""
    odd = ["tab\there", "line\nend\r", "back\\slash \\N", "\\N", "Nguyễn Thị Hồng 𝔘"]
    accesses = [audit.Access(actor_kind="officer", actor_id=text, action="person.read",
                             route=f"GET /{text}", purpose=text, outcome="allowed",
                             person_id=n if n % 2 else None) for n, text in enumerate(odd)]
    with unit_of_work(engine) as s:
        appended = audit.append_many(session=s, accesses=accesses)
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT seq, actor_id, route, purpose, person_id, prev_hash, hash FROM access_log "
            "ORDER BY seq")).all()
    assert [tuple(r) for r in stored] == [
        (e.seq, a.actor_id, a.route, a.purpose, a.person_id, e.prev_hash, e.hash)
        for e, a in zip(appended, accesses, strict=True)]
    assert _verify(engine).intact


@pytest.mark.postgres
def test_concurrent_appenders_never_fork_the_chain(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for n in range(10):
                with unit_of_work(engine) as s:
                    audit.append(session=s, access=_access(k * 100 + n))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _verify(engine) == chain.ChainReport(entries=40)


def test_a_citizen_sees_only_the_entries_that_name_them(engine: Engine) -> None:
    _fill(engine)
    with unit_of_work(engine) as s:
        mine = audit.entries_for_person(session=s, person_id=3)
    assert [e.person_id for e in mine] == [3]


def test_a_persons_entries_are_paged_by_seq_unshifted_by_newer_ones(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        audit.append_many(session=s, accesses=[_access(3) for _ in range(7)])
    pages: list[list[int]] = []
    before = None
    while True:
        with unit_of_work(engine) as s:
            page = audit.entries_for_person(session=s, person_id=3, limit=3, before=before)
            audit.append(session=s, access=_access(3))  # a read meanwhile: newer than all
        if not page:
            break
        pages.append([e.seq for e in page])
        before = page[-1].seq
    assert pages == [[7, 6, 5], [4, 3, 2], [1]]


def test_a_persons_single_and_group_entries_are_paged_together_newest_first(
        engine: Engine) -> None:
    for n in range(6):
        with unit_of_work(engine) as s:
            if n % 2:
                audit.append(session=s, access=_access(3))
            else:
                audit.append_for(session=s, access=_access(0), person_ids=[3, 100 + n])
    pages: list[list[int]] = []
    before = None
    while page := _page(engine, 3, before):
        pages.append([e.seq for e in page])
        before = page[-1].seq
    assert pages == [[6, 5, 4], [3, 2, 1]]
    assert [e.seq for e in _page(engine, 104, None)] == [5]


def _page(engine: Engine, person_id: int, before: int | None) -> list[AccessLogEntry]:
    with unit_of_work(engine) as s:
        return audit.entries_for_person(session=s, person_id=person_id, limit=3, before=before)


UNIT = "0100000155"


def _unit(engine: Engine, realm: str = "civil") -> None:
    with unit_of_work(engine) as s:
        registry.add_employer(session=s, employer=NewEmployer(
            code=UNIT, name="Công ty An Phát", province_code="01", region="I", realm=realm))


@pytest.mark.parametrize(("unit_realm", "realm"), [
    (None, "civil"), ("defence", "civil"), ("defence", "public_security"),
    ("civil", "defence")])
def test_an_employer_credential_names_a_registered_unit_of_its_realm(
        engine: Engine, unit_realm: str | None, realm: str) -> None:
    """A ministry's unit is absent to another realm: refused as a code nobody holds (it was
    told "of the defence realm"); a civil unit's code is public, so it is said to be civil."""
    if unit_realm is not None:
        _unit(engine, unit_realm)
    with unit_of_work(engine) as s, pytest.raises(ValidationError) as refused:
        credentials.create_client(session=s, client=credentials.NewClient(
            "acme", "employer", unit_code=UNIT, realm=realm))
    (problem,) = refused.value.problems
    assert (problem.field, problem.reason) == (
        ("realm", f"unit {UNIT} is of the civil realm, not defence") if unit_realm == "civil"
        else ("unit_code", f"no employer with code {UNIT}: register the unit first"))


def test_five_wrong_secrets_lock_a_client_until_the_lock_expires(engine: Engine) -> None:
    _unit(engine)
    with unit_of_work(engine) as s:
        secret = credentials.create_client(
            session=s, client=credentials.NewClient("acme", "employer", unit_code=UNIT))
    start = datetime.now(UTC)
    for i in range(5):
        with unit_of_work(engine) as s:
            assert credentials.authenticate_client(session=s, client_id="acme", secret="wrong",
                                                   now=start + timedelta(seconds=i)) is None
    with unit_of_work(engine) as s:
        locked = credentials.authenticate_client(session=s, client_id="acme", secret=secret,
                                                 now=start + timedelta(minutes=1))
    with unit_of_work(engine) as s:
        later = credentials.authenticate_client(session=s, client_id="acme", secret=secret,
                                                now=start + timedelta(minutes=16))
    assert locked is None and later is not None and later.unit_code == "0100000155"


def test_a_lock_holds_at_the_guessing_address_until_a_spread_attack_locks_everywhere(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Client ids are not secret: five wrong secrets from one address lock that address out,
    not the employer; the client's own address still gets in. Failures from all addresses
    together lock it everywhere at ``lockout_client_threshold``; an unlock lifts both."""
    monkeypatch.setenv("SIBOOK_LOCKOUT_CLIENT_THRESHOLD", "12")  # each try costs an argon2
    get_access_settings.cache_clear()
    request.addfinalizer(get_access_settings.cache_clear)  # runs before the env is restored
    _unit(engine)
    with unit_of_work(engine) as s:
        secret = credentials.create_client(
            session=s, client=credentials.NewClient("acme2", "employer", unit_code=UNIT))
    start = datetime.now(UTC)

    def attempt(address: str, key: str, seconds: float) -> bool:
        with unit_of_work(engine) as s:
            return credentials.authenticate_client(
                session=s, client_id="acme2", secret=key, address=address,
                now=start + timedelta(seconds=seconds)) is not None

    assert not any(attempt("203.0.113.9", "wrong", i) for i in range(5))
    assert not attempt("203.0.113.9", secret, 10)  # the guesser, even with the secret
    assert attempt("198.51.100.7", secret, 11)  # the employer, from its own address
    assert get_access_settings().lockout_client_threshold == 12
    assert not any(attempt(f"10.0.0.{i}", "wrong", 12 + i) for i in range(7))
    assert not attempt("198.51.100.7", secret, 20)  # now locked everywhere
    with unit_of_work(engine) as s:
        credentials.unlock(session=s, client_id="acme2")
    assert attempt("198.51.100.7", secret, 21) and attempt("203.0.113.9", secret, 22)


def test_wrong_secrets_at_the_same_moment_all_count_and_none_fails(engine: Engine) -> None:
    """Eight wrong secrets at once for a client never failed before: each is a refusal (none a
    duplicate-key error), and they lock the address."""
    go, errors, answers = threading.Barrier(8), [], []

    def attempt() -> None:
        go.wait()
        try:
            with unit_of_work(engine) as s:
                answers.append(credentials.authenticate_client(
                    session=s, client_id="racer", secret="wrong", address="192.0.2.1"))
        except Exception as exc:  # noqa: BLE001 - the test is that nothing is raised
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and answers == [None] * 8
    key, overall = credentials.client_subjects("racer", "192.0.2.1")
    with engine.connect() as conn:
        counts = dict(conn.execute(text(
            "SELECT subject, failures FROM access_login_failures WHERE subject IN (:a, :b)"),
            {"a": key, "b": overall}).all())
    # Judged one after the other: the sixth on found the address locked, and was not counted.
    assert counts[key] == counts[overall] == 5
    with unit_of_work(engine) as s:
        assert credentials.is_locked(s, key, datetime.now(UTC))


def test_the_right_secret_sent_with_the_fifth_wrong_one_is_refused_once_that_locks(
        engine: Engine) -> None:
    """Checked before the fifth failure was counted, the right secret sent at the same moment
    found the address unlocked and signed in: a sixth try where the limit is five."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    _unit(engine)
    with unit_of_work(engine) as s:
        secret = credentials.create_client(
            session=s, client=credentials.NewClient("acme3", "employer", unit_code=UNIT))
    for _ in range(4):
        with unit_of_work(engine) as s:
            credentials.authenticate_client(session=s, client_id="acme3", secret="wrong",
                                            address="192.0.2.7")
    answers: list[object] = []

    def sixth() -> None:
        with unit_of_work(engine) as s:
            answers.append(credentials.authenticate_client(
                session=s, client_id="acme3", secret=secret, address="192.0.2.7"))

    while_held(engine, lambda s: credentials.authenticate_client(
        session=s, client_id="acme3", secret="wrong", address="192.0.2.7"), sixth)
    assert answers == [None]
    with unit_of_work(engine) as s:
        assert credentials.is_locked(s, credentials.client_subjects("acme3", "192.0.2.7")[0],
                                     datetime.now(UTC))


def test_an_officer_can_lift_a_lock_early(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        secret = credentials.create_client(
            session=s, client=credentials.NewClient("h1", "hospital"))
    for _ in range(5):
        with unit_of_work(engine) as s:
            credentials.authenticate_client(session=s, client_id="h1", secret="wrong")
    with unit_of_work(engine) as s:
        credentials.unlock(session=s, client_id="h1")
    with unit_of_work(engine) as s:
        assert credentials.authenticate_client(session=s, client_id="h1", secret=secret)


def _subjects(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT subject FROM access_login_failures")).scalars())


def test_a_sign_in_forgets_the_failures_that_no_longer_count_and_only_those(
        engine: Engine) -> None:
    """Every address and client id ever tried left a row for good. A successful sign-in now
    deletes those whose window has passed and that hold no lock; a lock in force and failures
    still counting (an identity's hour outlasts the 15 minutes of a secret) stay, and count."""
    with unit_of_work(engine) as s:
        secret = credentials.create_client(
            session=s, client=credentials.NewClient("h2", "hospital"))
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        credentials.record_failure(s, "tried once, long ago", now - timedelta(hours=3))
        for i in range(5):  # locked for 15 minutes, two hours ago
            credentials.record_failure(s, "lock expired", now - timedelta(hours=2, seconds=-i))
        credentials.record_failure(s, "tried just now", now - timedelta(minutes=10))
        for _ in range(credentials.IDENTITY_MISMATCHES_PER_HOUR):  # stopped for the hour
            credentials.identity_refused(s, "guesser", now - timedelta(minutes=30))
        credentials.identity_refused(s, "slow guesser", now - timedelta(minutes=40))
    stopped, slow = (credentials.client_count(actor, credentials.IDENTITY)
                     for actor in ("guesser", "slow guesser"))
    with unit_of_work(engine) as s:
        assert credentials.authenticate_client(session=s, client_id="h2", secret=secret,
                                               now=now) is not None
    # An identity's refusals are kept one a row beside its key (``sliding_window``).
    assert {s[:sliding_window.SLOT_KEY] for s in _subjects(engine)} == {
        "tried just now", stopped[:sliding_window.SLOT_KEY], slow[:sliding_window.SLOT_KEY]}
    with unit_of_work(engine) as s, pytest.raises(TooManyRequests):
        credentials.identity_allowed(s, "guesser", now)
    with unit_of_work(engine) as s:  # the slow guesser's refusal 40 minutes ago still counts
        for _ in range(credentials.IDENTITY_MISMATCHES_PER_HOUR - 1):
            credentials.identity_refused(s, "slow guesser", now)
    with unit_of_work(engine) as s, pytest.raises(TooManyRequests):
        credentials.identity_allowed(s, "slow guesser", now)


def test_each_failure_counted_forgets_a_few_that_no_longer_count(engine: Engine) -> None:
    """Without a sign-in (an address spraying wrong secrets, ids never used again), expired
    rows go too: each failure takes up to FORGET_AT_A_FAILURE of them along."""
    now = datetime.now(UTC)
    most = credentials.FORGET_AT_A_FAILURE
    with unit_of_work(engine) as s:
        credentials.record_failure(s, "tried lately", now - timedelta(minutes=10))
        for i in range(most + 3):
            credentials.record_failure(s, f"sprayed {i}", now - timedelta(hours=3))
    with unit_of_work(engine) as s:
        credentials.record_failure(s, "tried now", now)
    left = _subjects(engine)
    assert len(left) == 3 + 2 and {"tried now", "tried lately"} <= left
    with unit_of_work(engine) as s:
        credentials.record_failure(s, "tried again", now)
    assert _subjects(engine) == {"tried now", "tried lately", "tried again"}


def test_secrets_are_stored_only_as_argon2id_hashes(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        secret = credentials.create_client(
            session=s, client=credentials.NewClient("h2", "hospital"))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_hash FROM access_credentials")).scalar_one()
    assert stored.startswith("$argon2id$") and secret not in stored


def test_the_same_client_id_created_twice_at_once_is_one_credential_and_one_conflict(
        engine: Engine) -> None:
    """The second transaction checks before the first commits, so only the primary key can
    see the duplicate: it is the same refusal as the check's, never a duplicate-key crash."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    outcome: list[str] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                credentials.create_client(session=s, client=credentials.NewClient("h3",
                                                                                  "hospital"))
            outcome.append("created")
        except ConflictError as exc:
            outcome.append(str(exc))

    with unit_of_work(engine) as s:
        credentials.create_client(session=s, client=credentials.NewClient("h3", "hospital"))
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
    assert outcome == ["a client h3 already exists"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM access_credentials")).scalar_one() == 1


def test_a_token_signed_out_twice_at_once_is_refused_once_and_neither_fails(
        engine: Engine) -> None:
    """A second click on "sign out" while the first is being stored: it waits, then finds the
    token refused already, instead of a duplicate key (a 500)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    claims = {"jti": "t-1", "exp": int(time.time()) + 600}
    errors: list[Exception] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                revocation.revoke(s, claims)
        except Exception as exc:  # noqa: BLE001 - the test is that nothing is raised
            errors.append(exc)

    with unit_of_work(engine) as s:
        revocation.revoke(s, claims)
        racer = threading.Thread(target=second)
        racer.start()
        until_one_waits(engine)
    racer.join(timeout=60)
    assert errors == []
    with unit_of_work(engine) as s:
        assert revocation.is_revoked(s, "t-1")


def test_signing_out_a_session_token_refuses_every_token_of_its_session(
        engine: Engine) -> None:
    """The session's id is kept in the signed-out tokens' own table, namespaced, until the
    session's cap: another token of it (one before a renewal) is refused, another session's
    is not."""
    now = int(time.time())
    cap = get_access_settings().portal_session_max_seconds
    claims = {"jti": "t-now", "exp": now + 600, "sid": "s-1", "auth_time": now - 60}
    with unit_of_work(engine) as s:
        revocation.revoke(s, claims)
        revocation.revoke(s, claims)  # twice (a second click): refused once, no error
    with unit_of_work(engine) as s:
        assert revocation.is_revoked(s, "t-now")
        assert revocation.is_revoked(s, "t-before-renewal", "s-1")
        assert not revocation.is_revoked(s, "t-other", "s-2")
        assert not revocation.is_revoked(s, None)
        kept = s.execute(text("SELECT expires_at FROM access_revoked_tokens WHERE jti = 'sid:s-1'"))
        assert kept.scalar_one() == now - 60 + cap


def test_a_signed_out_token_stays_refused_while_its_expiry_leeway_would_accept_it(
        engine: Engine) -> None:
    """A token is accepted up to ``tokens.LEEWAY`` past its exp (clock skew): its sign-out
    was forgotten at the exp itself, by the next sign-out, and it worked again meanwhile."""
    now = int(time.time())
    with unit_of_work(engine) as s:
        revocation.revoke(s, {"jti": "t-just-expired", "exp": now - 5})
    with unit_of_work(engine) as s:
        revocation.revoke(s, {"jti": "t-next", "exp": now + 600})
    with unit_of_work(engine) as s:
        assert revocation.is_revoked(s, "t-just-expired")
