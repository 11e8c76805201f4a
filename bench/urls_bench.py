"""URLs of the consent benchmark: every real URL, plus the baselines, served by the same
server in the same run and through the same middleware: a bare one-query Django view
(what the consent check is compared with) and a bare durable write, one INSERT committed
before the reply (what the STOP webhook is compared with)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


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


@csrf_exempt  # like the webhook, which is signed instead
def baseline_write(request: HttpRequest) -> HttpResponse:
    """POST /bench/write (ref=…) — one INSERT, committed (autocommit, synchronous_commit
    on) before the reply: the floor of any durable opt-out. Its table bench_write is
    created by bench/consent_bench.py."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_write (ref, at) VALUES (%s, now())", [request.POST.get("ref", "")]
        )
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/baseline", baseline, name="bench_baseline"),
    path("bench/write", baseline_write, name="bench_write"),
    path("", include("config.urls")),
]
