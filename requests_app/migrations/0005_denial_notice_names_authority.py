"""The denial notice names the authority where the person can complain (issue 9), and
says so differently when the denied request is an appeal.

Only rows that still hold the previous default text are updated: a template staff
edited is left as they wrote it (they are told in docs/law.md how to add the new
variables). Both texts are frozen here, so later changes to requests_app.notices do not
change what this migration does."""

from django.db import migrations

CODE = "denial"
OLD_DESCRIPTION = "Request denied. Extra: reason, explanation, appeal_note, appeal_url (empty without an appeal right)."
OLD_BODY = "We cannot fulfil your {{ request_type }} request.\n\nReason: {{ reason }}\n{% if explanation %}{{ explanation }}\n{% endif %}\nYour options: {{ appeal_note }}\n{% if appeal_url %}To appeal, use this form: {{ appeal_url }}\n{% endif %}\n{{ organisation }}\n"
NEW_DESCRIPTION = "Request or appeal denied. Extra: reason, explanation, appeal_note, appeal_url (empty without an appeal right or for an appeal)."
NEW_BODY = (
    "{% if is_appeal %}We reviewed your appeal and cannot change our decision.{% else %}We cannot fulfil your {{ request_type }} request.{% endif %}\n"
    "\n"
    "Reason: {{ reason }}\n"
    "{% if explanation %}{{ explanation }}\n"
    "{% endif %}\n"
    "{% if not is_appeal %}Your options: {{ appeal_note }}\n"
    "{% endif %}{% if appeal_url %}To appeal, use this form: {{ appeal_url }}\n"
    "{% endif %}{% if authority_name %}Where to complain: {{ authority_name }} — {{ authority_url }}\n"
    "{% if authority_how %}{{ authority_how }}\n"
    "{% endif %}{% endif %}\n"
    "{{ organisation }}\n"
)


def forward(apps, schema_editor):
    NoticeTemplate = apps.get_model("requests_app", "NoticeTemplate")
    NoticeTemplate.objects.filter(code=CODE, body=OLD_BODY).update(
        body=NEW_BODY, description=NEW_DESCRIPTION
    )


def backward(apps, schema_editor):
    NoticeTemplate = apps.get_model("requests_app", "NoticeTemplate")
    NoticeTemplate.objects.filter(code=CODE, body=NEW_BODY).update(
        body=OLD_BODY, description=OLD_DESCRIPTION
    )


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0004_rule_table_dated")]
    operations = [migrations.RunPython(forward, backward)]
