"""PAdES: book PDFs signed with pyHanko and validated with only the exported trust list."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from sibook.signing.pades import _BookText, pdf_book_metadata, sign_pdf, validate_pdf
from sibook.signing.trust_list import TrustList
from tests.unit.test_signing_support import (
    Agency,
    book_payload,
    contents_span,
    flipped_signing_time,
    make_agency,
    tiny_pdf,
    zeroed_contents,
)


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Agency:
    return make_agency(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed(agency: Agency) -> bytes:
    return sign_pdf(tiny_pdf(), agency.signer, book=book_payload())


def test_pyhanko_alone_with_the_exported_trust_list_reports_valid_and_unmodified(
        agency: Agency, signed: bytes, tmp_path: Path) -> None:
    agency.trust_list.export(tmp_path / "trust.pem")
    trusted = list(load_certs_from_pemder_data((tmp_path / "trust.pem").read_bytes()))
    context = ValidationContext(trust_roots=trusted, allow_fetching=False)
    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(embedded, context)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.docmdp_ok is not False


def test_signed_pdf_validates_against_the_trust_list(agency: Agency, signed: bytes) -> None:
    result = validate_pdf(signed, TrustList.from_pem(agency.trust_list.to_pem()))
    assert result.valid and result.intact, result.errors
    assert result.signer == "Vietnam Social Security civil issuer 1"


def test_book_metadata_is_carried_under_the_signature(signed: bytes) -> None:
    assert pdf_book_metadata(signed) == book_payload()


@pytest.mark.parametrize("text", [
    '{"name":"NGUYỄN THỊ HỒNG","version":3}',  # beyond PDFDocEncoding: UTF-16BE
    '{"name":"Tran (Van) A\\B\r","version":3}',  # PDFDocEncoding, with bytes to escape
    ""])
def test_the_book_metadata_is_written_as_pyhanko_writes_a_text_string(text: str) -> None:
    ours, theirs = BytesIO(), BytesIO()
    _BookText(text).write_to_stream(ours)
    generic.TextStringObject(text).write_to_stream(theirs)
    assert ours.getvalue() == theirs.getvalue()


def test_one_flipped_byte_in_the_signed_content_makes_it_invalid(agency: Agency,
                                                                 signed: bytes) -> None:
    tampered = bytearray(signed)
    tampered[signed.index(b"social insurance")] ^= 0x01
    result = validate_pdf(bytes(tampered), agency.trust_list)
    assert not result.valid and not result.intact
    assert result.errors == ["the document does not match its signature: altered after signing"]


def _still_valid(agency: Agency, signed: bytes, flips: set[int]) -> list[int]:
    out = []
    for at in sorted(flips):
        tampered = bytearray(signed)
        tampered[at] ^= 0x01
        if validate_pdf(bytes(tampered), agency.trust_list).valid:
            out.append(at)
    return out


def test_one_flipped_byte_in_any_part_of_the_signature_makes_it_invalid(
        agency: Agency, signed: bytes) -> None:
    """/Contents, which no byte range covers: a byte in each part of the CMS structure (its
    header, digest algorithms, content type, both certificates, the signer's name, the signed
    attributes, the signature) and of the zeros padding it, and every 997th of the file."""
    start, end = contents_span(signed)
    hex_at = [28, 31, 42, 300, 900, 1230, 1250, 1400, 1650, 2500, 3500]  # DER byte offsets
    flips = {start + 2 * at + 1 for at in hex_at} | {*range(0, len(signed), 997)}
    assert _still_valid(agency, signed, flips) == []


@pytest.mark.slow
def test_one_flipped_byte_anywhere_makes_it_invalid(agency: Agency, signed: bytes) -> None:
    """Every 61st byte of the file and every 7th of /Contents (~1,400 validations)."""
    start, end = contents_span(signed)
    assert _still_valid(agency, signed, {*range(0, len(signed), 61),
                                         *range(start, end, 7)}) == []


def test_a_changed_padding_or_carried_certificate_is_named(agency: Agency, signed: bytes
                                                           ) -> None:
    start, end = contents_span(signed)
    padding = bytearray(signed)
    padding[end - 10] = ord("1")  # the zeros after the signature's DER
    assert validate_pdf(bytes(padding), agency.trust_list).errors == [
        "the signature's unsigned padding was changed after signing"]
    root = agency.trust_list.roots[0].public_bytes(serialization.Encoding.DER).hex().upper()
    at = signed.index(root[-200:].encode(), start, end) + 20  # in the root's signature bits
    carried = bytearray(signed)
    carried[at] = ord("0") if carried[at] != ord("0") else ord("1")
    (problem,) = validate_pdf(bytes(carried), agency.trust_list).errors
    assert problem.startswith("the signature carries a certificate the trust list does not hold")


def test_a_changed_hex_text_that_decodes_alike_makes_it_invalid(agency: Agency, signed: bytes
                                                                  ) -> None:
    """Texts of /Contents that decode to the same bytes: a hex letter in lower case, a zero of
    the padding turned into a space (skipped in a hex string; an odd count is padded with 0),
    the last one turned into a newline. Each is one changed byte, so the book is invalid."""
    start, end = contents_span(signed)
    letter = next(at for at in range(start, end) if signed[at:at + 1] in b"ABCDEF")
    for at, byte in ((letter, signed[letter] | 0x20), (end - 10, ord(" ")),
                     (end - 1, ord("\n"))):
        tampered = bytearray(signed)
        tampered[at] = byte
        result = validate_pdf(bytes(tampered), agency.trust_list)
        assert result.errors == [
            "the signature's hex text in /Contents was changed after signing"], (at, byte)


def test_content_appended_after_signing_makes_it_invalid(agency: Agency, signed: bytes) -> None:
    result = validate_pdf(signed + b"\n% appended\n", agency.trust_list)
    assert not result.valid
    assert "the PDF was changed after signing" in result.errors[0]


def test_an_update_appended_after_signing_cannot_name_another_persons_book(
        agency: Agency, signed: bytes) -> None:
    """The book the answer names is the one signed: an incremental update that rewrites
    /SIBook after the signature is refused and does not change whose book is named; a
    changed signed byte names nobody (as a QR whose signature fails)."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    info = writer.trailer["/Info"]
    info[generic.NameObject("/SIBook")] = generic.TextStringObject(json.dumps(
        {**book_payload(), "personal_id": "001099999999"}))
    writer.update_container(info)
    out = BytesIO()
    writer.write(out)
    result = validate_pdf(out.getvalue(), agency.trust_list)
    assert "the PDF was changed after signing" in result.errors[0]
    assert result.book is not None and result.book["personal_id"] == "001090001234"
    altered = signed.replace(b"So bao hiem", b"So bao hieM", 1)
    assert altered != signed
    result = validate_pdf(altered, agency.trust_list)
    assert not result.intact and result.book is None


def test_pdf_signed_by_another_agency_is_untrusted(agency: Agency, tmp_path: Path) -> None:
    impostor = make_agency(tmp_path)
    result = validate_pdf(sign_pdf(tiny_pdf(), impostor.signer, book=book_payload()),
                          agency.trust_list)
    assert result.intact and not result.valid
    assert "does not chain to a trust-list root" in result.errors[0]
    # As a QR of a key the trust list does not hold: nobody is named, and the name its
    # certificate gives itself (a forger writes the agency's) is no signer.
    assert (result.signer, result.book) == (None, None)


def test_signers_taking_turns_each_sign_with_their_own_certificate(agency: Agency,
                                                                   tmp_path: Path) -> None:
    """The pyHanko adapter is kept for the signer used last: a swap must not mix them up."""
    other = make_agency(tmp_path)
    for signer, trusted in ((agency, True), (other, False), (agency, True), (other, False)):
        result = validate_pdf(sign_pdf(tiny_pdf(), signer.signer, book=book_payload()),
                              agency.trust_list)
        assert result.intact and result.valid is trusted, result.errors


def test_pdf_signed_with_an_expired_certificate_is_refused(tmp_path: Path) -> None:
    old = make_agency(tmp_path, now=datetime(2020, 1, 1, tzinfo=UTC), issuer_days=30)
    result = validate_pdf(sign_pdf(tiny_pdf(), old.signer, book=book_payload()), old.trust_list)
    assert not result.valid
    assert "was not valid at signing time" in result.errors[0]


def test_pdf_signed_before_its_certificate_expired_still_verifies(tmp_path: Path) -> None:
    """Like the QR: checked at the signing time the signature carries, not at reading time."""
    expiry = 4  # seconds from now
    now = datetime.now(UTC)
    short = make_agency(tmp_path, now=now - timedelta(days=1, seconds=-expiry), issuer_days=1)
    signed = sign_pdf(tiny_pdf(), short.signer, book=book_payload())
    time.sleep(max(0.0, expiry + 1 - (datetime.now(UTC) - now).total_seconds()))
    assert short.signer.certificate.not_valid_after_utc < datetime.now(UTC)  # expired now
    result = validate_pdf(signed, short.trust_list)
    assert result.valid, result.errors


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "not a PDF"),
    (b"\x00\xff garbage", "not a PDF"),
    (b"%PDF-1.7\nnot really", "not a readable PDF"),
])
def test_garbage_is_refused_with_a_reason_not_an_exception(agency: Agency, data: bytes,
                                                           reason: str) -> None:
    result = validate_pdf(data, agency.trust_list)
    assert not result.valid and result.errors[0].startswith(reason)


def _hex_digit_set(signed: bytes, at: int) -> bytes:
    """``signed`` with the ``at``-th hex digit of its /Contents made an ``F``."""
    start, _ = contents_span(signed)
    tampered = bytearray(signed)
    tampered[start + at] = ord("F")
    return bytes(tampered)


def test_a_reason_is_in_plain_words_not_a_python_error_or_empty(agency: Agency,
                                                                 signed: bytes) -> None:
    """What pyHanko raises on a damaged file is said after the plain words only when it says
    something: not an empty message (an update appended with a broken cross-reference made
    "not a readable PDF: "), nor Python's own words for a bug it met ("'EmbeddedPdfSignature'
    object has no attribute 'external_md_algorithm'"), nor a second line of them."""
    appended = signed + (b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\n0000000000 "
                         b"65535 f \ntrailer\n<< /Size 2 /Root 1 0 R /Prev 0 >>\nstartxref\n"
                         + str(len(signed)).encode() + b"\n%%EOF\n")
    for tampered in (appended, _hex_digit_set(signed, 12), _hex_digit_set(signed, 96)):
        errors = validate_pdf(tampered, agency.trust_list).errors
        assert errors, "a tampered book must be invalid"
        for reason in errors:
            assert not reason.rstrip().endswith(":") and "\n" not in reason, errors
            assert " object " not in reason and "attribute" not in reason, errors


def test_a_damaged_signature_is_said_in_our_words_not_a_librarys(agency: Agency,
                                                                   signed: bytes) -> None:
    """A /Contents of zeros was "not a readable PDF: Error parsing asn1crypto.cms.ContentInfo -
    method should have been constructed, but primitive was found", and a changed signing time
    "the signature cannot be read: D|0722026... does not appear to be a date string.": the
    library's words, which the portal could only show in English."""
    assert validate_pdf(zeroed_contents(signed), agency.trust_list).errors == [
        "the signature's data is damaged: its encoding (DER) cannot be parsed"]
    assert validate_pdf(flipped_signing_time(signed), agency.trust_list).errors == [
        "the signature's data is damaged: its signing time (/M) is not a date "
        "(changed after signing)"]


def test_unsigned_pdf_is_refused(agency: Agency) -> None:
    assert validate_pdf(tiny_pdf(), agency.trust_list).errors == ["the PDF carries no signature"]


def test_a_truncated_signed_pdf_never_raises(agency: Agency, signed: bytes) -> None:
    for cut in (len(signed) // 3, len(signed) // 2, len(signed) - 40):
        assert not validate_pdf(signed[:cut], agency.trust_list).valid


def test_a_damaged_info_dictionary_is_a_reason_not_an_exception(agency: Agency,
                                                                signed: bytes) -> None:
    damaged = signed.replace(b"/Producer (", b"/Producer )", 1)
    assert damaged != signed
    result = validate_pdf(damaged, agency.trust_list)
    assert not result.valid and result.errors


# Every 97th byte in the suite (~130 validations of a 13 kB PDF); every 17th (~760) with
# `make test-slow`.
@pytest.mark.parametrize("stride", [97, pytest.param(17, marks=pytest.mark.slow)])
def test_no_single_byte_change_anywhere_makes_validation_raise(agency: Agency, signed: bytes,
                                                               stride: int) -> None:
    # Every stride-th byte of the file, changed one of two ways in turn: pyHanko reads lazily,
    # so a damaged object may surface at any step of validation. Bytes outside the signed
    # ranges (the /Contents padding) may stay valid; the answer must always be an answer.
    for turn, at in enumerate(range(0, len(signed), stride)):
        tampered = bytearray(signed)
        tampered[at] ^= (0x01, 0x20)[turn % 2]
        result = validate_pdf(bytes(tampered), agency.trust_list)
        assert result.valid or result.errors, at


def test_metadata_of_garbage_is_none() -> None:
    assert pdf_book_metadata(b"not a pdf") is None
