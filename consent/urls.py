"""Public URLs of this app (mounted at the site root by config/urls.py)."""

from django.urls import path

from consent import api, views

app_name = "consent"

urlpatterns = [
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("preferences/<str:token>/", views.preference_centre, name="preference_centre"),
    path("consent/cookies/", views.cookie_consent, name="cookie_consent"),
    path("api/v1/consent/check", api.consent_check, name="api_consent_check"),
    path("api/v1/consent/events", api.consent_events, name="api_consent_events"),
    path(
        "api/v1/contacts/<int:contact_id>/consents",
        api.contact_consents,
        name="api_contact_consents",
    ),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
]
