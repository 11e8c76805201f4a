"""The demo's small truths: the admin's "View site" opens something real (the public
request form), and browsers find a favicon on every page, the admin's included."""

from __future__ import annotations

import pytest
from django.contrib import admin

pytestmark = pytest.mark.django_db


def test_view_site_opens_the_public_request_form(client):
    assert admin.site.site_url == "/privacy/request/"
    assert client.get(admin.site.site_url).status_code == 200


def test_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in client.get("/privacy/request/").content.decode()
