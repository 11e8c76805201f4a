"""Public pages of the privacy core: the key that checks erasure certificates.

Anyone (a person who got a certificate, a regulator) may read it; it holds nothing but
public keys and how to use them."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from privacy.certificates import published_public_keys


@require_GET
def certificate_key(request):
    keys = published_public_keys()
    return render(
        request,
        "privacy/certificate_key.html",
        {
            "keys": keys,
            "pem_url": request.build_absolute_uri("/privacy/certificate-key.pem"),
        },
    )


@require_GET
def certificate_key_pem(request):
    """The current public key as a PEM file (what the verify command reads)."""
    _key_id, pem = published_public_keys()[0]
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="certificate-key.pem"'
    return response
