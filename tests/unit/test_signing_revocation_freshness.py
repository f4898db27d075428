"""A revocation list's freshness: its signed ``next_update``, stale lists in verification (a
warning, or invalid when strict), old-format and replayed lists, renewal. A clock fixed at
8:00 tomorrow: the books checked are signed now, before it, as a verifier's clock is after
what it checks (one issued past the verifier's clock is refused: sibook.signing.claims)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sibook.core.config import get_settings
from sibook.core.errors import ConflictError, ValidationError
from sibook.signing import keys, status
from sibook.signing.keys import Signer
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import sign_qr
from sibook.signing.status import RevocationList, revocations_file
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import NO_LIST, verify
from tests.unit.test_signing_support import PASSPHRASE, Agency, book_payload, make_agency, tiny_pdf

T0 = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
AT_T0, NEXT_DAY = T0.isoformat(), (T0 + timedelta(days=1)).isoformat()  # as a list writes them
EARLIER = (T0 - timedelta(days=28)).replace(hour=0).isoformat()  # an earlier version's list
PID = "001090001234"  # book_payload's person, version 3


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Agency:
    return make_agency(tmp_path_factory.mktemp("keys"), now=T0 - timedelta(days=30))


@pytest.fixture(scope="module")
def signed_pdf(agency: Agency) -> bytes:
    return sign_pdf(tiny_pdf(), agency.signer, book=book_payload())


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SIBOOK_REVOCATION_LIST_HOURS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def saved(agency: Agency, path: Path, *, at: datetime, revoked: bool = False) -> RevocationList:
    revocations = RevocationList()
    if revoked:
        revocations.revoke(PID, 3, "suspected fraud", at=at)
    revocations.save(path, agency.signer, now=at)
    return RevocationList.load(path, agency.trust_list)


def test_a_list_is_current_until_its_next_update_24_hours_after_signing(
        agency: Agency, tmp_path: Path) -> None:
    listed = saved(agency, tmp_path / "r.json", at=T0)
    assert listed.staleness("civil", T0 + timedelta(hours=23, minutes=59)) is None
    problem = listed.staleness("civil", T0 + timedelta(hours=24))
    assert problem is not None and f"is stale: its next_update {NEXT_DAY}" in problem


@pytest.mark.parametrize("kind", ["pdf", "qr"])
def test_past_next_update_a_good_book_is_valid_with_a_warning_naming_it(
        agency: Agency, signed_pdf: bytes, tmp_path: Path, kind: str) -> None:
    data = signed_pdf if kind == "pdf" else sign_qr(book_payload(), agency.signer).encode()
    listed = saved(agency, tmp_path / "r.json", at=T0)
    result = verify(data, trust_list=agency.trust_list, status=listed,
                    now=T0 + timedelta(days=2))
    assert result.valid and result.errors == []
    assert result.warnings == [
        f"the revocation list of the civil realm (r.json, signed {AT_T0}) is "
        f"stale: its next_update {NEXT_DAY} has passed, and a version revoked "
        "since would not show"]


def test_strict_verification_makes_a_stale_list_invalid(
        agency: Agency, signed_pdf: bytes, tmp_path: Path) -> None:
    listed = saved(agency, tmp_path / "r.json", at=T0)
    result = verify(signed_pdf, trust_list=agency.trust_list, status=listed, strict=True,
                    now=T0 + timedelta(days=2))
    assert not result.valid and result.warnings == []
    (error,) = result.errors
    assert error.startswith("strict verification refuses it: the revocation list of the civil "
                            "realm") and "is stale" in error


def test_a_current_list_gives_no_warning_even_when_strict(
        agency: Agency, signed_pdf: bytes, tmp_path: Path) -> None:
    listed = saved(agency, tmp_path / "r.json", at=T0)
    result = verify(signed_pdf, trust_list=agency.trust_list, status=listed, strict=True,
                    now=T0 + timedelta(hours=1))
    assert result.valid and result.warnings == [] and result.errors == []


def test_the_window_is_sibook_revocation_list_hours(
        agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIBOOK_REVOCATION_LIST_HOURS", "2")
    get_settings.cache_clear()
    listed = saved(agency, tmp_path / "r.json", at=T0)
    assert [f.next_update for f in listed.freshness] == [T0 + timedelta(hours=2)]


@pytest.mark.parametrize("hours", ["0", "-1", "nan", "100000"])
def test_a_window_that_vouches_for_nothing_is_refused(
        agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hours: str) -> None:
    monkeypatch.setenv("SIBOOK_REVOCATION_LIST_HOURS", hours)
    get_settings.cache_clear()
    with pytest.raises(ValidationError, match="SIBOOK_REVOCATION_LIST_HOURS: must be more"):
        RevocationList().save(tmp_path / "r.json", agency.signer, now=T0)


@pytest.mark.parametrize("edit", ["moved", "removed"])
def test_an_edited_next_update_breaks_the_lists_signature(
        agency: Agency, tmp_path: Path, edit: str) -> None:
    path = tmp_path / "r.json"
    saved(agency, path, at=T0, revoked=True)
    signed = json.loads(path.read_text(encoding="utf-8"))
    if edit == "moved":
        signed["next_update"] = "2027-03-01T08:00:00+00:00"
    else:  # passing for a list of an earlier version, which would only be stale
        del signed["next_update"]
    path.write_text(json.dumps(signed), encoding="utf-8")
    with pytest.raises(ValidationError, match=f"{path}: revocation list bad signature"):
        RevocationList.load(path, agency.trust_list)


def _earlier_version_list(path: Path, signer: Signer, revoked: bool) -> None:
    """A list as versions before next_update wrote it: signed over entries and signed_at."""
    entries = ([{"personal_id": PID, "version": 3, "reason": "suspected fraud",
                 "revoked_at": EARLIER}] if revoked else [])
    body = {"entries": entries, "signed_at": EARLIER}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    path.write_text(json.dumps({**body, "kid": signer.key_id.hex(), "signature": base64.b64encode(
        signer.sign(canonical.encode())).decode()}), encoding="utf-8")


def test_a_list_of_an_earlier_version_without_next_update_loads_as_stale(
        agency: Agency, signed_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / revocations_file("civil")
    _earlier_version_list(path, agency.signer, revoked=True)
    listed = RevocationList.load(path, agency.trust_list, realm="civil")
    assert listed.is_revoked(PID, 3) == "suspected fraud"
    result = verify(signed_pdf, trust_list=agency.trust_list, status=listed, now=T0)
    assert result.errors == [f"revoked: version 3 of book {PID}: suspected fraud"]
    assert result.warnings == [
        "the revocation list of the civil realm (revocations.json, signed "
        f"{EARLIER}) has no next_update, as written by an earlier version: "
        "treated as stale"]


def test_a_replayed_list_from_before_a_revocation_is_reported_stale(
        agency: Agency, signed_pdf: bytes, tmp_path: Path) -> None:
    replayed = saved(agency, tmp_path / "old.json", at=T0)
    current = saved(agency, tmp_path / "new.json", at=T0 + timedelta(hours=20), revoked=True)
    later = T0 + timedelta(hours=30)
    with_old = verify(signed_pdf, trust_list=agency.trust_list, status=replayed, now=later)
    strict_old = verify(signed_pdf, trust_list=agency.trust_list, status=replayed, now=later,
                        strict=True)
    with_new = verify(signed_pdf, trust_list=agency.trust_list, status=current, now=later)
    assert with_old.valid and "is stale" in with_old.warnings[0]
    assert not strict_old.valid and "is stale" in strict_old.errors[0]
    assert not with_new.valid and with_new.warnings == []
    assert with_new.errors == [f"revoked: version 3 of book {PID}: suspected fraud"]


def test_renewing_makes_a_stale_list_current_with_its_entries_unchanged(
        agency: Agency, tmp_path: Path) -> None:
    path = tmp_path / revocations_file("civil")
    saved(agency, path, at=T0, revoked=True)
    later = T0 + timedelta(hours=30)
    renewed = status.renew(path, agency.trust_list, agency.signer, realm="civil", now=later)
    listed = RevocationList.load(path, agency.trust_list, realm="civil")
    assert renewed.next_update == later + timedelta(hours=24)
    assert listed.staleness("civil", later) is None
    assert listed.is_revoked(PID, 3) == "suspected fraud"


def test_renewing_an_earlier_versions_list_gives_it_a_next_update(
        agency: Agency, tmp_path: Path) -> None:
    path = tmp_path / revocations_file("civil")
    _earlier_version_list(path, agency.signer, revoked=True)
    status.renew(path, agency.trust_list, agency.signer, realm="civil", now=T0)
    listed = RevocationList.load(path, agency.trust_list, realm="civil")
    assert listed.staleness("civil", T0) is None and listed.is_revoked(PID, 3)


def test_an_altered_list_is_refused_not_renewed(agency: Agency, tmp_path: Path) -> None:
    path = tmp_path / revocations_file("civil")
    saved(agency, path, at=T0, revoked=True)
    signed = json.loads(path.read_text(encoding="utf-8"))
    signed["entries"] = []
    path.write_text(json.dumps(signed), encoding="utf-8")
    with pytest.raises(ValidationError, match="bad signature"):
        status.renew(path, agency.trust_list, agency.signer, realm="civil", now=T0)


def test_a_list_missing_a_key_is_refused_naming_the_key(agency: Agency, tmp_path: Path) -> None:
    path = tmp_path / revocations_file("civil")
    saved(agency, path, at=T0)
    signed = json.loads(path.read_text(encoding="utf-8"))
    del signed["signed_at"]
    path.write_text(json.dumps(signed), encoding="utf-8")
    with pytest.raises(ValidationError, match="malformed: it has no 'signed_at'"):
        RevocationList.load(path, agency.trust_list)


def test_a_list_nested_past_the_parsers_depth_is_refused_as_malformed(
        agency: Agency, tmp_path: Path) -> None:
    path = tmp_path / "revocations.json"  # a downloaded file, as --revocations names one
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValidationError, match="malformed: JSON nested too deeply"):
        RevocationList.load(path, agency.trust_list)


def test_a_list_that_is_no_text_is_refused_in_words_never_pythons(agency: Agency,
                                                                  tmp_path: Path) -> None:
    """A binary file given as --revocations said "'utf-8' codec can't decode bytes in position
    1-2: invalid continuation byte"."""
    path = tmp_path / "revocations.json"
    path.write_bytes(b"{\xe9\x00\xff}")
    with pytest.raises(ValidationError) as refused:
        RevocationList.load(path, agency.trust_list)
    assert refused.value.problems[0].reason == (
        "revocation list malformed: not UTF-8 text (byte 2 is no character), as the JSON `sibook "
        "trust-list export-revocations` writes is")


def test_a_missing_list_is_stale_and_strict_refuses_the_book(
        agency: Agency, signed_pdf: bytes, tmp_path: Path) -> None:
    missing = RevocationList.load(tmp_path / "none.json", agency.trust_list, realm="civil")
    result = verify(signed_pdf, trust_list=agency.trust_list, status=missing, strict=True,
                    now=T0)
    assert result.errors == ["strict verification refuses it: no revocation list of the civil "
                             "realm (none.json): revoked book versions cannot be known"]


def test_no_list_at_all_is_a_warning_and_strict_refuses_it(agency: Agency,
                                                            signed_pdf: bytes) -> None:
    lax = verify(signed_pdf, trust_list=agency.trust_list, now=T0)
    strict = verify(signed_pdf, trust_list=agency.trust_list, strict=True, now=T0)
    assert (lax.valid, lax.warnings) == (True, [NO_LIST])
    assert (strict.valid, strict.errors) == (False, [f"strict verification refuses it: {NO_LIST}"])


def test_another_realms_list_does_not_vouch_for_a_civil_book(
        agency: Agency, signed_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / revocations_file("defence")
    RevocationList().save(path, keys.load_signer(agency.keys_dir, "defence", PASSPHRASE), now=T0)
    result = verify(signed_pdf, trust_list=agency.trust_list,
                    status=RevocationList.load(path, agency.trust_list), now=T0)
    assert result.valid and result.warnings == [
        "no revocation list of the civil realm was given: revoked book versions cannot be known"]


def test_new_keys_come_with_a_current_empty_list_for_every_realm(tmp_path: Path) -> None:
    made = make_agency(tmp_path / "keys", now=T0)
    lists = RevocationList.load_realms(made.keys_dir, made.trust_list)
    assert lists.entries == []
    assert {(f.realm, f.signed_at, f.next_update) for f in lists.freshness} == {
        (realm, T0, T0 + timedelta(hours=24)) for realm in ("civil", "defence",
                                                             "public_security")}


def test_the_agency_re_signs_its_stale_lists_before_answering(tmp_path: Path) -> None:
    made = make_agency(tmp_path / "keys", now=T0)
    later = T0 + timedelta(days=3)
    lists = status.current_lists(made.keys_dir, made.trust_list, lambda realm: keys.load_signer(
        made.keys_dir, realm, PASSPHRASE), now=later)
    assert {f.signed_at for f in lists.freshness} == {later}
    assert all(lists.staleness(realm, later) is None
               for realm in ("civil", "defence", "public_security"))


def test_a_list_the_agency_cannot_re_sign_stays_stale_and_says_so(tmp_path: Path) -> None:
    made = make_agency(tmp_path / "keys", now=T0)

    def expired(realm: str) -> Signer:
        raise ConflictError(f"the {realm} issuing certificate expired")

    later = T0 + timedelta(days=3)
    lists = status.current_lists(made.keys_dir, made.trust_list, expired, now=later)
    problem = lists.staleness("civil", later)
    assert problem is not None and "is stale" in problem


def test_the_published_list_is_the_civil_one_only(tmp_path: Path) -> None:
    made = make_agency(tmp_path / "keys", now=T0)
    defence = RevocationList()
    defence.revoke("038059749911", 1, "nghi gian lan", at=T0)
    defence.save(made.keys_dir / revocations_file("defence"),
                 keys.load_signer(made.keys_dir, "defence", PASSPHRASE), now=T0)
    signed = status.published(made.keys_dir, made.trust_list, lambda realm: keys.load_signer(
        made.keys_dir, realm, PASSPHRASE), now=T0 + timedelta(hours=1))
    assert signed["entries"] == [] and signed["signed_at"] == AT_T0
    assert "038059749911" not in json.dumps(signed)


def test_the_published_list_after_a_rotation_loads_with_the_new_trust_list(
        tmp_path: Path) -> None:
    """Published after a rotation, the list is signed by the new key: it must carry a
    signed_at the new certificate covers, or every verifier refuses it as signed by a key
    that could not sign then (its stored signed_at was the old key's)."""
    made = make_agency(tmp_path / "keys", now=T0)
    keys.rotate(made.keys_dir, "civil", PASSPHRASE, now=T0 + timedelta(hours=1))
    trust = TrustList.from_keys_dir(made.keys_dir)
    later = T0 + timedelta(hours=2)
    signed = status.published(made.keys_dir, trust, lambda realm: keys.load_signer(
        made.keys_dir, realm, PASSPHRASE), now=later)
    out = tmp_path / "published.json"
    out.write_text(json.dumps(signed), encoding="utf-8")
    assert RevocationList.load(out, trust).staleness("civil", later) is None


def test_a_list_signed_after_its_keys_certificate_expired_is_refused(
        agency: Agency, tmp_path: Path) -> None:
    """A retired or expired key signs nothing, a list included: signed_at is in the signed
    body, so the time cannot be moved back."""
    late = agency.signer.certificate.not_valid_after_utc + timedelta(days=1)
    RevocationList().save(tmp_path / "r.json", agency.signer, now=late)
    with pytest.raises(ValidationError, match="signed by a key that could not sign then: "
                                              ".*had expired"):
        RevocationList.load(tmp_path / "r.json", agency.trust_list)


def test_the_published_list_names_versions_by_book_hash_and_never_whose_or_why(
        agency: Agency, tmp_path: Path) -> None:
    """A personal ID beside "suspected fraud" is personal data: the public form keeps the
    book hash (which only a holder of the book knows) and the time. An entry made before
    hashes were kept is named by its version's hash on record, which the agency's own list
    then keeps; one no recorded version matches is left out, never named by its ID."""
    listed = RevocationList()
    listed.revoke(PID, 3, "suspected fraud", at=T0, book_hash="ab" * 32)
    listed.revoke("001090009999", 1, "older entry", at=T0)
    listed.revoke("001090008888", 2, "older, unmatched", at=T0)
    listed.save(tmp_path / revocations_file("civil"), agency.signer, now=T0)
    on_record = {("001090009999", 1): "cd" * 32}
    doc = status.published(tmp_path, agency.trust_list, lambda _: agency.signer,
                           now=T0 + timedelta(hours=1),
                           hash_of=lambda pid, version: on_record.get((pid, version)))
    text = json.dumps(doc, ensure_ascii=False)
    assert "0010900" not in text and "older" not in text and "suspected fraud" not in text
    assert sorted(doc["entries"], key=lambda e: e["book_hash"]) == [
        {"book_hash": "ab" * 32, "revoked_at": AT_T0},
        {"book_hash": "cd" * 32, "revoked_at": AT_T0}]
    (tmp_path / "public.json").write_text(text, encoding="utf-8")
    public = RevocationList.load(tmp_path / "public.json", agency.trust_list)
    assert public.is_revoked(PID, 3, "ab" * 32) == f"revoked on {AT_T0}"
    assert public.is_revoked("001090009999", 1, "cd" * 32) == f"revoked on {AT_T0}"
    assert public.is_revoked(PID, 3) is None and public.is_revoked(PID, 3, "ef" * 32) is None
    own = RevocationList.load(tmp_path / revocations_file("civil"), agency.trust_list)
    assert [(e.personal_id, e.book_hash, e.reason) for e in own.entries] == [
        (PID, "ab" * 32, "suspected fraud"), ("001090008888", None, "older, unmatched"),
        ("001090009999", "cd" * 32, "older entry")]


def test_a_list_published_before_naming_an_older_entry_by_its_id_still_verifies(
        agency: Agency, tmp_path: Path) -> None:
    """Verifiers keep the lists they downloaded: one published when older entries were named
    by personal ID and version still loads, and still says that version is revoked."""
    body = {"entries": [{"personal_id": "001090009999", "version": 1, "revoked_at": AT_T0}],
            "signed_at": AT_T0, "next_update": NEXT_DAY}
    signature = agency.signer.sign(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                              ensure_ascii=False).encode())
    (tmp_path / "old.json").write_text(json.dumps({
        **body, "kid": agency.signer.key_id.hex(),
        "signature": base64.b64encode(signature).decode()}), encoding="utf-8")
    old = RevocationList.load(tmp_path / "old.json", agency.trust_list)
    assert old.is_revoked("001090009999", 1) == "revoked"
    assert old.is_revoked("001090009999", 2) is None
