"""X.509 certificates of the agency: one root CA and issuing certificates per issuer realm.

Security choices, named here once:
- ECDSA on P-256 with SHA-256 everywhere (ES256 in COSE, ecdsa-with-SHA256 in CMS/X.509):
  fast to sign, and read by common PDF validators (Ed25519 PDF signatures are not).
- The root is a CA limited to path length 0: it may only certify issuing certificates, which
  are end-entity certificates (CA=false) allowed to sign documents only (digitalSignature +
  nonRepudiation), never other certificates.
- Serial numbers are 159-bit random (RFC 5280 §4.1.2.2, CA/B forum practice).
- Subject/authority key identifiers let validators (pyHanko, Adobe) build the chain offline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Issuer realms (the agencies that keep SI books): the civil Vietnam Social Security agency
# (Bảo hiểm xã hội Việt Nam), the Ministry of National Defence's SI (Bảo hiểm xã hội Bộ Quốc
# phòng) and the People's Public Security SI (Bảo hiểm xã hội Công an nhân dân).
REALMS: dict[str, str] = {
    "civil": "Bảo hiểm xã hội Việt Nam",
    "defence": "Bảo hiểm xã hội Bộ Quốc phòng",
    "public_security": "Bảo hiểm xã hội Công an nhân dân",
}
# The certificate policy of the issuing certificates whose every book and HI card payload
# names its realm (claims.REALM_KEY), made since payloads do: a payload one of them signed
# without a realm is none the agency issued, so another realm's key cannot pass a book off by
# leaving the realm out. Certificates made before carry no policy, and what they signed
# verifies as before. An OID under 2.25 (ITU-T X.667, from a UUID) needs no registration.
PAYLOADS_NAME_REALM = x509.ObjectIdentifier("2.25.133136488458932967582936040696173113512")
ROOT_DAYS = 20 * 365
ISSUER_DAYS = 5 * 365
CURVE = ec.SECP256R1()


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(CURVE)


def key_id(cert: x509.Certificate) -> bytes:
    """The key id carried in QR headers: first 8 bytes of SHA-256 of SubjectPublicKeyInfo."""
    return spki_key_id(cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ))


def spki_key_id(spki_der: bytes) -> bytes:
    """``key_id`` from the DER SubjectPublicKeyInfo (as another library parsed the certificate)."""
    return hashlib.sha256(spki_der).digest()[:8]


def realm_of(cert: x509.Certificate) -> str | None:
    """The realm whose organisation issued ``cert`` (None for a name not of ours)."""
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    organisation = str(names[0].value) if names else None
    return next((realm for realm, name in REALMS.items() if name == organisation), None)


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ])


def _usage(*, signs_documents: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signs_documents, content_commitment=signs_documents,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=not signs_documents, crl_sign=not signs_documents,
        encipher_only=False, decipher_only=False,
    )


def make_root(key: ec.EllipticCurvePrivateKey, *, now: datetime,
              days: int = ROOT_DAYS) -> x509.Certificate:
    """Self-signed agency root: the only thing verifiers must trust."""
    name = _name("Vietnam Social Security Root CA", REALMS["civil"])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signs_documents=False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(key, hashes.SHA256())
    )


def make_issuer(key: ec.EllipticCurvePrivateKey, *, realm: str, generation: int,
                root_cert: x509.Certificate, root_key: ec.EllipticCurvePrivateKey,
                now: datetime, days: int = ISSUER_DAYS) -> x509.Certificate:
    """Issuing (document-signing) certificate of ``realm``, generation ``generation``.

    Never outlives the root: a chain whose root expired first would not validate.
    """
    if realm not in REALMS:
        raise ValueError(f"unknown realm {realm!r}; expected one of {', '.join(REALMS)}")
    not_after = min(now + timedelta(days=days), root_cert.not_valid_after_utc)
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(_name(f"Vietnam Social Security {realm} issuer {generation}",
                            REALMS[realm]))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signs_documents=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                       critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(PAYLOADS_NAME_REALM,
                                                                        None)]), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def names_realm(cert: x509.Certificate) -> bool:
    """Whether what ``cert`` signs names its realm (``PAYLOADS_NAME_REALM``)."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return False
    return any(p.policy_identifier == PAYLOADS_NAME_REALM for p in policies)


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


@dataclass(frozen=True)
class CertInfo:
    """What ``sibook keys list`` shows about one certificate."""

    role: str  # "root" or a realm name
    generation: int
    key_id: str  # hex
    subject: str
    not_before: datetime
    not_after: datetime
    current: bool
    # Distrusted (``sibook keys distrust``): out of the trust list. A certificate distrusted
    # before the time was kept is distrusted with no time: ``distrusted`` says it.
    distrusted: bool = False
    distrusted_at: datetime | None = None
    # An issuing certificate's ``PAYLOADS_NAME_REALM`` policy; None for the root, which signs
    # certificates, not books. One made before the policy existed lacks it until the realm's
    # key is rotated: what it signs is not held to name its realm.
    names_realm: bool | None = None

    @classmethod
    def of(cls, role: str, generation: int, cert: x509.Certificate, *, current: bool,
           distrusted: bool = False, distrusted_at: datetime | None = None) -> CertInfo:
        return cls(role=role, generation=generation, key_id=key_id(cert).hex(),
                   subject=common_name(cert), not_before=cert.not_valid_before_utc,
                   not_after=cert.not_valid_after_utc, current=current, distrusted=distrusted,
                   distrusted_at=distrusted_at,
                   names_realm=None if role == "root" else names_realm(cert))

    def as_dict(self) -> dict[str, object]:
        return {
            "role": self.role, "generation": self.generation, "key_id": self.key_id,
            "subject": self.subject, "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(), "current": self.current,
            "distrusted": self.distrusted,
            "distrusted_at": self.distrusted_at.isoformat() if self.distrusted_at else None,
            "names_realm": self.names_realm,
        }
