"""Books assembled from a seeded database, signed, verified, revoked and versioned."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import Engine, insert, select, update

from sibook.book import issuing, service, versions
from sibook.book.render_pdf import render_pdf
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, ServerFault
from sibook.core.period import Period
from sibook.core.schema import metadata
from sibook.registry import reading as registry
from sibook.seed.service import seed
from sibook.signing import certs, held, keys
from sibook.signing.claims import REALM_KEY
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import qr_png, sign_qr
from sibook.signing.status import RevocationList, revocations_file
from sibook.signing.trust_list import TrustList

TODAY = date(2026, 11, 26)


@pytest.fixture
def worker(engine: Engine) -> int:
    """A civil person of a seeded database with an open participation period."""
    seed(engine=engine, people=40, employers=5, today=TODAY)
    persons, periods = metadata.tables["persons"], metadata.tables["si_periods"]
    with engine.connect() as conn:
        person_id = conn.execute(
            select(persons.c.person_id).join(periods, periods.c.person_id == persons.c.person_id)
            .where(persons.c.realm == "civil", periods.c.to_month.is_(None),
                   periods.c.kind == "compulsory").limit(1)).scalar_one()
    return int(person_id)


def current(engine: Engine, person_id: int) -> versions.Version:
    with unit_of_work(engine) as s:
        return service.current_version(session=s, person_id=person_id, as_of=TODAY)[0]


def test_exported_pdf_is_valid_for_pyhanko_with_only_the_trust_list(
        engine: Engine, worker: int, agency: issuing.Agency, tmp_path: Path) -> None:
    pdf = issuing.book_pdf(current(engine, worker), agency)
    agency.trust_list().export(tmp_path / "trust.pem")
    roots = list(load_certs_from_pemder_data((tmp_path / "trust.pem").read_bytes()))
    (signature,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots,
                                                                 allow_fetching=False))
    assert status.bottom_line and status.intact and status.trusted


def test_pdf_and_qr_verify_with_person_and_version(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    v = current(engine, worker)
    trust = TrustList.from_pem(agency.trust_list().to_pem())
    for data in (issuing.book_pdf(v, agency),
                 issuing.issue_qr(v, agency.signer("civil")).encode()):
        result = issuing.check(data, trust, agency.revocations())
        assert result.valid, result.errors
        assert (result.personal_id, result.version) == (v.payload["header"]["personal_id"], 1)


def test_flipping_one_byte_makes_the_pdf_invalid(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    pdf = bytearray(issuing.book_pdf(current(engine, worker), agency))
    at = pdf.index(b"/Producer") + 12  # inside the signed document information
    pdf[at] ^= 0x01
    result = issuing.check(bytes(pdf), agency.trust_list(), agency.revocations())
    assert not result.valid and result.errors


def test_a_revoked_version_verifies_as_revoked(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    v = current(engine, worker)
    personal_id = v.payload["header"]["personal_id"]
    issuing.revoke(agency, personal_id=personal_id, version=1, reason="suspected fraud",
                   realm="civil")
    result = issuing.check(issuing.issue_qr(v, agency.signer("civil")).encode(),
                           agency.trust_list(), agency.revocations())
    assert not result.valid
    assert result.errors == [f"revoked: version 1 of book {personal_id}: suspected fraud"]


def test_unchanged_facts_keep_the_version(engine: Engine, worker: int) -> None:
    assert current(engine, worker).version == current(engine, worker).version == 1


def test_a_pay_rise_makes_version_2_chained_to_version_1(engine: Engine, worker: int) -> None:
    first = current(engine, worker)
    periods = metadata.tables["si_periods"]
    with unit_of_work(engine) as s:  # the declaration of a raise: close the row, open another
        seq = s.execute(select(periods.c.seq, periods.c.salary_basis).where(
            periods.c.person_id == worker, periods.c.to_month.is_(None))).one()
        s.execute(update(periods).where(periods.c.person_id == worker,
                                        periods.c.seq == seq.seq)
                  .values(to_month=Period(2026, 9).index))
        s.execute(insert(periods).values(
            person_id=worker, seq=99, from_month=Period(2026, 10).index, to_month=None,
            kind="compulsory", employer_id=None, salary_basis=seq.salary_basis + 1_000_000,
            allowances=0, occupational_rate_bp=50))
    second = current(engine, worker)
    assert second.version == 2 and second.prev_hash == first.content_hash
    with unit_of_work(engine) as s:
        chain = versions.history(session=s, person_id=worker)
        assert [v.version for v in chain] == [1, 2] and versions.chain_problems(chain) == []
        book = metadata.tables["si_books"]
        assert s.execute(select(book.c.version).where(book.c.person_id == worker)
                         ).scalar_one() == 2


def test_an_old_version_stays_readable(engine: Engine, worker: int) -> None:
    first = current(engine, worker)
    with unit_of_work(engine) as s:
        again = versions.get(session=s, person_id=worker, version=1)
    assert again is not None and again.payload == first.payload


def test_after_a_rotation_the_pdf_is_signed_by_the_new_key_not_served_from_the_old(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    v = current(engine, worker)
    before = issuing.check(issuing.book_pdf(v, agency), agency.trust_list(), None)
    keys.rotate(agency.keys_dir, "civil", agency.passphrase)
    time.sleep(held.RECHECK_SECONDS)  # how soon a running server looks at its keys again
    after = issuing.check(issuing.book_pdf(v, agency), agency.trust_list(), None)
    assert before.valid and after.valid, (before.errors, after.errors)
    assert (before.signer, after.signer) == (
        "Vietnam Social Security civil issuer 1", "Vietnam Social Security civil issuer 2")
    assert after.signer == certs.common_name(agency.signer("civil").certificate)


def test_a_pdf_cached_before_its_payload_named_the_realm_is_made_again_not_served(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    """An older sibook cached PDFs by version and key alone, signing no realm in them: such a
    file was served, realm-less, until the version or the key changed."""
    v = current(engine, worker)
    signer = agency.signer("civil")
    header = v.payload["header"]
    payload = issuing.qr_payload(v, signer, datetime.now(UTC).replace(microsecond=0))
    del payload[REALM_KEY]  # as signed before payloads named their realm
    unsigned = render_pdf(v.payload, version=v.version, content_hash=v.content_hash,
                          issuer=certs.REALMS["civil"], issued_at=payload["issued_at"],
                          qr_png=qr_png(sign_qr(payload, signer), scale=3))
    agency.cache_dir.mkdir(parents=True)
    old = agency.cache_dir / (f"{header['personal_id']}-v{v.version}-{v.content_hash[:16]}"
                              f"-{signer.key_id.hex()}.pdf")  # the older sibook's name
    old.write_bytes(sign_pdf(unsigned, signer, book=payload))
    assert REALM_KEY not in issuing.check(old.read_bytes(), agency.trust_list(), None).payload
    served = issuing.book_pdf(v, agency)
    assert issuing.check(served, agency.trust_list(), None).payload[REALM_KEY] == "civil"
    assert not old.exists()  # never served again
    (cached,) = agency.cache_dir.glob("*.pdf")
    assert cached.read_bytes() == served == issuing.book_pdf(v, agency)  # kept, not re-signed


def test_a_pdf_cache_another_account_could_write_to_is_not_used(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    """A cached PDF is handed out as the agency's: only from a directory no one else can
    write to (keys kept in /tmp/x would put the cache in /tmp/cache)."""
    v = current(engine, worker)
    issuing.book_pdf(v, agency)
    (cached,) = agency.cache_dir.glob("*.pdf")
    cached.write_bytes(b"%PDF-1.7 planted")
    assert issuing.book_pdf(v, agency) == b"%PDF-1.7 planted"  # a private cache is trusted
    agency.cache_dir.parent.chmod(0o777)
    try:
        served = issuing.book_pdf(v, agency)
    finally:
        agency.cache_dir.parent.chmod(0o700)
    assert issuing.check(served, agency.trust_list(), None).valid
    assert cached.read_bytes() == b"%PDF-1.7 planted"  # and nothing written there either


def test_an_expired_issuing_certificate_signs_nothing(
        engine: Engine, worker: int, tmp_path: Path) -> None:
    old = tmp_path / "old-keys"
    keys.init_keys(old, b"pw", now=datetime(2020, 1, 1, tzinfo=UTC), issuer_days=30)
    expired = issuing.Agency(old, b"pw")
    with pytest.raises(ConflictError, match="expired on 2020-01-31.*keys rotate --realm civil"):
        issuing.book_pdf(current(engine, worker), expired)


def test_a_revoked_version_is_not_handed_out_again(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    v = current(engine, worker)
    personal_id = v.payload["header"]["personal_id"]
    issuing.revoke(agency, personal_id=personal_id, version=v.version, reason="nghi gian lan",
                   realm="civil")
    with pytest.raises(ConflictError, match="version 1 of book .* is revoked by the agency") \
            as refused:
        issuing.book_pdf(v, agency)
    assert "gian" not in str(refused.value)  # why is not told: the holder may be suspected


def test_a_reinstated_version_verifies_and_is_handed_out_again(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    v = current(engine, worker)
    personal_id = v.payload["header"]["personal_id"]
    issuing.revoke(agency, personal_id=personal_id, version=v.version, reason="nghi gian lan",
                   realm="civil")
    lifted = issuing.reinstate(agency, personal_id=personal_id, version=v.version,
                               realm="civil")
    assert lifted is not None and lifted.revocation.reason == "nghi gian lan"
    signed = (agency.keys_dir / "revocations.json").read_bytes()
    # Sent again (its answer lost): the reinstatement on record, the list not signed again.
    assert issuing.reinstate(agency, personal_id=personal_id, version=v.version,
                             realm="civil") == lifted
    assert (agency.keys_dir / "revocations.json").read_bytes() == signed
    assert issuing.reinstate(agency, personal_id=personal_id, version=v.version + 1,
                             realm="civil") is None  # never revoked
    result = issuing.check(issuing.book_pdf(v, agency), agency.trust_list(),
                           agency.revocations())
    assert result.valid, result.errors


def test_a_version_revoked_again_after_its_reinstatement_is_revoked_and_then_lifted_anew(
        agency: issuing.Agency) -> None:
    pid = "001089012345"
    issuing.revoke(agency, personal_id=pid, version=1, reason="x", realm="civil")
    first = issuing.reinstate(agency, personal_id=pid, version=1, realm="civil")
    issuing.revoke(agency, personal_id=pid, version=1, reason="y", realm="civil")
    listed = agency.revocations("civil")
    assert (listed.is_revoked(pid, 1), listed.lifted_of(pid, 1)) == ("y", None)
    again = issuing.reinstate(agency, personal_id=pid, version=1, realm="civil")
    assert first is not None and again is not None
    assert (again.revocation.reason, first.revocation.reason) == ("y", "x")


def test_revocations_made_at_the_same_time_all_land(agency: issuing.Agency) -> None:
    """Each revocation reads, changes and re-signs the list under its lock: read and written
    apart, one would drop another's entry."""
    ids = [f"0010890{n:05d}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pid: issuing.revoke(agency, personal_id=pid, version=1,
                                                 reason="x", realm="civil"), ids))
    listed = agency.revocations("civil")
    assert all(listed.is_revoked(pid, 1) == "x" for pid in ids)


def test_each_realm_keeps_its_own_signed_revocation_list(agency: issuing.Agency) -> None:
    """The civil list the agency publishes names no defence person; each list is signed by its
    own realm's key, and one realm's file cannot stand in for another's."""
    issuing.revoke(agency, personal_id="038059749911", version=1, reason="nghi gian lan",
                   realm="defence")
    issuing.revoke(agency, personal_id="001090001234", version=2, reason="suspected fraud",
                   realm="civil")
    civil = RevocationList.load(agency.keys_dir / revocations_file("civil"),
                                agency.trust_list(), realm="civil")
    assert [(e.personal_id, e.version) for e in civil.entries] == [("001090001234", 2)]
    merged = agency.revocations()
    assert merged.is_revoked("038059749911", 1) == "nghi gian lan"
    assert merged.is_revoked("001090001234", 2) == "suspected fraud"
    shutil.copy(agency.keys_dir / revocations_file("defence"),
                agency.keys_dir / revocations_file("civil"))
    with pytest.raises(ServerFault, match="signed by the defence realm's key"):
        agency.revocations()  # the agency's own list: the operator's to mend, not the caller's


def test_a_card_not_yet_begun_is_not_in_the_book(engine: Engine, worker: int) -> None:
    with unit_of_work(engine) as s:
        cards = registry.hi_cards_of(session=s, person_id=worker)
        assert cards
        first = min(c.valid_from for c in cards)
        before = service.assemble_person(session=s, person_id=worker,
                                         as_of=first - timedelta(days=1))
        on = service.assemble_person(session=s, person_id=worker, as_of=first)
    assert before["hi_periods"] == []
    assert [h["valid_from"] for h in on["hi_periods"]] == [first.isoformat()]


def test_the_card_shown_is_the_one_valid_on_the_servers_day_not_utcs(
        engine: Engine, worker: int, agency: issuing.Agency,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At 03:00 on 1 January in Vietnam (20:00 UTC on 31 December) the card beginning that
    day is the one shown and signed: UTC's day showed the one that had ended, which the
    hospital's check, on Vietnam's day, refuses as expired."""
    from dataclasses import replace

    from sibook.signing.qr import verify_qr

    v = current(engine, worker)
    old, new = ({**card, "card_number": f"DN401000000000{n}", "valid_from": f"{year}-01-01",
                 "valid_to": f"{year}-12-31"}
                for n, year, card in ((1, 2026, v.payload["hi_periods"][-1]),
                                      (2, 2027, v.payload["hi_periods"][-1])))
    v = replace(v, payload={**v.payload, "hi_periods": [old, new]})
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    try:
        shown, text = issuing.card_qr(v, agency, on=datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert shown["card_number"] == new["card_number"]
    signed = verify_qr(text, agency.trust_list()).payload  # dated ahead of this test's clock
    assert (signed["card_number"], signed["valid_from"]) == (new["card_number"], "2027-01-01")


def test_a_card_of_a_revoked_version_stands_and_links_to_no_published_entry(
        engine: Engine, worker: int, agency: issuing.Agency) -> None:
    """A card stands while its book version is revoked (coverage is the registry's), and the
    hospital that scans it must not learn of the suspicion: its QR carried the version's
    content hash, the very key of the public revocation list (GET /api/v1/revocations), which
    names a revoked version by that hash precisely so that no one is named."""
    from sibook.signing.card import verify_card
    from sibook.signing.qr import verify_qr

    v = current(engine, worker)
    with unit_of_work(engine) as s:
        issuing.revoke_version(s, agency, person_id=worker, version=v.version,
                               personal_id=v.payload["header"]["personal_id"],
                               reason="nghi gian lan")
    _, text = issuing.card_qr(v, agency)
    answer = verify_card(text.encode(), trust_list=agency.trust_list(), on=TODAY)
    assert answer.valid, answer.errors
    published = {e.published()["book_hash"] for e in agency.revocations("civil").entries}
    assert published == {v.content_hash}
    assert not published & set(map(str, verify_qr(text, agency.trust_list()).payload.values()))
