"""Public URLs of this app (mounted by config/urls.py). Tokens only, never identifiers."""

from django.urls import path

from requests_app import views

app_name = "requests_app"

urlpatterns = [
    path("privacy/request/", views.request_form, name="request_form"),
    path("privacy/request/sent/", views.request_submitted, name="submitted"),
    path("privacy/verify/code/", views.verify_code, name="verify_code"),
    path("privacy/verify/<str:token>/", views.verify, name="verify"),
    path("privacy/status/<str:token>/", views.status, name="status"),
    path("privacy/appeal/<str:token>/", views.appeal, name="appeal"),
    path("privacy/download/<str:token>/", views.download, name="download"),
    path("privacy/transfer/confirm/<str:token>/", views.transfer_confirm, name="transfer_confirm"),
    path(
        "privacy/transfer/download/<str:token>/", views.transfer_download, name="transfer_download"
    ),
]
