"""PAdES signatures on book PDFs (pyHanko), and their validation against the trust list only.

Security choices:
- PAdES baseline B-B (subfilter ETSI.CAdES.detached), SHA-256 digest, ECDSA P-256 by the
  realm's newest issuing certificate, with the chain up to the root embedded so validators need
  no network. No timestamp (B-T) yet: validation happens at the current time.
- The signing key never leaves our ``Signer``: pyHanko only receives signatures through
  ``_PyHankoSigner.async_sign_raw``, so an HSM-backed ``Signer`` works unchanged.
- Validation trusts only the trust list's roots (``trust_roots`` replaces the system store),
  never fetches (``allow_fetching=False``), and requires the signature to cover the entire
  file: a book PDF is final when signed, so anything appended afterwards makes it invalid.
- What no byte range covers (the zeros padding ``/Contents``, the certificates it carries, the
  CMS structure around the signed attributes) must be exactly what the signer writes: one
  flipped byte anywhere in a book PDF makes it invalid.
- pyHanko logs each failure it meets, with a traceback; ``validate_pdf`` turns every one into a
  reason instead, so its loggers are kept quiet (a verifier's stderr speaks plain words).

Book metadata: ``sign_pdf(..., book={...})`` stores the book's identity (at least personal_id
and version) as compact JSON under the custom document-info key ``/SIBook`` before signing,
so it is covered by the signature; ``pdf_book_metadata`` reads it back.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import cms, x509  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from sibook.signing import certs
from sibook.signing.der import der
from sibook.signing.keys import Signer
from sibook.signing.trust_list import TrustList
from sibook.signing.verify import PDF_MAGIC

for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

BOOK_INFO_KEY = "/SIBook"
FIELD_NAME = "SIBookSignature"
# Room for the CMS container (two P-256 certificates and the attributes take about 2 KB).
# Fixed, so pyHanko skips its dry-run signature that only measures the size (a third of the
# time of each signature).
SIGNATURE_BYTES = 8192


@dataclass
class PdfResult:
    valid: bool
    intact: bool = False
    signer: str | None = None
    key_id: str | None = None  # hex, of the signing certificate (certs.key_id)
    book: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    signed_at: datetime | None = None  # the signing time /M, as the signer wrote it


class _PyHankoSigner(signers.Signer):
    """pyHanko's signer interface over our ``Signer`` (DER ECDSA-with-SHA-256)."""

    def __init__(self, signer: Signer) -> None:
        chain_pem = b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in [signer.certificate, *signer.chain])
        signing_cert, *chain = load_certs_from_pemder_data(chain_pem)
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # unannotated init
        for cert in chain:
            registry.register(cert)
        super().__init__(signing_cert=signing_cert, cert_registry=registry, embed_roots=True)
        self.signer = signer
        self.signed_attr_prov_spec = _SignedAttributes(signing_cert)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"only SHA-256 is used with P-256 keys, not {digest_algorithm}")
        return self.signer.sign(data)


class _SignedAttributes(attributes.SignedAttributeProviderSpec):
    """The signed attributes pyHanko's CAdES spec gives a PAdES signature that asks for no CAdES
    extras, as ``sign_pdf`` does: signing-certificate-v2 (pyHanko adds content-type and
    message-digest), here encoded once per signer. Built each time, asn1crypto re-encoded the
    certificate's names each time the attributes were dumped: ~40% of a signature's CPU time."""

    def __init__(self, signing_cert: x509.Certificate) -> None:
        self.provider = _Encoded(attributes.SigningCertificateV2Provider(signing_cert))

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str
                              ) -> Iterable[attributes.CMSAttributeProvider]:
        return [self.provider]


class _Encoded(attributes.CMSAttributeProvider):
    """A provider whose attribute does not depend on the document: its DER, built once."""

    def __init__(self, provider: attributes.CMSAttributeProvider) -> None:
        self.attribute_type = provider.attribute_type
        self.provider = provider
        self.der: bytes | None = None

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        if self.der is None:
            attribute = await self.provider.get_attribute(dry_run=dry_run)
            assert attribute is not None  # signing-certificate-v2 always has a value
            self.der = attribute.dump()
        return cms.CMSAttribute.load(self.der)  # parsed lazily: dumped back as these bytes


_last_signer: list[_PyHankoSigner] = []


def _pyhanko_signer(signer: Signer) -> _PyHankoSigner:
    """The adapter of the signer used last: rebuilt for each book (the chain parsed, fresh
    certificates re-encoded into the CMS), it took as long as the rest of the signature."""
    cached = _last_signer[0] if _last_signer else None
    if cached is None or cached.signer is not signer:
        cached = _PyHankoSigner(signer)  # a local, so a concurrent swap cannot hand back another's
        _last_signer[:] = [cached]
    return cached


def sign_pdf(pdf: bytes, signer: Signer, *, book: Mapping[str, Any] | None = None,
             reason: str = "Sổ bảo hiểm xã hội điện tử (electronic social insurance book)",
             location: str = "Việt Nam") -> bytes:
    """Sign ``pdf`` (PAdES B-B); ``book`` is stored under ``/SIBook`` first, then signed."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    if book is not None:
        _set_book_info(writer, book)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location=location,
        name=certs.common_name(signer.certificate),
    )
    out = signers.PdfSigner(meta, signer=_pyhanko_signer(signer)).sign_pdf(
        writer, bytes_reserved=SIGNATURE_BYTES)
    return bytes(out.getvalue())


def validate_pdf(data: bytes, trust_list: TrustList) -> PdfResult:
    """Validate the book signature of ``data`` with only ``trust_list``. Never raises."""
    if PDF_MAGIC not in data[:1024]:
        return PdfResult(valid=False, errors=["not a PDF: no %PDF- header"])
    # pyHanko raises many exception types on malformed input (its own, asn1crypto's, ValueError,
    # KeyError...); a verifier must answer for any input, so each is turned into a reason in
    # our words, by the step that failed (see ``_reason`` for what of the library's follows).
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        embedded = reader.embedded_signatures  # each signature's CMS is parsed here
    except Exception as exc:  # noqa: BLE001 - see above
        said = SIGNATURE_DAMAGED if _parsing_signature(exc) else NOT_READABLE
        return PdfResult(valid=False, errors=[_reason(said, exc)])
    if not embedded:
        return PdfResult(valid=False, errors=[NO_SIGNATURE])
    signature = embedded[-1]
    try:
        # Checked at the signing time the signature itself carries (signed, so it cannot be
        # moved without the key), as the QR is at its issue time: a book signed while its
        # certificate was valid stays valid when that certificate later expires.
        moment = signature.self_reported_timestamp
    except Exception:  # noqa: BLE001 - see above; pyHanko's words only repeat the bad text
        return PdfResult(valid=False, errors=[SIGNING_TIME_DAMAGED])
    try:
        status = validate_pdf_signature(signature, _validation_context(trust_list, moment))
    except Exception as exc:  # noqa: BLE001 - see above
        return PdfResult(valid=False, errors=[_reason(SIGNATURE_DAMAGED, exc)])
    key_id = certs.spki_key_id(status.signing_cert.public_key.dump())
    # As a QR's: the signer is the trust list's certificate of the signing key; the name a
    # certificate it does not hold gives itself (a forger writes the agency's) is nobody's.
    known = trust_list.issuer(key_id)
    result = PdfResult(valid=False, intact=bool(status.intact),
                       signer=certs.common_name(known) if known is not None else None,
                       key_id=key_id.hex(), signed_at=moment)
    result.errors = _status_errors(status, len(embedded), moment)
    try:  # the certificates are parsed lazily: a damaged one surfaces only here
        result.errors += _contents_text_problems(data, signature)
        result.errors += _unsigned_contents_problems(signature, status.signing_cert,
                                                     trust_list)
    except Exception as exc:  # noqa: BLE001 - see above
        result.errors.append(_reason(f"{SIGNATURE_DAMAGED} outside what it signs", exc))
    try:  # read lazily by pyHanko: a damaged /Info surfaces only here
        # As signed: an update appended after the signature (or a changed signed byte, a
        # signature that fails or a key the trust list does not hold) must not name whose
        # book it is, as a QR whose signature fails names nobody.
        signed = status.intact and status.valid and known is not None
        result.book = _book_info(reader.get_historical_resolver(signature.signed_revision)
                                 ) if signed else None
    except Exception as exc:  # noqa: BLE001 - see above
        result.errors.append(_reason("the book metadata (/Info) cannot be read", exc))
    result.valid = not result.errors
    return result


# The openings of the reasons a PDF that cannot be checked is refused with (the portal words
# each in Vietnamese by its opening: sibook.portal.reasons).
NOT_READABLE = "not a readable PDF"
NO_SIGNATURE = "the PDF carries no signature"
SIGNATURE_DAMAGED = "the signature's data is damaged"
SIGNING_TIME_DAMAGED = ("the signature's data is damaged: its signing time (/M) is not a date "
                        "(changed after signing)")


def _reason(words: str, exc: Exception) -> str:
    """``words``, then what ``exc`` says when pyHanko itself says it (its first line, never an
    empty ``words: ``): "Could not read /ByteRange entry in signature", "/ETSI.CAdES.detachex
    is not a recognized SubFilter type". Not what Python says of a bug a library met on a
    damaged file ("invalid literal for int() with base 10", "'EmbeddedPdfSignature' object has
    no attribute ..."), nor asn1crypto's parser ("Error parsing asn1crypto.cms.ContentInfo -
    method should have been constructed, but primitive was found"): they name the libraries'
    insides, not what is wrong with the book."""
    if _parsing_signature(exc):
        return f"{words}: its encoding (DER) cannot be parsed"
    said = str(exc).strip() if type(exc).__module__.startswith("pyhanko") else ""
    return f"{words}: {said.splitlines()[0]}" if said else words


def _parsing_signature(exc: BaseException) -> bool:
    """Whether ``exc`` was raised parsing DER (the signature's CMS, its certificates): by
    where it was raised, as asn1crypto raises plain ValueErrors and TypeErrors."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and f"{os.sep}asn1crypto{os.sep}" in frames[-1].filename


def pdf_book_metadata(pdf: bytes) -> dict[str, Any] | None:
    """The ``/SIBook`` metadata of a PDF, or None when absent or unreadable."""
    try:
        return _book_info(PdfFileReader(BytesIO(pdf), strict=False))
    except Exception:  # noqa: BLE001 - unreadable PDF means no metadata, by contract
        return None


def _status_errors(status: Any, signature_count: int, moment: datetime | None) -> list[str]:
    errors = []
    cert = status.signing_cert
    if not status.intact:
        errors.append("the document does not match its signature: altered after signing")
    elif not status.valid:
        errors.append("bad signature: the signature value does not verify")
    elif moment is not None and not cert.not_valid_before <= moment <= cert.not_valid_after:
        errors.append(f"the signing certificate was not valid at signing time {moment:%Y-%m-%d}"
                      f" (valid {cert.not_valid_before:%Y-%m-%d} to"
                      f" {cert.not_valid_after:%Y-%m-%d})")
    elif not status.trusted:
        errors.append("the signing certificate does not chain to a trust-list root"
                      f" ({status.trust_problem_indic})")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        errors.append("the PDF was changed after signing (content added after the signature)")
    if signature_count != 1:
        errors.append(f"a book PDF carries exactly one signature, this one {signature_count}")
    return errors


# What the signer writes around the signed attributes (``sign_pdf``: SHA-256, ECDSA, the
# document detached, no CRLs, one signer, no unsigned attributes).
_SHA256 = {"algorithm": "sha256", "parameters": None}
_SIGNED_DATA = ("version", "digest_algorithms", "encap_content_info")
_SIGNER_INFO = ("version", "digest_algorithm", "signature_algorithm")
_SHAPE: tuple[Any, ...] = (
    {"version": "v1", "digest_algorithms": [_SHA256],
     "encap_content_info": {"content_type": "data", "content": None}},
    {"version": "v1", "digest_algorithm": _SHA256,
     "signature_algorithm": {"algorithm": "sha256_ecdsa", "parameters": None}},
    None, [], None)


def _contents_text_problems(data: bytes, signature: Any) -> list[str]:
    """The hex text of ``/Contents`` as it lies in the file, between the two signed byte
    ranges. Its decoded bytes are checked below, but the text itself is covered by nothing and
    several texts decode alike: a digit's letter case (``A`` and ``a``), or a ``0`` of the
    padding turned into a space (PDF readers skip whitespace in a hex string; an odd count is
    padded with 0). The signer writes ``<``, the bytes in upper-case hex, ``>``: anything else
    is one changed byte that must make the book invalid."""
    _, end_first, start_second, _ = (int(n) for n in signature.byte_range)
    written = b"<" + bytes(signature.pkcs7_content).hex().upper().encode("ascii") + b">"
    if data[end_first:start_second] != written:
        return ["the signature's hex text in /Contents was changed after signing"]
    return []


def _unsigned_contents_problems(signature: Any, signing_cert: x509.Certificate,
                                trust_list: TrustList) -> list[str]:
    """What a plain PAdES check cannot see. ``/Contents`` lies outside the signed byte range:
    the zeros that pad the signature to its reserved size and the certificates it carries are
    covered by nothing. A changed byte there must still make the book invalid (one flipped
    byte anywhere is a tampered book), so the padding must be zeros and every certificate a
    byte-for-byte copy of one in the trust list (the only ones a verifier relies on anyway),
    and the structure around the signed attributes exactly what the signer writes."""
    raw = bytes(signature.pkcs7_content)
    problems = []
    info = cms.ContentInfo.load(raw, strict=False)
    signed_der = raw[:len(info.dump())]
    if raw[len(signed_der):].strip(b"\0"):
        problems.append("the signature's unsigned padding was changed after signing")
    # The structure around the signed attributes is what the signer writes, to the byte: in
    # DER (one encoding per value) and with the values it always writes.
    data, (signer, *more) = info["content"], info["content"]["signer_infos"]
    shape = ({k: data[k].native for k in _SIGNED_DATA},
             {k: signer[k].native for k in _SIGNER_INFO}, data["crls"].native, more,
             signer["unsigned_attrs"].native)
    names_signer = cms.IssuerAndSerialNumber({  # the signer is found by key, not by this
        "issuer": signing_cert.issuer, "serial_number": signing_cert.serial_number}).dump()
    if (shape != _SHAPE or signer["sid"].chosen.dump() != names_signer
            or der(cms.ContentInfo.load(signed_der)) != signed_der):
        problems.append("the signature's unsigned structure was changed after signing")
    known = {c.public_bytes(serialization.Encoding.DER)
             for c in (*trust_list.roots, *trust_list.issuers.values())}
    for choice in signature.signed_data["certificates"] or ():
        if choice.chosen.dump() not in known:
            problems.append("the signature carries a certificate the trust list does not hold "
                            "as it is: changed after signing, or from another trust list")
    return problems


def _validation_context(trust_list: TrustList, moment: datetime | None) -> ValidationContext:
    roots = load_certs_from_pemder_data(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in trust_list.roots))
    issuers = load_certs_from_pemder_data(b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in trust_list.issuers.values()))
    # Certificate revocation (CRL/OCSP) is not published yet; book versions are revoked through
    # status.RevocationStatus instead, so missing revocation info must not fail the chain.
    return ValidationContext(trust_roots=list(roots), other_certs=list(issuers), moment=moment,
                             best_signature_time=moment, allow_fetching=False,
                             revocation_mode="soft-fail")


# A byte of a PDF string as pyHanko writes it: letters, digits and the space as they are,
# any other byte as an octal escape.
_STRING_BYTES = [bytes([b]) if bytes([b]).isalnum() or b == 0x20 else b"\\%03o" % b
                 for b in range(256)]


class _BookText(generic.TextStringObject):
    """The ``/SIBook`` text, written to the byte as pyHanko writes a text string (PDFDocEncoding,
    else UTF-16BE after its byte-order mark, escaped as above) but in one pass, not one write a
    byte: at ~800 bytes it was most of the strings a signature writes (~10% of its time)."""

    def write_to_stream(self, stream: Any, handler: Any = None, container_ref: Any = None
                        ) -> None:
        if handler is not None or self.force_output_encoding is not None:
            super().write_to_stream(stream, handler, container_ref)  # encrypted: pyHanko's
            return
        try:
            encoded = generic.encode_pdfdocencoding(self)  # type: ignore[no-untyped-call]
        except UnicodeEncodeError:
            encoded = codecs.BOM_UTF16_BE + self.encode("utf-16be")
        stream.write(b"(" + b"".join(map(_STRING_BYTES.__getitem__, encoded)) + b")")


def _set_book_info(writer: IncrementalPdfFileWriter, book: Mapping[str, Any]) -> None:
    text = _BookText(
        json.dumps(dict(book), sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if info_ref is None:
        info = generic.DictionaryObject()  # type: ignore[no-untyped-call]  # unannotated init
        info[generic.NameObject(BOOK_INFO_KEY)] = text
        writer.set_info(writer.add_object(info))
        return
    info = info_ref.get_object()
    info[generic.NameObject(BOOK_INFO_KEY)] = text
    writer.update_container(info)


def _book_info(pdf: PdfHandler) -> dict[str, Any] | None:
    """The ``/SIBook`` metadata of ``pdf`` as of its revision (a reader's latest, or the one a
    historical resolver stands at)."""
    trailer = pdf.trailer_view
    if "/Info" not in trailer:
        return None
    info = trailer.raw_get("/Info")
    if isinstance(info, generic.IndirectObject):  # resolved in ``pdf``'s revision
        info = pdf.get_object(info.reference)
    raw = info.get(BOOK_INFO_KEY) if isinstance(info, generic.DictionaryObject) else None
    if raw is None:
        return None
    try:
        parsed = json.loads(str(raw))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
