"""privacy's public pages (mounted by config/urls.py): the public key that checks
erasure certificates."""

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/certificate-key/", views.certificate_key, name="certificate_key"),
    path("privacy/certificate-key.pem", views.certificate_key_pem, name="certificate_key_pem"),
]
