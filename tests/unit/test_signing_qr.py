"""Signed QR: CWT claims in COSE_Sign1 (ES256), zlib, base45, ``SIB1:`` — verified offline."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import cbor2
import pytest
import segno
from PIL import Image

from sibook.portal.reasons import DAMAGED_QR_VI, check_vi
from sibook.signing import keys, qr
from sibook.signing._base45 import b45decode, b45encode
from sibook.signing.qr import MAX_QR_TEXT, PREFIX, qr_png, sign_qr, verify_qr
from sibook.signing.status import RevocationList
from sibook.signing.trust_list import TrustList
from tests.unit.test_signing_support import PASSPHRASE, Agency, book_payload, make_agency


@pytest.fixture
def agency(tmp_path: Path) -> Agency:
    return make_agency(tmp_path / "keys")


def _exported(agency: Agency) -> TrustList:
    """The trust list as a verifier gets it: PEM text, nothing else."""
    return TrustList.from_pem(agency.trust_list.to_pem())


def test_round_trip_gives_back_the_payload_signer_and_key_id(agency: Agency) -> None:
    text = sign_qr(book_payload(), agency.signer)
    result = verify_qr(text, _exported(agency))
    assert result.valid, result.errors
    assert result.payload == book_payload()
    assert result.signer == "Vietnam Social Security civil issuer 1"
    assert result.key_id == agency.signer.key_id.hex()
    assert text.startswith(PREFIX) and len(text) < 600


def test_qr_signed_by_another_agency_is_refused_as_unknown_key(agency: Agency,
                                                                tmp_path: Path) -> None:
    impostor = make_agency(tmp_path / "impostor")
    result = verify_qr(sign_qr(book_payload(), impostor.signer), _exported(agency))
    assert not result.valid
    assert result.errors == [f"unknown key id {impostor.signer.key_id.hex()}: "
                             "not in the trust list"]


def test_payload_swapped_under_a_genuine_signature_fails_the_signature(agency: Agency) -> None:
    text = sign_qr(book_payload(), agency.signer)
    tag = cbor2.loads(zlib.decompress(b45decode(text[len(PREFIX):])))
    claims = cbor2.loads(tag.value[2])
    claims[-65537]["totals"]["si_months"] = 400
    tag.value[2] = cbor2.dumps(claims)
    forged = PREFIX + b45encode(zlib.compress(cbor2.dumps(tag))).decode()
    result = verify_qr(forged, _exported(agency))
    assert not result.valid and result.errors[0].startswith("bad signature")


@pytest.mark.parametrize(("text", "reason"), [
    ("HC1:NCFOXN", "bad prefix"),
    ("SIB1:abc~~", "not base45"),
    ("SIB1:" + b45encode(b"not zlib at all").decode(),
     "decompress failed: the QR text is damaged or was altered"),
    ("SIB1:" + b45encode(zlib.compress(b"\x01\x02")).decode(), "not a COSE_Sign1 message"),
    ("", "bad prefix"),
    # a stream that ends early (the prefix alone; a text whose last groups were lost) is told
    # in the QR's words, as a damaged one is, not zlib's "truncated zlib stream"
    ("SIB1:", "decompress failed: the QR text is cut short or was altered"),
    ("SIB1:" + b45encode(zlib.compress(b"book" * 40)[:-4]).decode(),
     "decompress failed: the QR text is cut short or was altered"),
    # CBOR semantic tags that cbor2 builds while reading: a decimal fraction with a huge
    # exponent (tag 4), a day count far past year 9999 (tag 100), nesting deeper than the stack
    ("SIB1:NCFEP7/UCGBW-B0.60ZZEQ5", "not a COSE_Sign1 message"),
    ("SIB1:NCF2WNQJCGBWHB0E/5%51", "not a COSE_Sign1 message"),
    ("SIB1:" + b45encode(zlib.compress(b"\x81" * 60_000 + b"\x80")).decode(),
     "not a COSE_Sign1 message"),
])
def test_malformed_text_is_refused_with_the_exact_reason(agency: Agency, text: str,
                                                          reason: str) -> None:
    result = verify_qr(text, agency.trust_list)
    assert not result.valid and result.errors[0].startswith(reason)


@pytest.mark.parametrize(("body", "reason"), [
    ("abc~~", "not base45: the QR text has characters outside RFC 9285"),
    ("0" * 55, "not base45: the QR text is 55 characters after the prefix, a length RFC 9285 "
               "never gives (cut short?)"),
    ("GGW", "not base45: a group of characters in the QR text stands for a value RFC 9285 "
            "does not allow"),
])
def test_text_that_is_not_base45_says_which_way(agency: Agency, body: str, reason: str) -> None:
    """A QR text cut short, or with a group worth more than two bytes, has only characters of
    the alphabet: "characters outside RFC 9285" would send the reader looking for none."""
    assert verify_qr(PREFIX + body, agency.trust_list).errors == [reason]


def test_text_without_the_prefix_is_refused_for_a_card_as_for_a_book(agency: Agency) -> None:
    """The same door checks a book's QR and an HI card's: its reason names neither alone (a
    hospital checking a card was told what "a book QR" starts with)."""
    from datetime import date

    from sibook.signing.card import verify_card

    expected = "bad prefix: the agency's QR (a book's or an HI card's) starts with 'SIB1:'"
    assert verify_qr("hello", agency.trust_list).errors == [expected]
    assert verify_card(b"hello", trust_list=agency.trust_list,
                       on=date(2026, 1, 1)).errors == [expected]


@pytest.mark.parametrize("data", [b"", b"\n", b"\xef\xbb\xbf \r\n"])
def test_an_empty_card_file_is_said_to_be_empty_as_a_books_is(agency: Agency,
                                                               data: bytes) -> None:
    """``verify-card`` of an empty file said "bad prefix: ... starts with 'SIB1:'", as if
    the text were another QR's; ``book verify`` says there is nothing to verify."""
    from datetime import date

    from sibook.signing.card import verify_card

    answer = verify_card(data, trust_list=agency.trust_list, on=date(2026, 1, 1))
    assert (answer.valid, answer.errors) == (False, [
        "empty input: nothing to verify (give the text of an HI card's QR)"])


def test_a_decompression_bomb_is_refused(agency: Agency) -> None:
    bomb = PREFIX + b45encode(zlib.compress(b"\0" * 2_000_000, 9)).decode()
    assert len(bomb) <= MAX_QR_TEXT  # a bomb that fits in a real QR code
    assert verify_qr(bomb, agency.trust_list).errors[0].startswith("decompress failed")


def _compressed(text: str) -> bytes:
    return b45decode(text[len(PREFIX):])


def test_bytes_after_the_zlib_stream_are_refused(agency: Agency) -> None:
    padded = _compressed(sign_qr(book_payload(), agency.signer)) + b"\x00extra"
    result = verify_qr(PREFIX + b45encode(padded).decode(), agency.trust_list)
    assert not result.valid
    assert result.errors == ["extra data after the compressed payload"]


def test_bytes_after_the_cose_message_are_refused(agency: Agency) -> None:
    message = zlib.decompress(_compressed(sign_qr(book_payload(), agency.signer)))
    padded = PREFIX + b45encode(zlib.compress(message + b"\xf6")).decode()  # CBOR null
    result = verify_qr(padded, agency.trust_list)
    assert not result.valid
    assert result.errors == ["extra data after the signed message"]


def test_one_flipped_byte_anywhere_in_an_exported_qr_file_makes_it_invalid(
        agency: Agency) -> None:
    """The file ``book export --qr`` writes, newline included: its last byte flipped turned
    the newline into a vertical tab, which was stripped as whitespace and verified."""
    from sibook.signing.verify import verify

    exported = (sign_qr(book_payload(), agency.signer) + "\n").encode("ascii")
    still_valid = []
    for at in range(len(exported)):
        tampered = bytearray(exported)
        tampered[at] ^= 0x01
        if verify(bytes(tampered), trust_list=agency.trust_list).valid:
            still_valid.append(at)
    assert still_valid == []


def _inflated(data: bytes) -> bytes | None:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return None


def test_a_changed_character_that_inflates_alike_makes_it_invalid(agency: Agency) -> None:
    """The deflate stream ends inside a byte whose last bits no inflater reads (zlib writes
    them 0; about 7 QRs in 8 have some): a character of the text changed there inflated to the
    same signed message and verified. Here the stream's last byte's top bit, when unread."""
    for _ in range(50):  # the signature is random, and so where the stream's last bit falls
        text = sign_qr(book_payload(), agency.signer)
        genuine = b45decode(text[len(PREFIX):])
        altered = bytearray(genuine)
        altered[-5] |= 0x80  # the stream's last byte: the Adler-32 checksum's 4 follow
        if bytes(altered) != genuine and _inflated(bytes(altered)) == _inflated(genuine):
            break
    forged = PREFIX + b45encode(bytes(altered)).decode("ascii")
    assert forged != text and verify_qr(text, agency.trust_list).valid
    (error,) = verify_qr(forged, agency.trust_list).errors
    assert error == ("the QR text was altered: bits its compressed data leaves unused (zero "
                     "as written) are set")
    assert check_vi(error) == DAMAGED_QR_VI  # /portal/verify says it in Vietnamese too


@pytest.mark.parametrize("around", [("", ""), ("", "\r\n"), ("  ", " \t\n"), ("\ufeff", "\n")])
def test_a_qr_file_saved_by_an_editor_still_verifies(agency: Agency,
                                                     around: tuple[str, str]) -> None:
    from sibook.signing.verify import verify

    text = around[0] + sign_qr(book_payload(), agency.signer) + around[1]
    assert verify(text.encode("utf-8"), trust_list=agency.trust_list).valid


def test_text_longer_than_any_qr_code_is_refused_before_decoding(
        agency: Agency, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(text: str) -> bytes:
        raise AssertionError("base45-decoded a text no QR code can hold")

    monkeypatch.setattr(qr, "b45decode", no_decoding)
    result = verify_qr(PREFIX + "A" * 30_000_000, agency.trust_list)
    assert not result.valid
    assert result.errors == [f"QR text too long: 30000005 characters; a QR code holds at "
                             f"most {MAX_QR_TEXT}"]


def test_text_of_exactly_the_qr_capacity_is_not_refused_for_length(agency: Agency) -> None:
    text = PREFIX + "00" * ((MAX_QR_TEXT - len(PREFIX)) // 2)
    text += "0" * (MAX_QR_TEXT - len(text))
    assert len(text) == MAX_QR_TEXT
    assert not verify_qr(text, agency.trust_list).errors[0].startswith("QR text too long")


def _card_payload() -> dict[str, object]:
    """What ``issuing.hi_card`` signs: the book's identity plus one HI card's fields."""
    payload: dict[str, object] = {k: v for k, v in book_payload().items() if k != "totals"}
    return {**payload, "card_number": "GD4797931234567", "benefit_level": 4,
            "valid_from": "2026-01-01", "valid_to": "2026-12-31",
            "initial_kcb_place": "01-001"}


def test_an_hi_card_qr_verifies_as_a_card_and_a_book_qr_as_a_book(agency: Agency) -> None:
    card = verify_qr(sign_qr(_card_payload(), agency.signer), agency.trust_list)
    book = verify_qr(sign_qr(book_payload(), agency.signer), agency.trust_list)
    assert card.valid and card.document == "hi_card"
    assert book.valid and book.document == "book"


def test_certificate_expired_at_issue_time_is_refused(tmp_path: Path) -> None:
    old = make_agency(tmp_path, now=datetime(2020, 1, 1, tzinfo=UTC), issuer_days=30)
    result = verify_qr(sign_qr(book_payload(), old.signer), old.trust_list)
    assert not result.valid
    assert "had expired at issue time" in result.errors[0]


def test_certificate_not_yet_valid_at_issue_time_is_refused(agency: Agency) -> None:
    backdated = datetime.now(UTC) - timedelta(days=1)
    result = verify_qr(sign_qr(book_payload(), agency.signer, issued_at=backdated),
                       agency.trust_list)
    assert any("was not yet valid at issue time" in e for e in result.errors)


def test_book_signed_before_its_certificate_expired_still_verifies(tmp_path: Path) -> None:
    old = make_agency(tmp_path, now=datetime(2020, 1, 1, tzinfo=UTC), issuer_days=30)
    text = sign_qr(book_payload(), old.signer, issued_at=datetime(2020, 1, 15, tzinfo=UTC))
    assert verify_qr(text, old.trust_list).valid


def test_revoked_version_is_refused_with_its_reason(agency: Agency) -> None:
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "suspected fraud: duplicate employer declarations")
    result = verify_qr(sign_qr(book_payload(), agency.signer), agency.trust_list,
                       status=revocations)
    assert result.errors == ["revoked: version 3 of book 001090001234: "
                             "suspected fraud: duplicate employer declarations"]


def test_other_versions_of_a_revoked_book_stay_valid(agency: Agency) -> None:
    revocations = RevocationList()
    revocations.revoke("001090001234", 3, "suspected fraud")
    text = sign_qr(book_payload(version=4), agency.signer)
    assert verify_qr(text, agency.trust_list, status=revocations).valid


def test_books_signed_before_rotation_still_verify_after_it(agency: Agency) -> None:
    before = sign_qr(book_payload(), agency.signer)
    keys.rotate(agency.keys_dir, "civil", PASSPHRASE)
    new_signer = keys.load_signer(agency.keys_dir, "civil", PASSPHRASE)
    after = sign_qr(book_payload(version=4), new_signer)
    trust = TrustList.from_keys_dir(agency.keys_dir)
    assert verify_qr(before, trust).valid and verify_qr(after, trust).valid
    assert verify_qr(after, trust).signer == "Vietnam Social Security civil issuer 2"


def test_qr_png_is_a_png_image(agency: Agency) -> None:
    png = qr_png(sign_qr(book_payload(), agency.signer))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("scale", [1, 3, 4])
def test_qr_png_draws_a_level_m_symbol_of_exactly_the_text(agency: Agency, scale: int) -> None:
    """The modules read back from the image are segno's level-M symbol of the text (with one of
    the eight masks, any of which every reader decodes), with the 4-module quiet zone."""
    text = sign_qr(book_payload(), agency.signer)
    image = Image.open(BytesIO(qr_png(text, scale=scale))).convert("L")
    side = image.width // scale
    drawn = [[image.getpixel((x * scale, y * scale)) == 0 for x in range(side)]
             for y in range(side)]
    symbols = (segno.make_qr(text, error="m", mask=mask, boost_error=False) for mask in range(8))
    assert any(drawn == [[bool(dark) for dark in row] for row in symbol.matrix_iter(border=4)]
               for symbol in symbols)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 255, 1000])
def test_our_base45_encoder_matches_the_reference_package(size: int) -> None:
    import base45  # type: ignore[import-untyped]  # reference implementation

    data = bytes((i * 7919 + 13) % 256 for i in range(size))
    assert b45encode(data) == base45.b45encode(data)
    assert b45decode(b45encode(data).decode()) == data


def test_rfc_9285_examples_encode_as_published() -> None:
    assert b45encode(b"AB") == b"BB8"
    assert b45encode(b"Hello!!") == b"%69 VD92EX0"
    assert b45encode(b"base-45") == b"UJCLQE7W581"
