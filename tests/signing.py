"""Self-made certificates and enveloped signatures for tests: a partner's signing desk, small."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import methods
from signxml.signer import XMLSigner

ROOT = Path(__file__).parents[1]
IPAWS_SIGNED = ROOT / "tests" / "fixtures" / "cap" / "real" / "ipaws-cancel-signed-no-info.xml"
DS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True)
class Signer:
    """A key and its self-signed certificate."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, body: bytes, *, cert: x509.Certificate | None = None) -> bytes:
        """`body` with an enveloped RSA-SHA256 signature by this key, naming `cert` (or its own)."""
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False))
        shown = (cert or self.cert).public_bytes(serialization.Encoding.PEM)
        signed = XMLSigner(method=methods.enveloped).sign(root, key=self.key_pem, cert=shown)
        out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
        return out


def make_signer(name: str) -> Signer:
    """A fresh 2048-bit RSA key and a certificate valid from 2000 to 2100 for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=365 * 100))
        .sign(key, hashes.SHA256())
    )
    return Signer(key, cert)


def ipaws_certificate() -> x509.Certificate:
    """The certificate the real IPAWS message carries (what its partner would pin)."""
    root = etree.fromstring(IPAWS_SIGNED.read_bytes())
    text = root.findtext(f".//{{{DS}}}X509Certificate")
    assert text is not None
    return x509.load_der_x509_certificate(base64.b64decode(text))
