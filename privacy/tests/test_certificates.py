"""Erasure certificates people can read and check: the page and the PDF say who (by name),
when (to the minute, the reader's time zone), what was erased and kept in words; the
signed JSON holds no personal data and is checked offline with exactly the commands
docs/privacy-core.md documents."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from privacy import certificates
from privacy.models import ErasureCertificate, StaffPreference
from privacy.services import contact_erase
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
DOC = ROOT / "docs" / "privacy-core.md"


def _documented_block(first_word: str) -> list[str]:
    """The lines of the fenced ``sh`` block of docs/privacy-core.md's certificate section
    whose first line starts with ``first_word``."""
    text = DOC.read_text()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines = [line.strip() for line in block.strip().splitlines()]
        if lines and lines[0].startswith(first_word):
            return lines
    raise AssertionError(f"no documented command starting with {first_word!r}")


@pytest.fixture
def erased(settings):
    officer = UserFactory(username="jdoe", first_name="Jane", last_name="Officer")
    contact = ContactFactory(
        first_name="Wilhelmina",
        last_name="Zebedee",
        email="wilhelmina.zebedee@example.org",
        phone="+14155550142",
        do_not_contact=True,
    )
    InteractionFactory.create_batch(3, contact=contact, channel="sms")
    certificate = contact_erase(actor=officer, contact=contact)
    return certificate, officer


def _signed_file(client, certificate, tmp_path: Path) -> tuple[Path, Path]:
    """Download the signed certificate and the public key the way a person would, under
    the names the documentation uses."""
    response = client.get(
        reverse("admin:privacy_erasurecertificate_signed_json", args=[certificate.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'certificate-{certificate.pk}.json"')
    cert_path = tmp_path / "certificate-12.json"  # the name in the documented command
    cert_path.write_bytes(response.content)
    key = client.get("/privacy/certificate-key.pem")
    assert key.status_code == 200
    key_path = tmp_path / "certificate-key.pem"
    key_path.write_bytes(key.content)
    return cert_path, key_path


def test_signed_document_holds_no_personal_data_and_verifies(erased):
    certificate, officer = erased
    signed = certificates.certificate_signed(certificate)
    payload = signed["payload"]
    for personal in ("Wilhelmina", "Zebedee", "wilhelmina.zebedee", "5550142", "Jane", "jdoe"):
        assert personal not in payload
    document = certificates.verify_signed(signed, certificates.signing_key().public_key())
    assert document["performed_by"] == {"kind": "staff", "staff_id": officer.pk}
    assert document["suppression_entries"] == 2  # e-mail and phone of a do-not-contact
    assert {"category": "Communications", "what": "text messages, chats, e-mails and web-form submissions", "count": 3} in document["erased"]  # fmt: skip
    assert payload == certificates.canonical_json(document)
    assert document["performed_at_utc"].endswith("Z")
    assert "." not in document["performed_at_utc"]  # no microseconds


def test_a_changed_certificate_or_another_key_fails(erased):
    certificate, _ = erased
    signed = certificates.certificate_signed(certificate)
    public = certificates.signing_key().public_key()
    forged = dict(signed, payload=signed["payload"].replace('"suppression_entries":2', '"suppression_entries":0'))  # fmt: skip
    with pytest.raises(certificates.CertificateInvalid, match="does not match"):
        certificates.verify_signed(forged, public)
    readable_changed = json.loads(json.dumps(signed))
    readable_changed["certificate"]["suppression_entries"] = 0
    with pytest.raises(certificates.CertificateInvalid, match="readable copy"):
        certificates.verify_signed(readable_changed, public)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with pytest.raises(certificates.CertificateInvalid):
        certificates.verify_signed(signed, Ed25519PrivateKey.generate().public_key())


def test_the_documented_python_command_verifies_a_downloaded_certificate(
    erased, admin_client, tmp_path
):
    certificate, _ = erased
    cert_path, _ = _signed_file(admin_client, certificate, tmp_path)
    (command,) = _documented_block("python -m privacy.certificates verify")
    args = command.split()
    args[0] = sys.executable  # "python" of the documentation: this interpreter
    # Run from the repository root without Django settings: no database, no Django setup.
    ok = subprocess.run(args, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"VALID: erasure certificate #{certificate.pk}")

    tampered = json.loads(cert_path.read_text())
    tampered["payload"] = tampered["payload"].replace('"count":3', '"count":1')
    cert_path.write_text(json.dumps(tampered))
    bad = subprocess.run(args, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("NOT VALID")


@pytest.mark.skipif(
    not (shutil.which("openssl") and shutil.which("jq")), reason="needs openssl and jq"
)
def test_the_documented_openssl_recipe_verifies_a_downloaded_certificate(
    erased, admin_client, tmp_path
):
    certificate, _ = erased
    _signed_file(admin_client, certificate, tmp_path)
    script = "\n".join(["set -e", *_documented_block("jq -j .payload")])
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Signature Verified Successfully" in result.stdout


def test_certificate_page_names_the_officer_and_shows_the_minute_in_their_time_zone(erased, client):
    certificate, _officer = erased
    auditor = UserFactory(role="Auditor")
    StaffPreference.objects.create(user=auditor, time_zone="America/New_York")
    ErasureCertificate.objects.filter(pk=certificate.pk).update(
        performed_at=dt.datetime(2026, 3, 2, 15, 7, 42, 123456, tzinfo=dt.UTC)
    )
    client.force_login(auditor)
    page = client.get(reverse("admin:privacy_erasurecertificate_change", args=[certificate.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<dd class="performed-by">Jane Officer</dd>' in html
    assert '<dd class="performed-at">2026-03-02 10:07 EST</dd>' in html
    assert "123456" not in html and "15:07:42" not in html
    assert "text messages, chats, e-mails and web-form submissions" in html
    assert "the emptied contact record" in html  # kept, in words, with its reason
    assert "{" not in html.split('id="content-main"')[1].split("Digital signature")[0]
    assert "Wilhelmina" not in html


def test_system_erasure_is_named_as_the_automatic_job(client):
    contact = ContactFactory()
    certificate = contact_erase(actor=None, contact=contact)
    client.force_login(UserFactory(role="Auditor"))
    html = client.get(
        reverse("admin:privacy_erasurecertificate_change", args=[certificate.pk])
    ).content.decode()
    assert "job (no staff member)" in html
    assert "Performed by: -" not in html and ">-<" not in html


def test_certificate_pdf(erased, client):
    certificate, _ = erased
    client.force_login(UserFactory(role="Auditor"))
    response = client.get(reverse("admin:privacy_erasurecertificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 1000


def test_public_key_page_publishes_the_key_and_how_to_check(client):
    page = client.get("/privacy/certificate-key/")
    html = page.content.decode()
    assert page.status_code == 200
    public = certificates.signing_key().public_key()
    assert certificates.public_key_pem(public).strip().splitlines()[1] in html
    assert certificates.key_id(public) in html
    assert "python -m privacy.certificates verify" in html


def test_production_has_no_generated_key(settings):
    settings.PRIVACY_CERTIFICATE_SIGNING_KEY = ""
    settings.PRIVACY_CERTIFICATE_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured):
        certificates.signing_key()


def test_demo_generates_one_key_and_keeps_it(settings, tmp_path):
    settings.PRIVACY_CERTIFICATE_SIGNING_KEY = ""
    settings.PRIVACY_CERTIFICATE_KEY_FILE = str(tmp_path / "var" / "certificate-signing-key")
    first = certificates.key_id(certificates.signing_key().public_key())
    assert certificates.key_id(certificates.signing_key().public_key()) == first
    assert (tmp_path / "var" / "certificate-signing-key").stat().st_mode & 0o777 == 0o600
