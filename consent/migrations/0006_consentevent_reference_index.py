"""An index on the ledger's ``reference`` (MessageSid, request reference), which staff
search in the admin: without it that search reads the whole ledger.

On PostgreSQL the index is built ``CONCURRENTLY``, so a ledger of millions of rows keeps
taking STOPs and grants while it builds (hence a non-atomic migration)."""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """``AddIndex``, built without locking writes where the database can do that."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.add_index(model, self.index, concurrently=True)
            else:
                schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.remove_index(model, self.index, concurrently=True)
            else:
                schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("consent", "0005_triggers_allow_unchanged_resave")]
    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="consentevent",
            index=models.Index(
                condition=models.Q(("reference", ""), _negated=True),
                fields=["reference"],
                name="consentevent_reference",
            ),
        ),
    ]
