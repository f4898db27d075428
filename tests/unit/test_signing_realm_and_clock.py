"""What a signed book or HI card says of itself against its signer and the verifier's clock
(``sibook.signing.claims``): only its own realm's issuer signs it, and it was not issued
later than now (beyond the few minutes clocks differ)."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cbor2
import pytest

from sibook.signing import keys
from sibook.signing._base45 import b45encode
from sibook.signing.card import verify_card
from sibook.signing.claims import CLOCK_SKEW
from sibook.signing.keys import FileSigner
from sibook.signing.pades import sign_pdf
from sibook.signing.qr import _COSE, BOOK_CLAIM, IAT, ISS, PREFIX, SUB, _signer_key, sign_qr
from sibook.signing.verify import verify
from tests.unit.test_signing_support import (
    PASSPHRASE,
    Agency,
    before_realms,
    book_payload,
    make_agency,
    tiny_pdf,
)

CARD = {"card_number": "GD4797931234567", "benefit_level": 4, "valid_from": "2026-01-01",
        "valid_to": "2099-12-31", "personal_id": "001090001234", "realm": "civil", "version": 3}


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Agency:
    return make_agency(tmp_path_factory.mktemp("keys"))


def signer(agency: Agency, realm: str) -> FileSigner:
    return keys.load_signer(agency.keys_dir, realm, PASSPHRASE)


def of_realm(realm: str) -> dict[str, Any]:
    return {**book_payload(), "realm": realm}


def signed(kind: str, payload: dict[str, Any], by: FileSigner) -> bytes:
    if kind == "pdf":
        return sign_pdf(tiny_pdf(), by, book=payload)
    return sign_qr(payload, by).encode()


@pytest.mark.parametrize("kind", ["pdf", "qr"])
@pytest.mark.parametrize(("book", "key"), [("civil", "defence"), ("defence", "civil"),
                                           ("public_security", "defence")])
def test_a_book_signed_by_another_realms_trusted_key_is_refused(
        agency: Agency, kind: str, book: str, key: str) -> None:
    result = verify(signed(kind, of_realm(book), signer(agency, key)),
                    trust_list=agency.trust_list)
    assert not result.valid and not result.genuine
    assert result.errors == [
        f"signed by another realm's key: issued for the {book!r} realm, signed by the "
        f"certificate 'Vietnam Social Security {key} issuer 1' of the {key!r} realm"]


@pytest.mark.parametrize("kind", ["pdf", "qr"])
@pytest.mark.parametrize("realm", ["civil", "defence", "public_security"])
def test_a_book_signed_by_its_own_realms_key_is_valid(agency: Agency, kind: str,
                                                      realm: str) -> None:
    result = verify(signed(kind, of_realm(realm), signer(agency, realm)),
                    trust_list=agency.trust_list)
    assert result.valid and result.errors == [] and result.realm == realm


def without_realm() -> dict[str, Any]:
    return {k: v for k, v in book_payload().items() if k != "realm"}


@pytest.mark.parametrize("kind", ["pdf", "qr"])
def test_a_book_issued_before_payloads_named_their_realm_verifies_as_before(
        agency: Agency, kind: str) -> None:
    """Signed under a certificate made before (no PAYLOADS_NAME_REALM policy)."""
    old = before_realms(agency)
    result = verify(signed(kind, without_realm(), old.signer), trust_list=old.trust_list)
    assert result.valid and result.errors == []


@pytest.mark.parametrize("kind", ["pdf", "qr"])
def test_a_book_left_without_its_realm_by_another_realms_key_is_refused(
        agency: Agency, kind: str) -> None:
    """Leaving the realm out does not get a civil book past the defence key's certificate,
    which signs only payloads that name their realm."""
    result = verify(signed(kind, without_realm(), signer(agency, "defence")),
                    trust_list=agency.trust_list)
    assert not result.valid and not result.genuine
    assert result.errors == [
        "the signed payload names no realm, which every payload the certificate "
        "'Vietnam Social Security defence issuer 1' of the 'defence' realm signs names"]


def test_an_hi_card_signed_by_another_realms_key_is_refused(agency: Agency) -> None:
    text = sign_qr({**CARD, "realm": "civil"}, signer(agency, "public_security"))
    answer = verify_card(text.encode(), trust_list=agency.trust_list, on=date(2026, 6, 1))
    assert not answer.valid
    assert answer.errors == [
        "signed by another realm's key: issued for the 'civil' realm, signed by the "
        "certificate 'Vietnam Social Security public_security issuer 1' of the "
        "'public_security' realm"]


def test_an_hi_card_of_its_own_realm_is_valid(agency: Agency) -> None:
    text = sign_qr({**CARD, "realm": "defence"}, signer(agency, "defence"))
    assert verify_card(text.encode(), trust_list=agency.trust_list, on=date(2026, 6, 1)).valid


def test_a_qr_issued_past_the_clock_skew_is_refused_as_issued_in_the_future(
        agency: Agency) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ahead = now + CLOCK_SKEW + timedelta(seconds=1)
    result = verify(sign_qr(book_payload(), agency.signer, issued_at=ahead).encode(),
                    trust_list=agency.trust_list, now=now)
    assert not result.valid and not result.genuine
    assert result.errors == [
        f"issued in the future: {ahead.isoformat()}, later than the verifier's clock "
        f"{now.isoformat()} by more than the 5 minutes clocks may differ"]


def test_a_qr_within_the_clock_skew_is_valid(agency: Agency) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    text = sign_qr(book_payload(), agency.signer, issued_at=now + CLOCK_SKEW)
    assert verify(text.encode(), trust_list=agency.trust_list, now=now).valid


def test_a_pdf_signed_past_the_verifiers_clock_is_refused(agency: Agency) -> None:
    pdf = sign_pdf(tiny_pdf(), agency.signer, book=book_payload())  # signed now
    result = verify(pdf, trust_list=agency.trust_list,
                    now=datetime.now(UTC) - CLOCK_SKEW - timedelta(minutes=1))
    assert not result.valid
    assert [e.split(":")[0] for e in result.errors] == ["issued in the future"]


@pytest.mark.parametrize("kind", ["pdf", "qr"])
def test_a_stated_issue_time_in_the_future_is_refused(agency: Agency, kind: str) -> None:
    """The payload's ``issued_at`` is what the PDF prints as its signing time: a date ahead
    of the clock is refused though the signature's own time is now."""
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    payload = {**book_payload(), "issued_at": later.isoformat()}
    result = verify(signed(kind, payload, agency.signer), trust_list=agency.trust_list)
    assert not result.valid
    assert result.errors[0].startswith(f"issued in the future: {later.isoformat()}, ")


def test_an_hi_card_issued_in_the_future_is_refused(agency: Agency) -> None:
    text = sign_qr(CARD, agency.signer, issued_at=datetime.now(UTC) + timedelta(hours=1))
    answer = verify_card(text.encode(), trust_list=agency.trust_list, on=date(2026, 6, 1))
    assert not answer.valid and answer.errors[0].startswith("issued in the future: ")


@pytest.mark.parametrize(("iat", "reason"), [
    (10 ** 12, "issued in the future: iat 1000000000000 lies past the year 9999"),
    (2 ** 63, f"issued in the future: iat {2 ** 63} lies past the year 9999"),
    (-(10 ** 12), "signed claims carry an issue time before year 1 (iat -1000000000000)")])
def test_an_issue_time_no_calendar_holds_is_refused_not_raised(agency: Agency, iat: int,
                                                               reason: str) -> None:
    """A signer's iat past year 9999 made verify raise (a traceback, a 500)."""
    claims = {ISS: "x", SUB: "001090001234", IAT: iat, BOOK_CLAIM: book_payload()}
    key = _signer_key(agency.signer)
    sign1 = _COSE.encode_and_sign(cbor2.dumps(claims), key, protected=key.protected,
                                  unprotected={})
    text = PREFIX + b45encode(zlib.compress(sign1, 9)).decode()
    result = verify(text.encode(), trust_list=agency.trust_list)
    assert not result.valid and result.errors == [reason]


def test_a_stated_issue_time_without_utc_offset_is_left_out_not_compared(
        agency: Agency) -> None:
    """The signature's own time still judges it; comparing the two raised TypeError."""
    payload = {**book_payload(), "issued_at": "2099-01-01T00:00:00"}
    assert verify(signed("pdf", payload, agency.signer), trust_list=agency.trust_list).valid
