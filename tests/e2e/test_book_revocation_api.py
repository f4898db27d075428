"""Revoking and reinstating a book version over HTTP: an approver of the person's realm only,
logged, and seen at once by the QR route, the verifier and the published list."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

from sibook.access import audit
from sibook.access.principals import Officer
from sibook.access.settings import get_access_settings
from sibook.book import issuing
from sibook.cli.main import app as cli
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.schema import metadata
from tests.e2e.test_access_matrix import (
    HIDDEN,
    OPENAPI,
    OWN,
    PRINCIPALS,
    bearer,
    populated_app,
)
from tests.e2e.test_openapi_conformance import assert_conforms

APPROVER = Officer("hn-approver", "civil", "01", frozenset({"approver"}))
DEFENCE_APPROVER = Officer("mod-approver", "defence", None, frozenset({"approver"}))


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Any]]:
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    app, engine, ids = populated_app(tmp_path / "revocation.db")
    yield TestClient(app, raise_server_exceptions=False), (engine, ids)
    engine.dispose()
    get_settings.cache_clear()
    get_access_settings.cache_clear()


def url(personal_id: str, version: int = 1) -> str:
    return f"/api/v1/books/{personal_id}/versions/{version}/revocation"


def test_an_approver_revokes_and_reinstates_a_version(api: tuple[TestClient, Any]) -> None:
    client, (engine, ids) = api
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    qr = client.get(f"/api/v1/books/{OWN}/qr", headers=clerk)  # records version 1
    assert qr.status_code == 200, qr.text
    book_hash = client.get(f"/api/v1/books/{OWN}", headers=clerk).json()["content_hash"]
    never = client.delete(url(OWN), headers=bearer(APPROVER))
    assert never.status_code == 409 and "not revoked" in never.json()["errors"][0]["reason"]
    assert never.json()["errors"][0]["field"] == "version"  # the path's: another is revoked

    r = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "nghi gian lận"})
    assert r.status_code == 201, r.text
    entry = r.json()["revoked"]
    assert (entry["personal_id"], entry["version"], entry["reason"], entry["book_hash"]) == (
        OWN, 1, "nghi gian lận", book_hash)
    for refused in (client.get(f"/api/v1/books/{OWN}/{what}", headers=clerk)
                    for what in ("qr", "pdf")):  # named by the book asked, never why
        assert refused.status_code == 409, refused.text
        (error,) = refused.json()["errors"]
        assert error["field"] == "personal_id" and "gian" not in error["reason"]
    checked = client.post("/api/v1/verify", files={"file": ("qr.txt", qr.content)}).json()
    assert checked["valid"] is False and "revoked" in " ".join(checked["errors"])
    assert "gian" not in str(checked)  # the public verifier says when, never why
    published = client.get("/api/v1/revocations").json()["entries"]
    assert [e["book_hash"] for e in published] == [book_hash]
    assert OWN not in str(published) and "gian" not in str(published)

    lifted = client.delete(url(OWN), headers=bearer(APPROVER))
    assert lifted.status_code == 200, lifted.text
    body = lifted.json()
    reinstated_at = body["reinstated"].pop("reinstated_at")
    assert body == {"reinstated": {"personal_id": OWN, "version": 1}}
    checked = client.post("/api/v1/verify", files={"file": ("qr.txt", qr.content)}).json()
    assert checked["valid"] is True, checked
    assert client.get(f"/api/v1/books/{OWN}/qr", headers=clerk).status_code == 200
    again = client.delete(url(OWN), headers=bearer(APPROVER))  # its answer lost: sent again
    assert again.status_code == 200, again.text
    assert again.json()["reinstated"]["reinstated_at"] == reinstated_at

    with unit_of_work(engine) as s:
        acts = [(e.action, e.outcome) for e in reversed(audit.entries_for_person(
            session=s, person_id=ids[OWN])) if e.actor_id == "hn-approver"]
    # Each act logged before the list changed; the refused one also as refused.
    assert acts == [("book.issue", "allowed"), ("book.issue", "refused")] + [
        ("book.issue", "allowed")] * 3


def test_a_revoked_version_keeps_its_first_revocation(api: tuple[TestClient, Any]) -> None:
    """The same revocation again (a retried request) answers the one on record; another
    reason is refused until the version is reinstated: the first suspicion stays signed."""
    client, _ = api
    client.get(f"/api/v1/books/{OWN}", headers=bearer(PRINCIPALS["clerk_hanoi"]))
    first = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "nghi gian lận"})
    assert first.status_code == 201, first.text
    again = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "nghi gian lận"})
    assert again.status_code == 201 and again.json() == first.json()
    other = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "lý do khác"})
    assert other.status_code == 409, other.text
    assert other.json()["errors"][0]["field"] == "reason"
    assert "reinstate it before" in other.json()["errors"][0]["reason"]
    (entry,) = client.get("/api/v1/revocations").json()["entries"]
    assert entry["revoked_at"] == first.json()["revoked"]["revoked_at"]


def test_a_revocation_recorded_before_hashes_is_published_by_its_versions_hash(
        api: tuple[TestClient, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The public list never says whose book is under suspicion: an entry of the agency's list
    that names only the personal ID and version (recorded before hashes were kept) is
    published, over HTTP and by ``trust-list export-revocations``, by the hash of the version
    on record, as a verifier holding the book finds it."""
    client, _ = api
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'revocation.db'}")
    get_settings.cache_clear()
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    qr = client.get(f"/api/v1/books/{OWN}/qr", headers=clerk)  # version 1, and the keys
    assert qr.status_code == 200, qr.text
    book_hash = client.get(f"/api/v1/books/{OWN}", headers=clerk).json()["content_hash"]
    older = issuing.revoke(issuing.agency(initialise=False), personal_id=OWN, version=1,
                           reason="nghi gian lận", realm="civil")  # no book_hash
    published = client.get("/api/v1/revocations")
    assert published.status_code == 200, published.text
    assert OWN not in published.text and "gian" not in published.text
    assert published.json()["entries"] == [{"book_hash": book_hash,
                                            "revoked_at": older.revoked_at}]
    exported = CliRunner().invoke(cli, ["trust-list", "export-revocations", "-"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["entries"] == published.json()["entries"]
    (tmp_path / "published.json").write_text(published.text, encoding="utf-8")
    offline = CliRunner().invoke(cli, ["book", "verify", "-", "--revocations",
                                       str(tmp_path / "published.json"), "--json"],
                                 input=qr.content)
    assert offline.exit_code == 1 and "revoked" in offline.stdout, offline.output


def test_a_version_that_does_not_exist_is_404_and_a_reason_is_required(
        api: tuple[TestClient, Any]) -> None:
    client, _ = api
    client.get(f"/api/v1/books/{OWN}", headers=bearer(PRINCIPALS["clerk_hanoi"]))
    missing = client.post(url(OWN, 7), headers=bearer(APPROVER), json={"reason": "x"})
    assert missing.status_code == 404 and "no version 7" in missing.json()["errors"][0]["reason"]
    huge = client.post(url(OWN, 2**63), headers=bearer(APPROVER), json={"reason": "x"})
    assert huge.status_code == 422, huge.text  # past the column: no such version, not a 500
    for reason in ("", "   ", "x" * 201):
        r = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": reason})
        assert r.status_code == 422, (reason, r.text)
    assert client.get("/api/v1/revocations").json()["entries"] == []


def test_a_key_the_revocation_does_not_know_is_refused_naming_it(
        api: tuple[TestClient, Any]) -> None:
    """A misspelt key (``"reson"`` beside the reason, a field a script adds) is refused as in
    every other body, never dropped while the version is revoked all the same."""
    client, _ = api
    client.get(f"/api/v1/books/{OWN}", headers=bearer(PRINCIPALS["clerk_hanoi"]))
    r = client.post(url(OWN), headers=bearer(APPROVER),
                    json={"reason": "nghi gian lận", "reson": "x"})
    assert r.status_code == 422 and "reson" in str(r.json()["detail"][0]["loc"]), r.text
    # nothing was revoked: another reason is the first revocation, not a 409
    other = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "lý do khác"})
    assert other.status_code == 201, other.text


def test_the_cli_tells_the_history_of_a_revoked_book_as_the_api_does(
        api: tuple[TestClient, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sibook book history --json`` answers as GET .../versions (README): each version's
    ``revoked`` true or false, as the OpenAPI declares, not the reason or null."""
    client, _ = api
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'revocation.db'}")
    get_settings.cache_clear()
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    assert client.get(f"/api/v1/books/{OWN}/qr", headers=clerk).status_code == 200  # version 1
    revoked = client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "nghi gian lận"})
    assert revoked.status_code == 201, revoked.text
    answered = client.get(f"/api/v1/books/{OWN}/versions", headers=clerk).json()
    shown = CliRunner().invoke(cli, ["book", "history", OWN, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == answered
    assert [v["revoked"] for v in answered["versions"]] == [True]


def test_a_revocation_list_the_server_cannot_read_is_a_declared_503(
        api: tuple[TestClient, Any], tmp_path: Path) -> None:
    """The server's own list altered on disk: its fault, not the request's, a 503 with the
    Retry-After the OpenAPI declares for every 503, naming none of its files."""
    client, _ = api
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    assert client.get(f"/api/v1/books/{OWN}/qr", headers=clerk).status_code == 200  # the keys
    (tmp_path / "keys" / "revocations.json").write_text("{")
    r = client.get(f"/api/v1/books/{OWN}/versions", headers=clerk)
    assert r.status_code == 503 and "revocations" not in r.text, r.text
    assert_conforms(OPENAPI, "GET", "/api/v1/books/{personal_id}/versions", r)


def test_only_approvers_of_the_persons_realm_revoke(api: tuple[TestClient, Any]) -> None:
    client, (engine, ids) = api
    body = {"reason": "nghi gian lận"}
    assert client.post(url(OWN), headers=bearer(PRINCIPALS["clerk_hanoi"]),
                       json=body).status_code == 403
    assert client.delete(url(OWN), headers=bearer(PRINCIPALS["clerk_hanoi"])).status_code == 403
    with unit_of_work(engine) as s:  # refused by role, yet in the person's log: they see it
        tried = [(e.action, e.outcome, e.route) for e in audit.entries_for_person(
            session=s, person_id=ids[OWN]) if e.outcome == "forbidden"]
    assert sorted(tried) == [
        ("book.issue", "forbidden", f"{m} /api/v1/books/{{personal_id}}/versions/{{version}}"
                                    "/revocation") for m in ("DELETE", "POST")]
    assert client.post(url(OWN), headers=bearer(PRINCIPALS["citizen"]),
                       json=body).status_code == 403
    assert client.post(url(OWN), json=body).status_code == 401
    # A civil approver cannot tell a defence person from nobody.
    assert client.post(url(HIDDEN), headers=bearer(APPROVER), json=body).status_code == 404
    client.get(f"/api/v1/books/{HIDDEN}", headers=bearer(PRINCIPALS["defence_clerk"]))
    r = client.post(url(HIDDEN), headers=bearer(DEFENCE_APPROVER), json=body)
    assert r.status_code == 201, r.text
    # In the defence realm's own list, which is never published.
    assert client.get("/api/v1/revocations").json()["entries"] == []
    assert client.get(f"/api/v1/books/{HIDDEN}/qr",
                      headers=bearer(PRINCIPALS["defence_clerk"])).status_code == 409


def _relabelled(pdf: bytes, version: int) -> bytes:
    """``pdf`` with its /SIBook metadata naming another version, appended as an incremental
    update (outside what was signed): what someone probing for books would send."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    info = writer.trailer.raw_get("/Info").get_object()
    book = json.loads(str(info["/SIBook"]))
    info[generic.NameObject("/SIBook")] = generic.TextStringObject(
        json.dumps({**book, "version": version}))
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_only_a_genuine_book_is_told_of_a_newer_version(api: tuple[TestClient, Any]) -> None:
    client, (engine, ids) = api
    clerk = bearer(PRINCIPALS["clerk_hanoi"])
    pdf = client.get(f"/api/v1/books/{OWN}/pdf", headers=clerk).content
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:  # a fact of the book changes: version 2
        s.execute(insert(periods).values(
            person_id=ids[OWN], seq=99, from_month=2016 * 12, to_month=2016 * 12 + 5,
            kind="voluntary", employer_id=None, salary_basis=3_000_000, allowances=0,
            occupational_rate_bp=0))
    assert client.get(f"/api/v1/books/{OWN}", headers=clerk).json()["version"] == 2

    def verify(data: bytes) -> dict[str, Any]:
        answer: dict[str, Any] = client.post(
            "/api/v1/verify", files={"file": ("book.pdf", data)}).json()
        return answer

    genuine = verify(pdf)
    assert (genuine["valid"], genuine["version"], genuine["newer_version"]) == (True, 1, 2)
    client.post(url(OWN), headers=bearer(APPROVER), json={"reason": "nghi gian lận"})
    revoked = verify(pdf)  # revoked, still the agency's: the newer version is worth knowing
    assert (revoked["valid"], revoked["newer_version"]) == (False, 2)
    forged = verify(_relabelled(pdf, 0))
    assert forged["valid"] is False and forged["version"] == 1  # as signed, not the 0 written
    assert "newer_version" not in forged  # says nothing of whether OWN has a book
