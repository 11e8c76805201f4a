"""Building blocks shared by the admins of every app (privacy, consent, requests_app).

This is not an app's ``admin.py``: each app's admin imports these, and no app imports
another app's admin.

- ``EstimatedCountPaginator`` / ``ScalableChangelistMixin``: changelists of tables with
  millions of rows never run a full ``COUNT(*)``.
- ``ReadOnlyAdminMixin`` / ``ReadOnlyInline``: evidence that staff see and nobody edits.
- ``PostedSearchMixin``: searches for personal data are posted, and the changelist URL
  carries only the ids they resolved to.
- ``run_action``: the one way an admin action runs a service per selected row: show a
  form or a confirmation page first where the action needs one, call the service per
  row, report how many were done and each refusal the service raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property

# --- changelists that scale ---------------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts a whole big table.

    Unfiltered on PostgreSQL: the planner's row estimate (``pg_class.reltuples``) when
    it is above the cap. Otherwise: an exact count of at most ``cap + 1`` ids
    (``SELECT COUNT(*) FROM (SELECT id … LIMIT cap+1)``), which stops early."""

    cap = 10_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_estimate = False
        self.is_capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            estimate = self._planner_estimate(queryset)
            if estimate is not None and estimate > self.cap:
                self.is_estimate = True
                return estimate
        capped = queryset.order_by().values("pk")[: self.cap + 1].count()
        if capped > self.cap:
            self.is_capped = True
        return capped

    @staticmethod
    def _planner_estimate(queryset: QuerySet) -> int | None:
        table = queryset.model._meta.db_table
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connections[queryset.db].ops.quote_name(table)],
            )
            row = cursor.fetchone()
        # -1 (never analysed) or 0 (empty or not yet analysed): count instead.
        return int(row[0]) if row and row[0] and row[0] > 0 else None


class ScalableChangelistMixin:
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    list_max_show_all = 200


# --- read-only evidence -------------------------------------------------------------------


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows through the admin (superusers
    included); viewing needs the model's view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under a parent, never added, changed or deleted there."""

    extra = 0
    can_delete = False
    show_change_link = False
    #: Foreign keys shown in the rows, fetched with them (one query, not one per row).
    related: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- searches that keep personal data out of URLs -----------------------------------------


def id_list(term: str) -> list[int] | None:
    """ "#12" or "#12,34" (what a posted search resolves to) as ids; None otherwise."""
    if not term.startswith("#"):
        return None
    parts = term[1:].split(",")
    if not all(part.strip().isdigit() for part in parts):
        return None
    return [int(part) for part in parts]


class PostedSearchMixin:
    """Search terms here are personal data (names, e-mail addresses, phone numbers), so
    the search box posts them and the changelist URL carries only what they resolved
    to — never the term itself, which would reach access logs and browser history."""

    #: Most matches a posted search carries to the list.
    posted_search_limit = 500

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_search"
        return [
            path("search/", self.admin_site.admin_view(self.posted_search_view), name=name),
            *super().get_urls(),
        ]

    def posted_search_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        params = {
            key: value
            for key, value in request.POST.items()
            if key not in ("q", "csrfmiddlewaretoken")
        }
        term = request.POST.get("q", "").strip()
        if term:
            params["q"] = self.resolved_search_term(request, term)
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(f"{url}?{urlencode(params)}" if params else url)

    def get_search_results(self, request, queryset, search_term):
        ids = id_list(search_term.strip())
        if ids is not None:
            return queryset.filter(pk__in=ids), False
        return super().get_search_results(request, queryset, search_term)

    def resolved_search_term(self, request, term: str) -> str:
        """A term that finds the same rows and holds no personal data: their ids."""
        found, _ = self.get_search_results(request, self.get_queryset(request), term)
        ids = list(found.order_by("pk").values_list("pk", flat=True)[: self.posted_search_limit])
        return "#" + (",".join(map(str, ids)) or "0")


# --- actions: confirm, then run a service per row ------------------------------------------

#: Most selected rows an action page lists by name (all of them are still acted on).
ACTION_PAGE_LIST_LIMIT = 200


class ConfirmForm(forms.Form):
    """The form of a confirmation page that asks nothing."""


def run_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    apply: Callable[[Any, dict], Any],
    form_class: type[forms.Form] | None = None,
    confirm: bool = False,
    intro: str = "",
    extra: dict | Callable[[], dict] | None = None,
    template: str = "admin/privacy/action_form.html",
    limit: int | None = None,
    done_message: Callable[[int], str] | None = None,
    label: Callable[[Model], str] = str,
):
    """Run an admin action: ``apply(obj, form data)`` (a service call) per selected row.

    With ``form_class`` (or ``confirm=True``) the first post shows a page with the form
    (or just the rows and a button) and nothing happens until it is submitted; ``extra``
    (a dict, or a callable computed only for the page) adds to the page's context.
    ``apply`` may return how many things it did (an int; ``False``/``0`` when the row
    needed nothing); any other return counts one. A ``ValidationError`` from the service
    is a refusal: reported with the row's ``label``, the other rows still run. At most
    ``limit`` rows are acted on at a time (more is refused as a whole)."""
    if limit is not None and queryset[: limit + 1].count() > limit:
        modeladmin.message_user(
            request,
            f"{title}: select at most {limit} {modeladmin.opts.verbose_name_plural} at a time.",
            messages.ERROR,
        )
        return None
    form = None
    if form_class is not None or confirm:
        form_class = form_class or ConfirmForm
        if "apply" not in request.POST:
            return _action_page(
                modeladmin, request, queryset, form_class(), title, intro, extra, template
            )
        form = form_class(request.POST)
        if not form.is_valid():
            return _action_page(modeladmin, request, queryset, form, title, intro, extra, template)
    data = form.cleaned_data if form is not None else {}
    done, unchanged, refused = 0, 0, []
    for obj in queryset:
        try:
            result = apply(obj, data)
        except ValidationError as exc:
            refused.append(f"{label(obj)}: {' '.join(exc.messages)}")
            continue
        count = int(result) if isinstance(result, int) else 1
        done += count
        unchanged += not count
    if done or not refused:
        message = done_message(done) if done_message else f"{title}: {done} done."
        modeladmin.message_user(request, message, messages.SUCCESS if done else messages.INFO)
    if unchanged:
        modeladmin.message_user(
            request, f"{title}: {unchanged} needed nothing (already done).", messages.INFO
        )
    if refused:
        modeladmin.message_user(
            request, f"Refused {len(refused)}: " + " | ".join(refused), messages.ERROR
        )
    return None


def _action_page(modeladmin, request, queryset, form, title, intro, extra, template):
    if callable(extra):
        extra = extra()
    selected = list(queryset[: ACTION_PAGE_LIST_LIMIT + 1])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "opts": modeladmin.opts,
        "objects": selected[:ACTION_PAGE_LIST_LIMIT],
        "more_objects": len(selected) > ACTION_PAGE_LIST_LIMIT,
        "action_name": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "selected_ids": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        **(extra or {}),
    }
    return TemplateResponse(request, template, context)
