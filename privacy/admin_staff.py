"""Staff accounts in the admin, in place of django.contrib.auth's user admin.

Creating a user and changing its flags, groups or permissions go through
``privacy.services.staff.staff_user_save`` (an audit row in the same transaction). A user
who acted cannot be deleted — the admin says why and offers "Deactivate" — because every
audit event, certificate and request event must keep who acted."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse

from privacy.services.staff import (
    staff_user_deactivate,
    staff_user_deletion_refusal,
    staff_user_save,
)

User = get_user_model()

if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    actions = ["deactivate_users", "delete_users_who_never_acted"]

    # -- saving through the service --

    def save_model(self, request, obj, form, change):
        # Saved in save_related by the service, together with the groups and
        # permissions, so one audit row sees the whole change.
        pass

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data  # the add form has no groups or permissions: None, unchanged
        staff_user_save(
            actor=request.user,
            user=form.instance,
            groups=data.get("groups"),
            permissions=data.get("user_permissions"),
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # -- no deleting staff who acted --

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Replaced by delete_users_who_never_acted, which says why it refuses.
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, unquote(object_id))
        if user is not None:
            refusal = staff_user_deletion_refusal(user)
            if refusal:
                self.message_user(request, refusal, messages.ERROR)
                return redirect(reverse("admin:auth_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    @admin.action(description="Delete selected users (only those who never acted)…", permissions=["delete"])  # fmt: skip
    def delete_users_who_never_acted(self, request, queryset):
        refusals = [r for r in (staff_user_deletion_refusal(u) for u in queryset) if r]
        if refusals:
            self.message_user(request, " ".join(refusals), messages.ERROR)
            return None
        return delete_selected(self, request, queryset)

    @admin.action(description="Deactivate selected users (they keep their records)", permissions=["change"])  # fmt: skip
    def deactivate_users(self, request, queryset):
        done, refused = 0, []
        for user in queryset:
            try:
                done += staff_user_deactivate(actor=request.user, user=user)
            except ValidationError as exc:
                refused.append(f"User #{user.pk}: {' '.join(exc.messages)}")
        self.message_user(request, f"Deactivated {done} user(s).")
        if refused:
            self.message_user(request, " ".join(refused), messages.ERROR)
