"""Signed erasure certificates: what a person or a regulator can check offline.

An erasure certificate (``privacy.models.ErasureCertificate``) is issued as a JSON
document holding no personal data — the record's number, the request reference, who
performed it as a staff id, when (UTC), what was erased per data category in words, what
was kept and why, and how many identifiers went on the suppression list. The document is
signed with **Ed25519** over its *canonical* form: ``json.dumps(document, sort_keys=True,
separators=(",", ":"), ensure_ascii=True)`` encoded as ASCII. The signed file is::

    {"payload": "<the canonical text>",
     "certificate": <the same document, for reading>,
     "signature": {"algorithm": "Ed25519", "key_id": "...", "value": "<base64>"}}

The public key is published at ``/privacy/certificate-key/`` (PEM at
``/privacy/certificate-key.pem``). Checking a certificate needs only Python and the
``cryptography`` package, no database and no Django::

    python -m privacy.certificates verify certificate-12.json --key certificate-key.pem

or OpenSSL 3 and jq::

    jq -j .payload certificate-12.json > payload.txt
    jq -r .signature.value certificate-12.json | base64 -d > signature.bin
    openssl pkeyutl -verify -pubin -inkey certificate-key.pem -rawin \\
        -in payload.txt -sigfile signature.bin

The signing key comes from the ``PRIVACY_CERTIFICATE_SIGNING_KEY`` setting (base64 of
the 32-byte Ed25519 private key; ``python -m privacy.certificates new-key`` makes one).
Production requires it; the demo generates one into ``var/`` on first use and the tests
set a fixed one. The signature is computed when a certificate is issued (downloaded)
over its stored fields, which nobody can change through the application; Ed25519 is
deterministic, so the same certificate and key always give the same signature.

The top of this module imports no Django, so the verifier runs anywhere."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"
DOCUMENT_TYPE = "erasure-certificate"
DOCUMENT_VERSION = 1


class CertificateInvalid(Exception):
    """The file is not a certificate this module issued, or its signature is wrong."""


# --- pure functions: canonical form, keys, signing, verifying ------------------------


def canonical_json(document: dict[str, Any]) -> str:
    """The one text a document is signed as (sorted keys, no spaces, ASCII only)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    """A key from base64 of its 32 raw bytes, or from a PEM (PKCS#8) block."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("The certificate signing key must be an Ed25519 key.")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("The certificate signing key is not valid base64.") from None
    if len(raw) != 32:
        raise ValueError("The certificate signing key must be 32 bytes (base64-encoded).")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_document(document: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed file of ``document`` (see the module's docstring)."""
    payload = canonical_json(document)
    signature = private_key.sign(payload.encode("ascii"))
    return {
        "payload": payload,
        "certificate": document,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(private_key.public_key()),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def verify_signed(signed: dict[str, Any], public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The certificate of a signed file, after checking that the signature is valid for
    ``public_key`` and that the readable copy says exactly what was signed. Raises
    ``CertificateInvalid`` with the reason otherwise."""
    try:
        payload = signed["payload"]
        signature = base64.b64decode(signed["signature"]["value"], validate=True)
        algorithm = signed["signature"]["algorithm"]
    except (KeyError, TypeError, ValueError):
        raise CertificateInvalid("This is not a signed certificate file.") from None
    if algorithm != ALGORITHM:
        raise CertificateInvalid(f"Unknown signature algorithm {algorithm!r}.")
    try:
        public_key.verify(signature, payload.encode("ascii"))
    except (InvalidSignature, UnicodeEncodeError):
        raise CertificateInvalid(
            "The signature does not match: the certificate was changed, or it was signed "
            "with another key."
        ) from None
    document = json.loads(payload)
    if canonical_json(document) != payload:
        raise CertificateInvalid("The signed text is not in canonical form.")
    if "certificate" in signed and signed["certificate"] != document:
        raise CertificateInvalid("The readable copy differs from what was signed.")
    return document


# --- Django side: the key from settings, a certificate's document ---------------------


def signing_key() -> Ed25519PrivateKey:
    """The installation's signing key (``PRIVACY_CERTIFICATE_SIGNING_KEY``), or the
    demo's generated key file when the setting is empty outside production."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    text = getattr(settings, "PRIVACY_CERTIFICATE_SIGNING_KEY", "")
    if text:
        return private_key_from_text(text)
    key_file = getattr(settings, "PRIVACY_CERTIFICATE_KEY_FILE", "")
    if not key_file:
        raise ImproperlyConfigured("Set PRIVACY_CERTIFICATE_SIGNING_KEY to sign certificates.")
    path = Path(key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        # Created exclusively: two processes starting at once keep the first one's key.
        try:
            with open(path, "x", encoding="ascii") as handle:
                handle.write(base64.b64encode(seed).decode("ascii") + "\n")
            path.chmod(0o600)
        except FileExistsError:
            pass
    return private_key_from_text(path.read_text(encoding="ascii"))


def published_public_keys() -> list[tuple[str, str]]:
    """``(key id, PEM)`` of the current key and of earlier keys still published
    (``PRIVACY_CERTIFICATE_PREVIOUS_PUBLIC_KEYS``) so older downloads stay checkable."""
    from django.conf import settings

    current = signing_key().public_key()
    keys = [(key_id(current), public_key_pem(current))]
    for pem in getattr(settings, "PRIVACY_CERTIFICATE_PREVIOUS_PUBLIC_KEYS", []):
        public = serialization.load_pem_public_key(pem.encode("ascii"))
        if isinstance(public, Ed25519PublicKey):
            keys.append((key_id(public), public_key_pem(public)))
    return keys


def certificate_document(certificate) -> dict[str, Any]:
    """The signed content of an ``ErasureCertificate``: ids, codes, counts and words,
    no personal data (the staff member is named by id; pages show the name)."""
    import datetime as dt

    from django.conf import settings

    from privacy.display import erased_items, kept_items

    performed_at = certificate.performed_at.astimezone(dt.UTC).replace(microsecond=0)
    if certificate.performed_by_id:
        performed_by = {"kind": "staff", "staff_id": certificate.performed_by_id}
    else:
        performed_by = {"kind": "system", "job": certificate.get_trigger_display()}
    return {
        "type": DOCUMENT_TYPE,
        "version": DOCUMENT_VERSION,
        "issuer": settings.PRIVACY_CERTIFICATE_ISSUER,
        "certificate_id": certificate.pk,
        "record": f"contact #{certificate.contact_id}",
        "trigger": certificate.trigger,
        "trigger_label": certificate.get_trigger_display(),
        "reference": certificate.reference,
        "performed_at_utc": performed_at.isoformat().replace("+00:00", "Z"),
        "performed_by": performed_by,
        "erased": [
            {"category": item.category, "what": item.what, "count": item.count}
            for item in erased_items(certificate.counts)
        ],
        "kept": [
            {"what": item.what, "count": item.count, "why": item.why}
            | ({"references": list(item.references)} if item.references else {})
            for item in kept_items(certificate.kept)
        ],
        "suppression_entries": certificate.suppressed,
    }


def certificate_signed(certificate) -> dict[str, Any]:
    """The signed file of a certificate, ready to download."""
    return sign_document(certificate_document(certificate), signing_key())


def certificate_readable(certificate) -> dict[str, Any]:
    """What the certificate page and the PDF show: the signed document's content with
    the staff member's name and the time to the minute in the reader's time zone."""
    from privacy.display import erased_items, kept_items, staff_name, staff_time

    signed = certificate_signed(certificate)
    if certificate.performed_by_id:
        performed_by = staff_name(certificate.performed_by)
    else:
        performed_by = (
            f"The back office's automatic {certificate.get_trigger_display().lower()} "
            "job (no staff member)"
        )
    return {
        "number": certificate.pk,
        "record": f"Contact record #{certificate.contact_id}",
        "trigger": certificate.get_trigger_display(),
        "reference": certificate.reference,
        "performed_by": performed_by,
        "performed_at": staff_time(certificate.performed_at),
        "performed_at_utc": signed["certificate"]["performed_at_utc"],
        "erased": erased_items(certificate.counts),
        "kept": kept_items(certificate.kept),
        "suppressed": certificate.suppressed,
        "issuer": signed["certificate"]["issuer"],
        "key_id": signed["signature"]["key_id"],
        "signature": signed["signature"]["value"],
        "signed": signed,
    }


# --- command line: python -m privacy.certificates verify FILE --key KEY.pem -----------


def _load_public_key(path: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise CertificateInvalid("The public key is not an Ed25519 key.")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m privacy.certificates",
        description="Check a signed erasure certificate offline, or make a signing key.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check a certificate's signature")
    verify.add_argument("certificate", help="the downloaded certificate-N.json")
    verify.add_argument(
        "--key", required=True, help="the published public key (certificate-key.pem)"
    )
    commands.add_parser("new-key", help="print a new signing key for the settings")
    args = parser.parse_args(argv)

    if args.command == "new-key":
        seed = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        print(f"PRIVACY_CERTIFICATE_SIGNING_KEY={base64.b64encode(seed).decode('ascii')}")
        return 0

    try:
        signed = json.loads(Path(args.certificate).read_text(encoding="utf-8"))
        document = verify_signed(signed, _load_public_key(args.key))
    except (OSError, ValueError, CertificateInvalid) as exc:
        print(f"NOT VALID: {exc}", file=sys.stderr)
        return 1
    print(
        f"VALID: erasure certificate #{document['certificate_id']} of {document['record']}, "
        f"performed {document['performed_at_utc']}, signed by key "
        f"{signed['signature']['key_id']}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
