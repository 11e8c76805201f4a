"""URLs of the consent benchmark: every real URL, plus the baseline the consent check is
compared with: a bare one-query Django view, served by the same server in the same run
and through the same middleware."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def baseline(request: HttpRequest) -> JsonResponse:
    """GET /bench/baseline?id=N — one primary-key query, a small JSON answer."""
    try:
        contact_id = int(request.GET.get("id", "1"))
    except ValueError:
        contact_id = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM privacy_contact WHERE id = %s", [contact_id])
        found = cursor.fetchone() is not None
    return JsonResponse({"found": found})


urlpatterns = [
    path("bench/baseline", baseline, name="bench_baseline"),
    path("", include("config.urls")),
]
