"""Employers file, pay and read their ledger over HTTP, as their payroll software would."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from sibook.access import audit, ratelimit, tokens
from sibook.access.settings import get_access_settings
from sibook.access.store import AccessLogEntry
from sibook.book import service as books
from sibook.contributions import api as contributions_api
from sibook.contributions import declare as declare_module
from sibook.contributions import jobs
from sibook.contributions.schema import DeclarationAnswer
from sibook.core.config import get_settings
from sibook.core.db import make_engine, unit_of_work
from sibook.core.errors import MAX_PROBLEMS
from sibook.ids import make_enterprise_code
from sibook.registry import reading as registry
from tests.databases import migrated_sqlite
from tests.e2e.test_openapi_conformance import assert_conforms
from tests.integration.ledger_fixtures import EMPLOYER, WORKER_NAMES, csv_of, setup_workers
from tests.integration.test_declaration_files import xlsx_of
from tests.servers import app_on, free_port, serving

OTHER_UNIT = make_enterprise_code(77, "79")
FILING = "/api/v1/employers/{code}/declarations"
JOB = "/api/v1/employers/{code}/declaration-jobs/{job_id}"
PAYMENT = "/api/v1/employers/{code}/payments"
EMPLOYER_LEDGER = "/api/v1/employers/{code}/ledger"
PERSON_LEDGER = "/api/v1/persons/{personal_id}/ledger"


@dataclass
class Api:
    client: TestClient
    workers: list[str]
    engine: Engine

    def as_employer(self, unit: str = EMPLOYER) -> dict[str, str]:
        token = tokens.issue({"sub": f"client-{unit}", "kind": "employer", "unit_code": unit})
        return {"Authorization": f"Bearer {token}"}

    def file(self, data: bytes, month: str = "2026-01", unit: str = EMPLOYER) -> Any:
        return self.client.post(f"/api/v1/employers/{unit}/declarations",
                                headers=self.as_employer(unit), data={"month": month},
                                files={"file": ("d02.csv", data, "text/csv")})

    def conforms(self, method: str, path: str, r: httpx2.Response) -> httpx2.Response:
        """``r``, once it is an answer the OpenAPI declares for ``method path``."""
        assert_conforms(self.client.app.openapi(), method, path, r)  # type: ignore[attr-defined]
        return r

    def finished_job(self, location: str, headers: dict[str, str]) -> Any:
        for _ in range(200):
            job = self.conforms("GET", JOB, self.client.get(location, headers=headers)).json()
            if job["status"] not in ("queued", "running"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"still {job['status']}: {location}")


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    engine: Engine = make_engine(migrated_sqlite(tmp_path / "api.db"))
    yield from _served(engine, tmp_path, monkeypatch)
    engine.dispose()


@pytest.fixture
def api_on_both(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[Api]:
    """``api`` on SQLite and on PostgreSQL."""
    yield from _served(engine, tmp_path, monkeypatch)


def _served(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SIBOOK_MAX_UPLOAD_BYTES", str(UPLOAD_CAP))
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    ratelimit.reset()
    workers = setup_workers(engine, 4)
    yield Api(TestClient(app_on(engine)), workers, engine)
    get_settings.cache_clear()
    get_access_settings.cache_clear()


UPLOAD_CAP = 64_000  # bytes; the tests' lists are far smaller


def _ledger_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM ledger_entries").scalar_one())


def test_an_upload_declared_larger_than_the_cap_is_413_before_it_is_read(api: Api) -> None:
    big = csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]) + b"#" * UPLOAD_CAP
    r = api.file(big)
    assert r.status_code == 413, r.text
    (problem,) = r.json()["errors"]
    assert problem["field"] == "body" and "64,000" in problem["reason"]
    assert _ledger_rows(api.engine) == 0


def test_a_chunked_upload_is_cut_once_it_grows_past_the_cap(api: Api) -> None:
    """No Content-Length: the cap is counted while the body arrives, over a real socket, and
    the cut body is refused whole, not filed from what arrived before the cut."""
    head = (b"--cut\r\nContent-Disposition: form-data; name=\"month\"\r\n\r\n2026-01\r\n"
            b"--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d02.csv\"\r\n"
            b"Content-Type: text/csv\r\n\r\n"
            + csv_of([(pid, "TM", 10_000_000, "2026-01") for pid in api.workers]))
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(1_000):  # 8 MB if nothing stopped it
            sent.append(1)
            yield b"\n" * 8_192

    with serving(api.client.app, free_port()) as base:
        r = httpx2.post(f"{base}/api/v1/employers/{EMPLOYER}/declarations", content=body(),
                        headers={**api.as_employer(),
                                 "Content-Type": "multipart/form-data; boundary=cut"},
                        timeout=30)
    assert r.status_code == 413, r.text
    assert "grew past 64,000 bytes" in r.json()["errors"][0]["reason"]
    assert _ledger_rows(api.engine) == 0


def _form(*parts: tuple[str, bytes]) -> bytes:
    """A multipart body with boundary ``cut``, closed as RFC 2046 §5.1.1 says."""
    return b"".join(
        b"--cut\r\nContent-Disposition: form-data; name=\"%s\"%s\r\n\r\n%s\r\n" % (
            name.encode(), b'; filename="d02.csv"' if name == "file" else b"", value)
        for name, value in parts) + b"--cut--\r\n"


def _post_form(api: Api, body: bytes) -> Any:
    return api.client.post(f"/api/v1/employers/{EMPLOYER}/declarations", content=body,
                           headers={**api.as_employer(),
                                    "Content-Type": "multipart/form-data; boundary=cut"})


@pytest.mark.parametrize("cut", [
    b"--cut--\r\n",  # the closing boundary lost: the file's part never ends
    b"--\r\n",  # only its last two dashes: every part whole, the body still unclosed
    b"-01\n\r\n--cut--\r\n",  # within the file's last line
])
def test_a_multipart_body_cut_short_is_a_400_and_files_nothing(api: Api, cut: bytes) -> None:
    whole = _form(("month", b"2026-01"),
                  ("file", csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")])))
    assert whole.endswith(cut)
    r = _post_form(api, whole[:-len(cut)])
    assert r.status_code == 400, r.text
    assert r.json() == {"detail": "the multipart body was cut short: it ends before its closing "
                                  "boundary --cut--"}
    assert _ledger_rows(api.engine) == 0
    assert _post_form(api, whole).status_code == 201  # the same body whole is filed


def test_a_body_cut_in_its_last_part_is_not_filed_from_the_parts_before_it(api: Api) -> None:
    """Month and file arrived whole; the batch after them did not (read alone, it would be
    batch 1 filed)."""
    whole = _form(("month", b"2026-01"), ("file", csv_of([(api.workers[0], "TM", 10_000_000,
                                                           "2026-01")])), ("batch", b"2"))
    r = _post_form(api, whole.removesuffix(b"--cut--\r\n"))
    assert r.status_code == 400, r.text
    assert _ledger_rows(api.engine) == 0


def test_a_whole_multipart_body_without_the_file_is_a_422_naming_it(api: Api) -> None:
    r = _post_form(api, _form(("month", b"2026-01")))
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "file"]]


def test_two_files_in_one_filing_are_refused_and_neither_is_filed(api: Api) -> None:
    """FastAPI read the last file of two and filed it, the first never mentioned."""
    first, second = (csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]),
                     csv_of([(api.workers[1], "TM", 9_000_000, "2026-01")]))
    r = api.conforms("POST", FILING, api.client.post(
        f"/api/v1/employers/{EMPLOYER}/declarations", headers=api.as_employer(),
        data={"month": "2026-01"}, files=[("file", ("a.csv", first)),
                                          ("file", ("b.csv", second))]))
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "file", "reason": (
        "the request holds 2 parts named file; one file is read a request: send each in a "
        "request of its own")}]
    assert api.file(second).json()["replayed"] is False  # the one it read was not filed


def test_an_upload_under_the_cap_is_filed(api: Api) -> None:
    r = api.file(csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]) + b"\n" * 50_000)
    assert r.status_code == 201, r.text


def test_a_filing_is_computed_and_a_refiling_changes_nothing(api: Api) -> None:
    data = csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")])
    first = api.conforms("POST", FILING, api.file(data))
    assert first.status_code == 201, first.text
    assert first.json()["dues"] == {"2026-01": 3_200_000}
    again = api.conforms("POST", FILING, api.file(data))
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert again.json() == {**first.json(), "replayed": True}
    # in the model's order: a job's result, serialised through it, reads as this answer does
    assert list(first.json()) == list(again.json()) == list(DeclarationAnswer.model_fields)


def test_a_batch_filed_with_other_content_is_a_409_naming_the_batch(api: Api) -> None:
    api.file(csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]))
    r = api.conforms("POST", FILING, api.file(csv_of([(api.workers[1], "TM", 10_000_000,
                                                       "2026-01")])))
    assert r.status_code == 409, r.text
    (problem,) = r.json()["errors"]
    assert problem["field"] == "batch" and "file the changes as batch 2" in problem["reason"]


def test_a_batch_written_with_pythons_digit_separator_is_a_422_filing_nothing(api: Api) -> None:
    r = api.conforms("POST", FILING, api.client.post(
        f"/api/v1/employers/{EMPLOYER}/declarations", headers=api.as_employer(),
        data={"month": "2026-01", "batch": "1_5"},
        files={"file": ("d02.csv", csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]),
                        "text/csv")}))
    assert r.status_code == 422 and "written in digits" in r.text, r.text
    assert _ledger_rows(api.engine) == 0


def test_a_bad_filing_is_422_with_row_and_column(api: Api) -> None:
    r = api.file(csv_of([(api.workers[0], "TM", 1_000, "2026-01")]))
    assert r.status_code == 422
    assert r.json()["errors"][0]["row"] == 2
    assert r.json()["errors"][0]["field"] == "salary"
    # Refused, so nothing changed; but the worker's record was read to check the line: logged.
    with unit_of_work(api.engine) as s:
        logged = s.execute(select(AccessLogEntry.actor_id, AccessLogEntry.action,
                                  AccessLogEntry.outcome, AccessLogEntry.detail)
                           .where(AccessLogEntry.person_id.is_not(None))).all()
    assert logged == [(f"client-{EMPLOYER}", "contribution.declare", "refused",
                       f"unit {EMPLOYER}; month 2026-01; batch 1")]  # no declaration landed


def test_a_large_filing_is_accepted_then_processed(api: Api, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    r = api.conforms("POST", FILING,
                     api.file(csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in api.workers])))
    assert r.status_code == 202, r.text
    job = api.finished_job(r.headers["Location"], api.as_employer())  # each answer conforms
    assert job["status"] == "accepted", job
    # 4 x 8,000,000 x 32% = 10,240,000
    assert job["result"]["dues"] == {"2026-01": 10_240_000}
    # Applied after the answer, in the job's own transaction: logged there, once for each
    # worker (one entry of the chain naming the four).
    with unit_of_work(api.engine) as s:
        logged = [[(e.actor_id, e.action, e.detail) for e in audit.entries_for_person(
                       session=s, person_id=registry.person_id_of(session=s, personal_id=pid))]
                  for pid in api.workers]
    filing = (f"unit {EMPLOYER}; month 2026-01; batch 1; "
              f"declaration {job['result']['declaration_id']}")
    assert logged == [[(f"client-{EMPLOYER}", "contribution.declare", filing)]] * 4


def test_a_large_file_filed_again_is_a_job_whose_result_is_the_replay(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    data = csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in api.workers])
    first = api.finished_job(api.file(data).headers["Location"], api.as_employer())
    again = api.conforms("POST", FILING, api.file(data))
    assert again.status_code == 202, again.text  # by its size, before the content is known
    job = api.finished_job(again.headers["Location"], api.as_employer())
    assert job["status"] == "accepted" and job["result"] == {**first["result"], "replayed": True}


def test_the_filings_description_says_when_a_file_is_a_job_and_how_it_ends(api: Api) -> None:
    """A script author reads the OpenAPI: it names the size past which the answer is 202 (the
    threshold in force) and the job's ends, not only "a large file"."""
    spec = api.client.get("/api/v1/openapi.json").json()
    said = spec["paths"][FILING]["post"]["description"]
    assert f"{contributions_api.ASYNC_BYTES:,} bytes" in said
    assert f"at most {MAX_PROBLEMS:,}" in said
    for word in ("202", "`Location`", "`accepted`", "`refused`", "`failed`", "`replayed: true`"):
        assert word in said, word


def as_clerk() -> dict[str, str]:
    """A clerk of the province of ``EMPLOYER``'s (Hà Nội)."""
    return {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}


def access_log_of(api: Api, personal_id: str) -> list[tuple[str, str, str, str | None]]:
    """Who did what, how it ended and about what, oldest first, in the person's log."""
    with unit_of_work(api.engine) as s:
        person_id = registry.person_id_of(session=s, personal_id=personal_id)
        return [(e.actor_id, e.action, e.outcome, e.detail) for e in reversed(
            audit.entries_for_person(session=s, person_id=person_id))]


def test_a_refused_large_filings_errors_read_by_another_than_its_filer_are_logged(
        api_on_both: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused job's errors tell of the workers its checks read. Its filer's polls are that
    refusal's own entry; anyone else's (a clerk of the unit's province) is logged as the
    refusal was, naming the reader: it was answered them unlogged."""
    api = api_on_both
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    r = api.file(csv_of([(api.workers[0], "TM", 1_000, "2026-01")]))
    assert r.status_code == 202, r.text
    job = api.finished_job(r.headers["Location"], api.as_employer())
    assert job["status"] == "refused" and job["errors"][0]["row"] == 2, job
    filing = f"unit {EMPLOYER}; month 2026-01; batch 1"
    refusal = (f"client-{EMPLOYER}", "contribution.declare", "refused", filing)
    assert access_log_of(api, api.workers[0]) == [refusal]
    assert api.client.get(r.headers["Location"], headers=api.as_employer()).json() == job
    assert access_log_of(api, api.workers[0]) == [refusal]  # its filer: logged already
    read = api.conforms("GET", JOB, api.client.get(r.headers["Location"], headers=as_clerk()))
    assert read.json() == job
    assert access_log_of(api, api.workers[0]) == [
        refusal, ("hn-clerk", "contribution.declare", "refused", filing)]


def test_an_accepted_jobs_polls_name_nobody_and_are_not_logged(
        api_on_both: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its result is the unit's counts and dues, as a filing sent again answers them: no
    worker is named, so a clerk's poll adds no entry to a worker's log (only the filing's)."""
    api = api_on_both
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    r = api.file(csv_of([(api.workers[0], "TM", 8_000_000, "2026-01")]))
    job = api.finished_job(r.headers["Location"], api.as_employer())
    assert job["status"] == "accepted", job
    logged = access_log_of(api, api.workers[0])
    assert api.client.get(r.headers["Location"], headers=as_clerk()).json() == job
    assert access_log_of(api, api.workers[0]) == logged


@pytest.mark.parametrize("name", ["d02.txt", "d02." + "x" * 300])
def test_a_large_filing_of_no_known_format_is_422_and_starts_no_job(
        api: Api, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """An extension too long for the disk was a 500 that left its job queued for good."""
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    r = api.client.post(FILING.format(code=EMPLOYER), headers=api.as_employer(),
                        data={"month": "2026-01"},
                        files={"file": (name, csv_of([(api.workers[0], "TM", 8_000_000,
                                                       "2026-01")]), "text/csv")})
    assert r.status_code == 422, r.text
    (problem,) = r.json()["errors"]
    assert problem["field"] == "file"
    assert problem["reason"].startswith("the file has a name ending .")
    with api.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM declaration_jobs").scalar_one() == 0


def test_a_large_upload_the_disk_cannot_hold_is_reported_failed_not_left_queued(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)

    def disk_full(*_: Any, **__: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jobs.shutil, "copyfileobj", disk_full)
    r = api.file(csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in api.workers]))
    assert r.status_code == 202, r.text
    job = api.finished_job(r.headers["Location"], api.as_employer())
    assert job["status"] == "failed" and "uploaded again" in job["errors"][0]["reason"]
    assert list(jobs.SPOOL_DIR.glob(f"{job['job_id']}*")) == []


def test_a_large_filing_that_dies_is_reported_failed_not_left_running(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)

    def crash(**_: Any) -> dict[str, Any]:
        raise RuntimeError("disk full")  # whatever the server did not foresee

    monkeypatch.setattr(jobs, "declare", crash)
    r = api.file(csv_of([(pid, "TM", 8_000_000, "2026-01") for pid in api.workers]))
    job = api.finished_job(r.headers["Location"], api.as_employer())
    assert job["status"] == "failed", job
    assert "uploaded again" in job["errors"][0]["reason"]
    assert "disk full" not in str(job)  # the server's internals stay in its log


def test_a_clerks_large_filing_is_processed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # The clerk's request reads the unit's province, so on SQLite it holds the write lock when
    # the job is recorded: the job must not wait for the request that started it.
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    clerk = {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}
    r = api.client.post(f"/api/v1/employers/{EMPLOYER}/declarations", headers=clerk,
                        data={"month": "2026-01"},
                        files={"file": ("d02.csv", csv_of([(api.workers[0], "TM", 8_000_000,
                                                             "2026-01")]), "text/csv")})
    assert r.status_code == 202, r.text
    assert api.finished_job(r.headers["Location"], clerk)["status"] == "accepted"


def test_a_clerks_xlsx_is_read_without_holding_the_stores_write_lock(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # openpyxl takes ~120 us a row: a 2 MB sheet read while the request holds SQLite's only
    # write lock would stall every other writer of the store for seconds.
    clerk = {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}
    wrote_meanwhile: list[bool] = []
    real_read = declare_module.read_frames

    def read_while_another_writes(data: Any, fmt: str) -> Iterator[Any]:
        other = sqlite3.connect(str(api.engine.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            wrote_meanwhile.append(True)
        except sqlite3.OperationalError:
            wrote_meanwhile.append(False)
        other.close()
        yield from real_read(data, fmt)

    monkeypatch.setattr(declare_module, "read_frames", read_while_another_writes)
    sheet = xlsx_of([["personal_id", "full_name", "case_code", "salary", "from_month"],
                     [api.workers[0], WORKER_NAMES[api.workers[0]], "TM", 8_000_000, "2026-01"]])
    r = api.client.post(f"/api/v1/employers/{EMPLOYER}/declarations", headers=clerk,
                        data={"month": "2026-01"},
                        files={"file": ("d02.xlsx", sheet, "application/octet-stream")})
    assert r.status_code == 201, r.text
    assert wrote_meanwhile == [True]


def test_another_units_job_is_not_found(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    r = api.file(csv_of([(api.workers[0], "TM", 8_000_000, "2026-01")]))
    job = api.finished_job(r.headers["Location"], api.as_employer())
    other = api.client.get(f"/api/v1/employers/{OTHER_UNIT}/declaration-jobs/{job['job_id']}",
                           headers=api.as_employer(OTHER_UNIT))
    assert other.status_code == 404


def test_a_poll_answers_while_the_filing_it_follows_holds_the_store(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite a filing holds the store's one write lock for its whole run; a poll of its
    progress reads under WAL beside it. It waited for the filing's end (SIBOOK_LOCK_WAIT's 120
    s, then a 503), every request's token check beginning as a writer."""
    monkeypatch.setattr(contributions_api, "ASYNC_BYTES", 10)
    holding, release = threading.Event(), threading.Event()

    def slow_filing(*, session: Any, progress: Any, **_: Any) -> dict[str, Any]:
        session.execute(text("SELECT 1"))  # its transaction begins: the write lock
        progress("checked", 3)
        holding.set()
        release.wait(timeout=60)
        raise RuntimeError("not filed")

    monkeypatch.setattr(jobs, "declare", slow_filing)
    r = api.file(csv_of([(api.workers[0], "TM", 8_000_000, "2026-01")]))
    assert r.status_code == 202, r.text
    assert holding.wait(timeout=10)
    answers: list[httpx2.Response] = []
    poll = threading.Thread(target=lambda: answers.append(
        api.client.get(r.headers["Location"], headers=api.as_employer())))
    poll.start()
    poll.join(timeout=10)
    answered_while_held = not poll.is_alive()
    release.set()
    poll.join()
    assert answered_while_held
    assert answers[0].status_code == 200, answers[0].text
    assert (answers[0].json()["status"], answers[0].json()["lines_done"]) == ("running", 3)
    # When to poll: said by the 202 and by each answer of a job not done, as declared.
    api.conforms("GET", JOB, answers[0])
    assert r.headers["Retry-After"] == answers[0].headers["Retry-After"] == "1"
    assert api.finished_job(r.headers["Location"], api.as_employer())["status"] == "failed"
    done = api.conforms("GET", JOB, api.client.get(r.headers["Location"],
                                                   headers=api.as_employer()))
    assert "Retry-After" not in done.headers


def test_payments_and_ledgers(api: Api) -> None:
    an = api.workers[0]
    api.file(csv_of([(an, "TM", 10_000_000, "2026-01")]), month="2026-02")
    payment = {"amount": 4_000_000, "reference": "VCB-1", "paid_on": "2026-02-20"}
    # The agency posts it from the bank's statement; the employer cannot post (or date) its own.
    refused = api.client.post(f"/api/v1/employers/{EMPLOYER}/payments",
                              headers=api.as_employer(), json=payment)
    assert refused.status_code == 403, refused.text
    clerk = {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}
    paid = api.conforms("POST", PAYMENT, api.client.post(
        f"/api/v1/employers/{EMPLOYER}/payments", headers=clerk, json=payment))
    assert paid.status_code == 201, paid.text
    assert paid.json()["allocated"] == [{"month": "2026-01", "amount": 3_200_000},
                                        {"month": "2026-02", "amount": 800_000}]
    again = api.conforms("POST", PAYMENT, api.client.post(
        f"/api/v1/employers/{EMPLOYER}/payments", headers=clerk,
        json={**payment, "reference": "vcb-1"}))
    assert again.status_code == 201 and again.json() == {**paid.json(), "replayed": True}
    for field, changed in (("amount", 4_000_001), ("paid_on", "2026-02-21")):
        clash = api.conforms("POST", PAYMENT, api.client.post(
            f"/api/v1/employers/{EMPLOYER}/payments", headers=clerk,
            json={**payment, field: changed}))
        assert clash.status_code == 409 and [e["field"] for e in clash.json()["errors"]] == [
            field], clash.text
    ledger = api.conforms("GET", EMPLOYER_LEDGER, api.client.get(
        f"/api/v1/employers/{EMPLOYER}/ledger?as_of=2026-02-20", headers=api.as_employer()))
    assert [m["status"] for m in ledger.json()["months"]] == ["paid", "partly_paid"]
    # As of January's end the ledger held January only, unpaid: February's dues and the
    # payment of 02-20 came later.
    january = api.conforms("GET", EMPLOYER_LEDGER, api.client.get(
        f"/api/v1/employers/{EMPLOYER}/ledger?as_of=2026-01-31", headers=api.as_employer()))
    assert [(m["month"], m["due"], m["paid"]) for m in january.json()["months"]] == [
        ("2026-01", 3_200_000, 0)]
    assert january.json()["totals"]["due"] == 3_200_000
    person = api.conforms("GET", PERSON_LEDGER, api.client.get(
        f"/api/v1/persons/{an}/ledger?as_of=2026-02-20", headers=api.as_employer()))
    assert [m["status"] for m in person.json()["months"]] == ["paid", "partly_paid"]
    assert "voluntary_credit" not in person.json()["summary"]  # the employer's view
    # Months later, the rest still unpaid: late interest, evasion, the worker's share withheld
    # and not remitted; a clerk's view adds the person's voluntary credit.
    late = api.conforms("GET", EMPLOYER_LEDGER, api.client.get(
        f"/api/v1/employers/{EMPLOYER}/ledger?as_of=2026-06-30", headers=clerk)).json()
    assert late["months"][1]["interest"] > 0 and late["months"][1]["evasion"] is True
    assert late["totals"]["months_in_evasion"] == 1
    arrears = api.conforms("GET", PERSON_LEDGER, api.client.get(
        f"/api/v1/persons/{an}/ledger?as_of=2026-06-30&from=2026-02", headers=clerk)).json()
    assert [(m["month"], m["deducted_not_remitted"]) for m in arrears["months"]] == [
        ("2026-02", True), ("2026-03", False), ("2026-04", False), ("2026-05", False),
        ("2026-06", False)]
    assert arrears["summary"]["voluntary_credit"] == 0


def test_a_payment_with_a_key_the_api_does_not_know_is_refused_and_not_posted(
        api: Api) -> None:
    clerk = {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}
    payment = {"amount": 1_000_000, "reference": "VCB-9", "paid_on": "2026-02-01",
               "paid_to_month": "2026-01"}
    r = api.conforms("POST", PAYMENT, api.client.post(
        PAYMENT.format(code=EMPLOYER), headers=clerk, json=payment))
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "paid_to_month"]]
    del payment["paid_to_month"]
    posted = api.client.post(PAYMENT.format(code=EMPLOYER), headers=clerk, json=payment)
    assert posted.status_code == 201 and posted.json()["replayed"] is False, posted.text


def test_a_malformed_request_names_its_fields_in_errors_as_a_refused_one_does(api: Api) -> None:
    """A payroll script reads ``errors`` on every 422: a payment of 0 VND (the schema's) and one
    dated in the future (the domain's) both name their field there; FastAPI's ``detail`` stays."""
    clerk = {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}
    payment = {"amount": 0, "reference": "VCB-10", "paid_on": "2026-02-30"}
    r = api.conforms("POST", PAYMENT, api.client.post(
        PAYMENT.format(code=EMPLOYER), headers=clerk, json=payment))
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "amount"], ["body", "paid_on"]]
    assert [(e["field"], e["reason"]) for e in r.json()["errors"]] == [
        ("amount", "Input should be greater than 0"),
        ("paid_on", "Input should be a valid date or datetime, day value is outside expected "
                    "range")]
    future = api.conforms("POST", PAYMENT, api.client.post(
        PAYMENT.format(code=EMPLOYER), headers=clerk, json={**payment, "amount": 1,
                                                            "paid_on": "2099-01-01"}))
    assert [e["field"] for e in future.json()["errors"]] == ["paid_on"]
    query = api.conforms("GET", PERSON_LEDGER, api.client.get(
        f"/api/v1/persons/{api.workers[0]}/ledger?from=2026-1", headers=clerk))
    assert [e["field"] for e in query.json()["errors"]] == ["from"]
    job = api.conforms("POST", FILING, api.client.post(
        FILING.format(code=EMPLOYER), headers=api.as_employer(), data={"month": "2026-01"}))
    assert [e["field"] for e in job.json()["errors"]] == ["file"]


def test_an_employer_cannot_file_for_another_unit(api: Api) -> None:
    r = api.client.post(f"/api/v1/employers/{EMPLOYER}/declarations",
                        headers=api.as_employer(OTHER_UNIT), data={"month": "2026-01"},
                        files={"file": ("d.csv", b"personal_id,case_code\n", "text/csv")})
    assert r.status_code == 403


def test_an_officer_naming_a_unit_that_does_not_exist_gets_404(api: Api) -> None:
    clerk = {"Authorization": "Bearer " + tokens.issue(
        {"sub": "hn-clerk", "kind": "officer", "realm": "civil", "province_code": "01",
         "roles": ["clerk"]})}
    r = api.client.post(f"/api/v1/employers/{OTHER_UNIT}/payments", headers=clerk,
                        json={"amount": 1_000_000, "reference": "VCB-1", "paid_on": "2026-02-01"})
    assert r.status_code == 404, r.text
    assert OTHER_UNIT in r.json()["errors"][0]["reason"]


def test_the_workers_below_a_raised_minimum_are_the_units_to_see_and_their_reads_logged(
        api: Api) -> None:
    """Pay declared in 2025 at 5,000,000 (Region I) is below January 2026's 5,310,000."""
    low = api.workers[0]
    assert api.file(csv_of([(low, "TM", 5_000_000, "2025-12")]), month="2025-12"
                    ).status_code == 201
    path = "/api/v1/employers/{code}/below-minimum"
    url = path.format(code=EMPLOYER)
    r = api.conforms("GET", path, api.client.get(url, params={"month": "2026-01"},
                                                 headers=api.as_employer()))
    assert r.status_code == 200
    assert [(w["personal_id"], w["shortfall"]) for w in r.json()["workers"]] == [
        (low, 310_000)]
    other = api.client.get(url, params={"month": "2026-01"}, headers=api.as_employer(OTHER_UNIT))
    assert api.conforms("GET", path, other).status_code == 403
    bad = api.client.get(url, params={"month": "2026-1"}, headers=api.as_employer())
    assert bad.status_code == 422
    with unit_of_work(api.engine) as s:
        reads = s.execute(select(AccessLogEntry.actor_id, AccessLogEntry.outcome).where(
            AccessLogEntry.route.endswith("/below-minimum"),
            AccessLogEntry.person_id.is_not(None))).all()
    assert [tuple(r) for r in reads] == [(f"client-{EMPLOYER}", "allowed")]


def test_a_unit_filing_past_its_budget_of_the_minute_is_429_before_any_name_is_checked(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each filing checks its lines' names against personal IDs: a unit filing small lists
    one after another to probe a stranger's name is stopped (counted by unit, whatever its
    address), before the file is read."""
    monkeypatch.setenv("SIBOOK_DECLARATION_RATE_PER_MINUTE", "2")
    get_access_settings.cache_clear()
    stranger = api.workers[3]
    for guess in ("Lê Văn Một", "Lê Văn Hai"):
        probe = api.file(csv_of([(stranger, "XX", 9_000_000, "2026-01")], {stranger: guess}))
        assert probe.status_code == 422, probe.text
    stopped = api.conforms("POST", FILING, api.file(csv_of(
        [(stranger, "TM", 9_000_000, "2026-01")], {stranger: WORKER_NAMES[stranger]})))
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
    assert stopped.json() == {"detail": "too many requests; try again later"}
    assert _ledger_rows(api.engine) == 0


PAYMENT_CYCLE = "/api/v1/employers/{code}/payment-cycle"


def _clerk() -> dict[str, str]:
    token = tokens.issue({"sub": "hn-clerk", "kind": "officer", "realm": "civil",
                          "province_code": "01", "roles": ["clerk"]})
    return {"Authorization": f"Bearer {token}"}


def put_cycle(api: Api, cycle: str) -> httpx2.Response:
    """The unit's payment method set to ``cycle`` from 2026-01, as a clerk sets it."""
    return api.conforms("PUT", PAYMENT_CYCLE, api.client.put(
        PAYMENT_CYCLE.format(code=EMPLOYER), headers=_clerk(),
        json={"payment_cycle": cycle, "from_month": "2026-01"}))


def test_a_clerk_records_a_unit_paying_every_3_months_and_its_ledger_follows(api: Api) -> None:
    """Law 41/2024 Art 34(4)(b): January to March fall due together, on 30 April."""
    r = put_cycle(api, "3")
    assert r.status_code == 200, r.text
    assert r.json() == {"code": EMPLOYER, "payment_cycle": "3", "from_month": "2026-01"}
    assert api.file(csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]),
                    month="2026-03").status_code == 201
    ledger = api.client.get(f"/api/v1/employers/{EMPLOYER}/ledger?as_of=2026-04-30",
                            headers=api.as_employer()).json()
    assert [(m["deadline"], m["days_late"]) for m in ledger["months"]] == [
        ("2026-04-30", 0)] * 3


def test_a_payment_cycle_is_read_in_any_letter_case_as_the_cli_reads_it(api: Api) -> None:
    """``employers cycle --payment-cycle Monthly`` is monthly; the API refused "Monthly"."""
    r = put_cycle(api, "Monthly")
    assert r.status_code == 200, r.text
    assert r.json() == {"code": EMPLOYER, "payment_cycle": "monthly", "from_month": "2026-01"}


def test_a_payment_cycle_not_listed_is_the_registrys_422_naming_the_field(api: Api) -> None:
    r = api.conforms("POST", "/api/v1/employers", api.client.post(
        "/api/v1/employers", headers=_clerk(), json={
            "code": OTHER_UNIT, "name": "HTX Muối", "province_code": "01",
            "region": "I", "payment_cycle": "12"}))
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["errors"]] == ["payment_cycle"]


def test_a_payment_cycle_from_a_month_already_due_is_the_registrys_422(api: Api) -> None:
    """Changing the method from a month already due would rewrite its late days and interest."""
    assert api.file(csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]),
                    month="2026-01").status_code == 201
    r = put_cycle(api, "3")
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["errors"]] == ["from_month"]


SALARY_REGIME = "/api/v1/employers/{code}/salary-regime"


def test_a_clerk_records_a_units_salary_regime_from_a_month_and_the_book_follows(
        api: Api) -> None:
    """The unit pays by the state's salary scale from 2026-01: its worker's January row says
    ``state_scale``, the pension's average is the state scale's (Law 41/2024 Art 72(1))."""
    r = api.conforms("PUT", SALARY_REGIME, api.client.put(
        SALARY_REGIME.format(code=EMPLOYER), headers=_clerk(),
        json={"salary_regime": "state", "from_month": "2026-01"}))
    assert r.status_code == 200, r.text
    assert r.json() == {"code": EMPLOYER, "salary_regime": "state", "from_month": "2026-01"}
    # The listing says the regime in force this month, no longer the one registered.
    listed = api.client.get("/api/v1/employers", headers=_clerk()).json()["employers"]
    assert [u["salary_regime"] for u in listed if u["code"] == EMPLOYER] == ["state"]
    assert api.file(csv_of([(api.workers[0], "TM", 10_000_000, "2026-01")]),
                    month="2026-01").status_code == 201
    with unit_of_work(api.engine) as s:
        book = books.assemble_book(session=s, personal_id=api.workers[0], as_of=date(2026, 2, 1))
    assert [row.get("state_scale") for row in book["sheets"]] == [True]


@pytest.mark.parametrize(("who", "body", "status", "field"), [
    ("employer", {"salary_regime": "state", "from_month": "2026-01"}, 403, None),
    ("clerk", {"salary_regime": "mixed", "from_month": "2026-01"}, 422, "salary_regime"),
])
def test_a_salary_regime_is_an_officers_to_set_and_one_of_two(
        api: Api, who: str, body: dict[str, str], status: int, field: str | None) -> None:
    headers = _clerk() if who == "clerk" else api.as_employer()
    r = api.conforms("PUT", SALARY_REGIME, api.client.put(
        SALARY_REGIME.format(code=EMPLOYER), headers=headers, json=body))
    assert r.status_code == status, r.text
    if field is not None:
        assert [p["field"] for p in r.json()["errors"]] == [field]
