"""The signed QR payload of a book: CWT claims → COSE_Sign1 (ES256) → zlib → base45, ``SIB1:``.

The design of the EU Digital COVID Certificate (HCERT), with our own prefix and claim:
- claims: iss (1) the issuing certificate's CN, sub (2) the personal ID, iat (6) the issue
  time, and the book payload under the private-use claim -65537 (RFC 8392 §9.1 reserves
  integers below -65536 for private use). No exp: a book stays valid until revoked or replaced.
- the protected header carries alg ES256 (-7) and kid (first 8 bytes of SHA-256 of the
  issuing certificate's SubjectPublicKeyInfo), so neither can be swapped without breaking the
  signature; verifiers refuse any other algorithm.
- decompression is capped (``MAX_PAYLOAD``) so a crafted QR cannot exhaust memory, and a text
  longer than any QR code holds (``MAX_QR_TEXT``) is refused before it is decoded at all.
- nothing may follow the zlib stream or the COSE message: the bytes verified are all there is.
- the same signing makes the HI card's QR; its payload has a ``card_number`` (a book's never
  has), so ``QrResult.document`` tells the two apart without changing books already issued.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

import cbor2
import segno
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cwt import COSE, COSEKey, CWTError
from cwt.cose_key_interface import COSEKeyInterface
from PIL import Image, ImageOps

from sibook.signing import certs
from sibook.signing._base45 import ALPHABET, b45decode, b45encode
from sibook.signing.claims import ISSUED_IN_FUTURE, future_problem, latest_issue, realm_problem
from sibook.signing.keys import Signer
from sibook.signing.status import RevocationStatus
from sibook.signing.trust_list import TrustList, validity_problem

PREFIX = "SIB1:"
ES256 = -7
ISS, SUB, IAT = 1, 2, 6
BOOK_CLAIM = -65537
HEADER_ALG, HEADER_KID = 1, 4
MAX_PAYLOAD = 64 * 1024
# The most a QR code carries in alphanumeric mode, the mode of base45: 4,296 characters in a
# version-40 symbol at level L (ISO/IEC 18004:2015, Table 7). A longer text was never scanned.
MAX_QR_TEXT = 4296
_COSE = COSE.new()
CARD_KEY = "card_number"  # in the payload of an HI card's QR (issuing.hi_card), never a book's
Document = Literal["book", "hi_card"]


@dataclass
class QrResult:
    valid: bool
    payload: dict[str, Any] = field(default_factory=dict)
    signer: str | None = None
    key_id: str | None = None
    issued_at: datetime | None = None
    errors: list[str] = field(default_factory=list)
    document: Document = "book"  # what the signed payload is; "hi_card" is no book
    revocation: str | None = None  # the "revoked: ..." error, when that is one of the errors


class _SignerKey(COSEKeyInterface):
    """Lets cwt build the COSE_Sign1 while the private key stays behind our ``Signer``."""

    def __init__(self, signer: Signer) -> None:
        super().__init__({1: 2, 2: signer.key_id, 3: ES256, 4: [1]})  # kty EC2, key_ops sign
        self.signer = signer
        self.issuer = certs.common_name(signer.certificate)
        self.protected = {HEADER_ALG: ES256, HEADER_KID: signer.key_id}

    def sign(self, msg: bytes) -> bytes:
        # COSE wants r || s, each 32 bytes for P-256 (RFC 9053 §2.1), not DER.
        r, s = decode_dss_signature(self.signer.sign(msg))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign_qr(payload: Mapping[str, Any], signer: Signer, *,
            issued_at: datetime | None = None) -> str:
    """Sign ``payload`` (JSON-like: str, int, list, dict) into the QR text."""
    at = issued_at or datetime.now(UTC)
    key = _signer_key(signer)
    claims = {
        ISS: key.issuer,
        SUB: str(payload.get("personal_id", "")),
        IAT: int(at.timestamp()),
        BOOK_CLAIM: dict(payload),
    }
    sign1 = _COSE.encode_and_sign(cbor2.dumps(claims), key, protected=key.protected,
                                  unprotected={})
    assert isinstance(sign1, bytes)  # cwt returns bytes unless asked for a CBORTag
    # A 4 KiB window covers any payload a QR can hold (< 3 KB): the same bytes out as the
    # default 32 KiB window, which costs more to set up than to compress (10 us, not 24).
    return PREFIX + b45encode(zlib.compress(sign1, 9, wbits=12)).decode("ascii")


_last_key: list[_SignerKey] = []


def _signer_key(signer: Signer) -> _SignerKey:
    """The adapter of the signer used last: issuing many books must not rebuild it each time."""
    cached = _last_key[0] if _last_key else None
    if cached is None or cached.signer is not signer:
        cached = _SignerKey(signer)  # a local, so a concurrent swap cannot hand back another's
        _last_key[:] = [cached]
    return cached


def verify_qr(text: str, trust_list: TrustList, *, status: RevocationStatus | None = None,
              now: datetime | None = None) -> QrResult:
    """Check a QR text offline, at ``now``: encoding, signature, certificate at issue time, an
    issue time not in the future, the realm named (``claims``), revocation."""
    try:
        sign1 = _unwrap(text)
        protected, kid = _headers(sign1)
    except _Refused as refused:
        return QrResult(valid=False, errors=[str(refused)])
    result = QrResult(valid=False, key_id=kid.hex())
    if protected.get(HEADER_ALG) != ES256:
        result.errors.append(f"unsupported algorithm {protected.get(HEADER_ALG)!r}: "
                             "only ES256 (-7) is accepted")
        return result
    cert = trust_list.issuer(kid)
    if cert is None:
        result.errors.append(f"unknown key id {kid.hex()}: not in the trust list")
        return result
    result.signer = certs.common_name(cert)
    try:
        claims = cbor2.loads(_COSE.decode(sign1, _cose_key(_spki(cert), kid)))
    except (CWTError, *_CBOR_ERRORS):
        result.errors.append("bad signature: the QR was not signed by key "
                             f"{kid.hex()} or was altered after signing")
        return result
    _check_claims(claims, (cert, trust_list.root_of(kid)), status, result,
                  now or datetime.now(UTC))
    result.valid = not result.errors
    return result


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """The QR code image (PNG, 1 bit). Alphanumeric mode fits base45; error correction M.

    Speed (a book issues one per PDF): segno would score all eight masks, three quarters of the
    time of an image; any mask gives a symbol every reader decodes to the same text, and on
    book QRs each mask's penalty score averages within 7% of the best (mask 4: 5%). ``boost_error``
    off keeps level M exactly: it never changes the version, only searches for spare room. The
    PNG is drawn by Pillow from the module matrix; segno's pure-Python writer took 4 ms.
    """
    code = segno.make_qr(text, error="m", mask=_QR_MASK, boost_error=False)
    return _matrix_png(code.matrix, scale=scale, border=4)


_QR_MASK = 4
_MODULE_GREY = bytes([255, 0]) + bytes(254)  # module 0 (light) → 255, 1 (dark) → 0


def _matrix_png(matrix: tuple[bytearray, ...], *, scale: int, border: int) -> bytes:
    side = len(matrix)
    image = Image.frombytes("L", (side, side), b"".join(matrix).translate(_MODULE_GREY))
    image = ImageOps.expand(image, border=border, fill=255)
    size = (side + 2 * border) * scale
    image = image.resize((size, size), Image.Resampling.NEAREST)
    image = image.convert("1", dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class _Refused(Exception):
    pass


# What decoding untrusted CBOR may raise: cbor2 builds semantic tags as it reads (a decimal
# with a huge exponent raises decimal.InvalidOperation, a day count past year 9999
# OverflowError, both ArithmeticErrors), and nesting has no bound but the stack.
_CBOR_ERRORS = (cbor2.CBORDecodeError, ValueError, TypeError, LookupError, ArithmeticError,
                RecursionError)


# What an editor, a paste or a line end puts around the text. Not str.strip()'s whitespace:
# the file's newline with one bit flipped is a vertical tab, a changed byte to refuse.
AROUND_TEXT = " \t\r\n"


def _unwrap(text: str) -> bytes:
    text = text.strip(AROUND_TEXT)
    if not text.startswith(PREFIX):
        raise _Refused(f"bad prefix: the agency's QR (a book's or an HI card's) starts with "
                       f"{PREFIX!r}")
    if len(text) > MAX_QR_TEXT:  # before base45: decoding megabytes costs seconds and memory
        raise _Refused(f"QR text too long: {len(text)} characters; a QR code holds at most "
                       f"{MAX_QR_TEXT}")
    try:
        compressed = b45decode(text[len(PREFIX):])
    except ValueError as exc:
        raise _Refused(_not_base45(text[len(PREFIX):])) from exc
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, MAX_PAYLOAD)
    except zlib.error as exc:
        # zlib's own words ("Error -3 while decompressing data: incorrect data check") kept
        # in brackets for whoever debugs; the reader is told what it means for the QR.
        raise _Refused(f"decompress failed: the QR text is damaged or was altered ({exc})"
                       ) from exc
    if inflater.unconsumed_tail:
        raise _Refused(f"decompress failed: payload larger than {MAX_PAYLOAD} bytes")
    if not inflater.eof:
        raise _Refused("decompress failed: the QR text is cut short or was altered (its "
                       "compressed data ends early)")
    if inflater.unused_data:  # unsigned bytes riding along a genuine QR
        raise _Refused("extra data after the compressed payload")
    if _unread_bits_set(compressed, raw):
        raise _Refused("the QR text was altered: bits its compressed data leaves unused "
                       "(zero as written) are set")
    return raw


def _unread_bits_set(compressed: bytes, raw: bytes) -> bool:
    """Whether a set bit of the deflate stream's last byte is one no inflater reads: the
    stream ends inside that byte and zlib writes the rest 0, so a character of the text
    changed there inflated alike and verified. A bit is unread when the stream without it
    inflates to the same bytes (at most 8 inflations of a QR's few hundred bytes)."""
    at = len(compressed) - 5  # the last byte of the stream: the Adler-32 checksum's 4 follow
    for bit in (1 << n for n in range(8)):
        if at >= 2 and compressed[at] & bit:  # after the 2 bytes of zlib's header
            cleared = compressed[:at] + bytes([compressed[at] & ~bit]) + compressed[at + 1:]
            try:
                if zlib.decompress(cleared) == raw:
                    return True
            except zlib.error:
                pass
    return False


def _not_base45(body: str) -> str:
    """Why ``body`` does not decode: a character outside the alphabet, a length no encoding
    gives (a text cut short), or a group of characters worth more than its bytes can be."""
    if set(body) - set(ALPHABET):
        return "not base45: the QR text has characters outside RFC 9285"
    if len(body) % 3 == 1:
        return (f"not base45: the QR text is {len(body)} characters after the prefix, a length "
                "RFC 9285 never gives (cut short?)")
    return ("not base45: a group of characters in the QR text stands for a value RFC 9285 "
            "does not allow")


def _headers(sign1: bytes) -> tuple[dict[Any, Any], bytes]:
    try:
        stream = io.BytesIO(sign1)
        message = cbor2.CBORDecoder(stream).decode()
        body = message.value if isinstance(message, cbor2.CBORTag) else message
        if not (isinstance(body, list) and len(body) == 4 and isinstance(body[0], bytes)):
            raise _Refused("not a COSE_Sign1 message")
        if stream.tell() != len(sign1):  # cbor2.loads would ignore what follows the message
            raise _Refused("extra data after the signed message")
        protected = cbor2.loads(body[0]) if body[0] else {}
    except _CBOR_ERRORS as exc:
        detail = "a number out of range" if isinstance(exc, ArithmeticError) else exc
        raise _Refused(f"not a COSE_Sign1 message: {detail}") from exc
    unprotected = body[1] if isinstance(body[1], dict) else {}
    kid = protected.get(HEADER_KID, unprotected.get(HEADER_KID)) \
        if isinstance(protected, dict) else None
    if not isinstance(kid, bytes):
        raise _Refused("no key id (kid) in the COSE header")
    return protected, kid


def _check_claims(claims: Any, chain: tuple[x509.Certificate, x509.Certificate | None],
                  status: RevocationStatus | None, result: QrResult, now: datetime) -> None:
    if not isinstance(claims, dict) or not isinstance(claims.get(BOOK_CLAIM), dict):
        result.errors.append("signed claims carry no book payload")
        return
    result.payload = claims[BOOK_CLAIM]
    result.document = document_of(result.payload)
    iat = claims.get(IAT)
    if not isinstance(iat, int):
        result.errors.append("signed claims carry no issue time (iat)")
        return
    try:
        result.issued_at = datetime.fromtimestamp(iat, UTC)
    except (ValueError, OverflowError, OSError):  # past what a datetime holds (year 9999)
        result.errors.append(f"{ISSUED_IN_FUTURE}: iat {iat} lies past the year 9999" if iat > 0
                             else f"signed claims carry an issue time before year 1 (iat {iat})")
        return
    for checked in (c for c in chain if c is not None):
        problem = validity_problem(checked, result.issued_at)
        if problem:
            result.errors.append(problem)
    said = (future_problem(latest_issue(result.issued_at, result.payload), now),
            realm_problem(result.payload, chain[0]))
    result.errors += [problem for problem in said if problem]
    # A card stands while the book version it was made from is revoked (signing.card).
    if status is not None and result.document == "book":
        result.revocation = revoked(status, result.payload)
        if result.revocation:
            result.errors.append(result.revocation)


def document_of(payload: Mapping[str, Any]) -> Document:
    """An HI card's QR payload carries its card fields; a book's carries none."""
    return "hi_card" if CARD_KEY in payload else "book"


def revoked(status: RevocationStatus, payload: Mapping[str, Any]) -> str | None:
    """The "revoked: ..." error for a book payload, or None when it stands."""
    personal_id, version = payload.get("personal_id"), payload.get("version")
    if not isinstance(personal_id, str) or not isinstance(version, int):
        return "payload names no personal_id/version, so revocation cannot be checked"
    book_hash = payload.get("book_hash")
    reason = status.is_revoked(personal_id, version,
                               book_hash if isinstance(book_hash, str) else None)
    return f"revoked: version {version} of book {personal_id}: {reason}" if reason else None


def _spki(cert: x509.Certificate) -> bytes:
    return bytes(cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


@lru_cache(maxsize=256)
def _cose_key(spki_pem: bytes, kid: bytes) -> COSEKeyInterface:
    return COSEKey.from_pem(spki_pem, alg="ES256", kid=kid)
