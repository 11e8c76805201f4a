"""Read queries of the requests app (the §7102 metrics report in ``ccpa_metrics``)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone

from privacy.models import Contact, DataCategory
from privacy.services import erasure_preview
from privacy.services.erasure import ErasurePreview
from requests_app.models import (
    OPEN_Q,
    ExportPackage,
    PrivacyRequest,
    Relay,
    RequestEvent,
    RequestType,
    ScheduledErasure,
    Status,
    clock_waiting_q,
)
from requests_app.tokens import new_reference, token_hash

#: Request types answered with a data package per contact.
PACKAGE_TYPES = frozenset({RequestType.ACCESS, RequestType.KNOW, RequestType.PORTABILITY})


def privacy_requests_due_soon(*, today: dt.date, within_days: int = 7) -> list[dict]:
    """Open requests whose deadline is within ``within_days`` or passed: reference and
    date only, read from the partial covering index ``prq_open_deadline``. Requests whose
    clock waits for verification (UK) are not due yet."""
    return list(
        PrivacyRequest.objects.filter(
            OPEN_Q, deadline_on__lte=today + dt.timedelta(days=within_days)
        )
        .exclude(clock_waiting_q())
        .order_by("deadline_on")
        .values("reference", "deadline_on")
    )


def privacy_requests_ack_owed(*, today: dt.date, within_days: int = 2) -> list[dict]:
    """Open requests whose receipt is not yet acknowledged and due within the window
    (index ``prq_ack_owed``)."""
    return list(
        PrivacyRequest.objects.filter(
            OPEN_Q,
            acknowledged_at__isnull=True,
            acknowledge_by__isnull=False,
            acknowledge_by__lte=today + dt.timedelta(days=within_days),
        )
        .order_by("acknowledge_by")
        .values("reference", "acknowledge_by")
    )


def privacy_request_public_timeline(request: PrivacyRequest) -> QuerySet[RequestEvent]:
    return request.events.filter(person_facing=True).only("occurred_at", "public_message")


def dashboard_stats(*, today: dt.date | None = None, months: int = 6) -> dict:
    """Numbers for the staff dashboard: open by status, due this week, overdue, and the
    median days from receipt to close per type per month."""
    today = today or timezone.localdate()
    open_requests = PrivacyRequest.objects.filter(OPEN_Q)
    by_status = {
        row["status"]: row["n"]
        for row in open_requests.values("status").annotate(n=Count("id")).order_by()
    }
    labels = dict(Status.choices)
    since = timezone.now() - dt.timedelta(days=31 * months)
    durations: dict[tuple[str, str], list[int]] = defaultdict(list)
    closed = (
        PrivacyRequest.objects.filter(status=Status.COMPLETED, closed_at__gte=since)
        .values_list("request_type", "received_at", "closed_at")
        .iterator()
    )
    for request_type, received_at, closed_at in closed:
        durations[(request_type, closed_at.strftime("%Y-%m"))].append(
            (closed_at - received_at).days
        )
    medians = sorted(
        (month, request_type, statistics.median(values), len(values))
        for (request_type, month), values in durations.items()
    )
    return {
        "open_by_status": [
            (labels[s], by_status.get(s, 0)) for s in Status.values if s in by_status
        ],
        "open_total": sum(by_status.values()),
        "due_this_week": open_requests.filter(
            deadline_on__gte=today, deadline_on__lte=today + dt.timedelta(days=7)
        ).count(),
        "overdue": open_requests.filter(deadline_on__lt=today).count(),
        "medians": medians,
    }


def privacy_request_reference_unused() -> str:
    """A fresh reference no request has yet (references are random, so check)."""
    while True:
        reference = new_reference()
        if not PrivacyRequest.objects.filter(reference=reference).exists():
            return reference


def submission_reference_unused() -> str:
    """A fresh submission reference (``SR-…``) no submission has yet."""
    from requests_app.models import Submission

    while True:
        reference = new_reference("SR")
        if not Submission.objects.filter(reference=reference).exists():
            return reference


def submission_requests(request: PrivacyRequest) -> list[PrivacyRequest]:
    """The other requests sent in the same submission(s) as ``request``, oldest first."""
    return list(
        PrivacyRequest.objects.filter(submissions__requests=request)
        .exclude(pk=request.pk)
        .distinct()
        .order_by("received_at", "id")
    )


def contacts_in_scope(request: PrivacyRequest) -> list[Contact]:
    """Contacts we act on: our own (controller mode) and those of customers that told us
    to fulfil the request on their behalf."""
    fulfil_customers = request.relays.filter(answer=Relay.Answer.FULFIL).values("customer_id")
    return list(
        Contact.objects.filter(
            pk__in=request.matches.filter(
                Q(customer__isnull=True) | Q(customer_id__in=fulfil_customers)
            ).values("contact_id")
        ).order_by("pk")
    )


def erasure_previews(request: PrivacyRequest) -> list[tuple[Contact, ErasurePreview]]:
    """What erasing each contact in scope would remove and keep, and any blocking hold."""
    return [(contact, erasure_preview(contact=contact)) for contact in contacts_in_scope(request)]


def privacy_request_completion_blockers(
    request: PrivacyRequest, contacts: list[Contact]
) -> list[str]:
    """What still stands between ``request`` and its completion (empty when nothing):
    unanswered relays, packages not ready, erasures not done for ``contacts``."""
    problems = []
    unanswered = request.relays.filter(answered_at__isnull=True).count()
    if unanswered:
        problems.append(f"{unanswered} customer relay(s) not answered yet.")
    if request.request_type in PACKAGE_TYPES:
        ready = set(
            request.packages.filter(state=ExportPackage.State.READY).values_list(
                "contact_id", flat=True
            )
        )
        missing = [c.pk for c in contacts if c.pk not in ready]
        if missing:
            problems.append(f"Export package not ready for contact(s) {missing}.")
    if request.request_type == RequestType.DELETION:
        done = set(
            request.erasures.filter(state=ScheduledErasure.State.DONE).values_list(
                "contact_id", flat=True
            )
        )
        missing = [c.pk for c in contacts if c.pk not in done]
        if missing:
            problems.append(f"Erasure not done for contact(s) {missing}.")
    return problems


def privacy_request_appeal_refusal(request: PrivacyRequest) -> str | None:
    """Why the person cannot appeal ``request`` now, in words for them, or None when they
    can. The one rule, used by the status page, the denial notice and ``appeal_submit``:
    only a denied request, under a rule that gives an appeal, once; and the answer to an
    appeal is final (the denial of an appeal names the authority to complain to)."""
    rule = request.rule
    if request.request_type == RequestType.APPEAL:
        where = f" You may complain to the {rule.authority.name}." if rule.authority else ""
        return "The answer to an appeal is our final decision." + where
    if request.status != Status.DENIED:
        return "Only a denied request can be appealed."
    if rule.appeal_response is None:
        return rule.appeal_note
    if request.appeals.exists():
        return "An appeal of this request has already been made."
    return None


# --- the morning page and the queue (bounded queries on indexed columns) ----------------

#: Deadline buckets of the queue and the morning page.
DEADLINE_BUCKETS = ("overdue", "today", "week")


def privacy_requests_deadline(bucket: str, *, today: dt.date) -> QuerySet[PrivacyRequest]:
    """Open requests whose clock is running, by deadline: ``overdue`` (passed), ``today``
    (due today) or ``week`` (due in the next 7 days, after today). Index
    ``prq_open_deadline``; unverified requests under a verification clock are left out."""
    running = PrivacyRequest.objects.filter(OPEN_Q).exclude(clock_waiting_q())
    if bucket == "overdue":
        return running.filter(deadline_on__lt=today)
    if bucket == "today":
        return running.filter(deadline_on=today)
    if bucket == "week":
        return running.filter(deadline_on__gt=today, deadline_on__lte=today + dt.timedelta(days=7))
    raise ValueError(f"Unknown deadline bucket {bucket!r}.")


def privacy_requests_assigned(user) -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(OPEN_Q, assignee=user)


def privacy_requests_ack_owed_queue() -> QuerySet[PrivacyRequest]:
    """Open requests whose receipt is still to be acknowledged (index ``prq_ack_owed``)."""
    return PrivacyRequest.objects.filter(
        OPEN_Q, acknowledged_at__isnull=True, acknowledge_by__isnull=False
    )


def relays_waiting() -> QuerySet[Relay]:
    """Relays no customer has answered yet, oldest first (index ``prq_relay_waiting``)."""
    return (
        Relay.objects.filter(answered_at__isnull=True)
        .select_related("request", "customer")
        .order_by("sent_at", "pk")
    )


def erasures_in_state(state: str) -> QuerySet[ScheduledErasure]:
    """Scheduled or blocked erasures by date (indexes ``prq_erasure_due`` /
    ``prq_erasure_blocked``)."""
    return (
        ScheduledErasure.objects.filter(state=state)
        .select_related("request")
        .order_by("scheduled_for", "pk")
    )


def appeals_open() -> QuerySet[PrivacyRequest]:
    """Open appeals by deadline (index ``prq_open_appeal``)."""
    return PrivacyRequest.objects.filter(OPEN_Q, request_type=RequestType.APPEAL)


def privacy_request_outcomes(*, today: dt.date, days: int = 30) -> dict:
    """Of the requests answered (completed or denied) in the last ``days`` days: how many,
    how many on time (closed on or before the deadline in force), and the median days
    from receipt to answer. Two queries on ``prq_closed``, bounded by the window."""
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min))
    answered = PrivacyRequest.objects.filter(
        closed_at__isnull=False,
        closed_at__gte=since,
        status__in=[Status.COMPLETED, Status.DENIED],
    )
    totals = answered.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(closed_at__date__lte=F("deadline_on")))
    )
    total = totals["total"] or 0
    median_days = None
    if total:
        durations = answered.annotate(took=F("closed_at") - F("received_at")).order_by("took")
        middle = list(durations.values_list("took", flat=True)[(total - 1) // 2 : total // 2 + 1])
        if middle:
            seconds = sum(d.total_seconds() for d in middle) / len(middle)
            median_days = round(seconds / 86400, 1)
    return {
        "days": days,
        "answered": total,
        "on_time": totals["on_time"] or 0,
        "on_time_rate": (totals["on_time"] / total) if total else None,
        "median_days": median_days,
    }


def privacy_request_next_steps(request: PrivacyRequest, *, today: dt.date) -> list[str]:
    """The moves open to staff on ``request`` in its current state, in the order they
    come in the work: ``assign``, ``verify``, ``process``, ``schedule_erasure``,
    ``run_erasure_now``, ``cancel_erasure``, ``complete``, ``extend``, ``deny``,
    ``withdraw``. The services still check each move when it is made; this only decides
    which buttons the request's page offers."""
    if not request.is_open:
        return []
    steps = ["assign"]
    status = request.status
    if status in (Status.RECEIVED, Status.AWAITING_VERIFICATION):
        steps.append("verify")
    if status == Status.VERIFIED:
        steps.append("process")
    if status in (Status.IN_PROGRESS, Status.RELAYED):
        if request.request_type == RequestType.DELETION:
            erasures = set(request.erasures.values_list("state", flat=True))
            to_erase = [c for c in contacts_in_scope(request) if not c.erased_at]
            if to_erase and ScheduledErasure.State.SCHEDULED not in erasures:
                steps.append("schedule_erasure")
            if to_erase:
                steps.append("run_erasure_now")
            if ScheduledErasure.State.SCHEDULED in erasures:
                steps.append("cancel_erasure")
        steps.append("complete")
    rule = request.rule
    if rule.extension is not None and not request.extended_due_on and today <= request.due_on:
        steps.append("extend")
    steps += ["deny", "withdraw"]
    return steps


def shine_the_light_answer(*, request: PrivacyRequest) -> dict:
    """The answer to a California "Shine the Light" request (Civ. Code §1798.83): for the
    calendar year before the request, the categories of personal information disclosed
    to third parties for their own direct marketing, and who received them — from the
    record of processing (categories marked sold or shared, with their recipients)."""
    year = timezone.localtime(request.received_at).year - 1
    categories = [
        {"name": category.name, "recipients": category.recipients}
        for category in DataCategory.objects.filter(sold_or_shared=True).order_by("name")
    ]
    return {"stl_year": year, "stl_categories": categories}


def privacy_request_contacts_for_status_token(view_kwargs: dict) -> list[Contact]:
    """The live contacts a verified request matched, for the request whose status (or
    appeal) page token is in ``view_kwargs``: a visitor of that page is tied to them,
    so their Global Privacy Control is honoured (consent.gpc). Nothing for a bad token
    or a request not verified (never matched)."""
    token = str(view_kwargs.get("token", ""))
    if not token:
        return []
    return list(
        Contact.objects.filter(
            erased_at__isnull=True,
            pk__in=PrivacyRequest.objects.filter(
                status_token_hash=token_hash(token), verified_at__isnull=False
            ).values("matches__contact_id"),
        ).order_by("pk")
    )
