"""Enveloped XML signatures (XML-DSig), checked against the certificates pinned for a partner.

The signature is found in the parsed tree, never by a pattern over the raw bytes: only a
`ds:Signature` element that is a direct child of the document's root counts, so a `<Signature>`
written inside CDATA, text or a comment is just text. The cryptography is signxml's; this module
only decides what its outcome means:

- `verified`: the signature is intact and made with the key of a certificate pinned for the
  partner, and its one reference covers the whole document (`URI=""`), so no part of the message
  can be swapped or wrapped around it;
- `untrusted`: intact, but made with a key that is not pinned (the message's own certificate);
- `invalid`: anything else that claims to be a signature (changed content, a bad value, a refused
  algorithm such as SHA-1, a reference to part of the document, a malformed `ds:Signature`);
- `absent`: no enveloped signature at all.

Certificates are checked for validity at the time the message says it was sent (a signed value),
not at the time of checking: a replay years later reaches the same verdict, and an archived
message signed with a certificate that has since expired still verifies. Removing a pin is how a
compromised or retired certificate stops verifying new messages.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import structlog
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from defusedxml import DefusedXmlException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from domain.provenance import SignatureVerdict, Verdict

log = structlog.get_logger(__name__)

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
_SIGNATURE = f"{{{DSIG_NS}}}Signature"
_REFERENCE = f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}Reference"
_CERTIFICATE = f"{{{DSIG_NS}}}KeyInfo/{{{DSIG_NS}}}X509Data/{{{DSIG_NS}}}X509Certificate"
# Whatever the verifier raises on hostile input (signxml's errors, lxml's schema and syntax
# errors, a malformed base64 or key) means one thing here: not verified.
_REFUSED = Exception


@functools.cache
def pinned_certificates(pems: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    """A partner's pinned certificates (PEM text, as the registry keeps them), parsed once."""
    return tuple(load_certificate(pem.encode()) for pem in pems)


ABSENT = SignatureVerdict(
    verdict=Verdict.ABSENT, reason="the message carries no enveloped signature"
)


def load_certificate(pem: bytes) -> x509.Certificate:
    """One PEM certificate (what a partner pins); raises ValueError when it is not one."""
    return x509.load_pem_x509_certificate(pem)


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def check_signature(
    body: bytes, pinned: Sequence[x509.Certificate], *, at: datetime
) -> SignatureVerdict:
    """The verdict on `body`'s enveloped signature, trusting only the `pinned` certificates."""
    signature = _enveloped_signature(body)
    if signature is None:
        return ABSENT
    references = signature.findall(_REFERENCE)
    if len(references) != 1 or references[0].get("URI") != "":
        return SignatureVerdict(
            verdict=Verdict.INVALID,
            reason="the signature must have one reference to the whole document",
        )
    config = SignatureConfiguration(location="./", verification_time=at)
    for cert in pinned:
        try:
            XMLVerifier().verify(body, x509_cert=cert, expect_config=config)
        except _REFUSED:
            continue
        return SignatureVerdict(
            verdict=Verdict.VERIFIED,
            signer=cert.subject.rfc4514_string(),
            fingerprint=fingerprint(cert),
            reason="signed with a pinned certificate",
        )
    return _unpinned(body, signature, config)


def _unpinned(body: bytes, signature: Element, config: SignatureConfiguration) -> SignatureVerdict:
    """No pinned key signed it: is it at least intact under the key it carries itself?"""
    own = _own_certificate(signature)
    try:
        if own is None:  # a bare KeyValue: intact or not, it names nobody
            XMLVerifier().verify(body, expect_config=replace(config, require_x509=False))
        else:
            XMLVerifier().verify(body, x509_cert=own, expect_config=config)
    except _REFUSED as exc:
        log.info("signature.invalid", error=type(exc).__name__, detail=str(exc)[:200])
        return SignatureVerdict(
            verdict=Verdict.INVALID, reason=f"{type(exc).__name__}: {exc}"[:300]
        )
    return SignatureVerdict(
        verdict=Verdict.UNTRUSTED,
        signer=own.subject.rfc4514_string() if own else None,
        fingerprint=fingerprint(own) if own else None,
        reason="intact, but signed with a key that is not pinned for this partner",
    )


def _enveloped_signature(body: bytes) -> Element | None:
    """The first `ds:Signature` child of the root, from the parsed tree (None if none/not XML)."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except (DefusedXmlException, ParseError):
        return None
    found: Element | None = root.find(_SIGNATURE)
    return found


def _own_certificate(signature: Element) -> x509.Certificate | None:
    text = signature.findtext(_CERTIFICATE)
    if not text:
        return None
    try:
        return x509.load_der_x509_certificate(
            base64.b64decode("".join(text.split()), validate=True)
        )
    except (ValueError, binascii.Error):
        return None
