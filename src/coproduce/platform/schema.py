"""A new, empty database's schema in one step: the demo's first start.

`migrate` on a new database replays every migration (Django's and ours), re-rendering the
models' history for each one: ~5.5 s of CPU on a 2-core machine before the demo can seed, 0.3 s
this way (bench/bench_fresh_schema.py). On a database
with no tables the result is known in advance -- the schema of the current models -- so
`create_fresh()` builds that schema directly (as Django's test runner does for apps without
migrations), records the migrations as applied exactly as the executor records them (squashed
ones with the migrations they replace), runs the one operation whose effect is not in the
models (audit's append-only triggers) and sends pre/post_migrate, so content types and
permissions are made as `migrate` makes them. tests/platform/test_fresh_schema.py checks that
the result equals a real `migrate` on SQLite and PostgreSQL.

Any migration holding code this module does not know (a RunPython or RunSQL not listed in
`KNOWN_CODE`, or an operation class outside Django's schema operations) makes it return False
and the caller runs `migrate` as usual: the fast path can only be skipped, never wrong. Only
the demo uses it; deployments run `migrate` (docs/deployment.md).
"""

from __future__ import annotations

from typing import cast

from django.apps import apps as global_apps
from django.conf import settings
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import migrations, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.utils.module_loading import import_string

# Operations whose whole effect on an empty database is the final models' schema.
SCHEMA_OPERATIONS = (
    migrations.CreateModel,
    migrations.DeleteModel,
    migrations.RenameModel,
    migrations.AlterModelTable,
    migrations.AlterModelTableComment,
    migrations.AlterUniqueTogether,
    migrations.AlterIndexTogether,
    migrations.AlterOrderWithRespectTo,
    migrations.AlterModelOptions,
    migrations.AlterModelManagers,
    migrations.AddField,
    migrations.RemoveField,
    migrations.AlterField,
    migrations.RenameField,
    migrations.AddIndex,
    migrations.RemoveIndex,
    migrations.RenameIndex,
    migrations.AddConstraint,
    migrations.RemoveConstraint,
    migrations.AlterConstraint,
)

# Code in migrations, by (app, migration): "data" changes existing rows only (nothing to do on an
# empty database); "run" (RunPython only) changes the schema beyond the models and is run
# after the tables exist.
KNOWN_CODE: dict[tuple[str, str], str] = {
    ("contenttypes", "0002_remove_content_type_name"): "data",
    ("auth", "0011_update_proxy_permissions"): "data",
    ("django_tasks_database", "0008_separate_results_field"): "data",
    ("django_tasks_database", "0011_rename_complete_status"): "data",
    ("django_tasks_database", "0013_separate_exception_fields"): "data",
    ("django_tasks_database", "0016_remove_dbtaskresult_django_task_new_ordering_idx_and_more"): (
        "data"
    ),
    ("django_tasks_database", "0018_rename_succeeded_status"): "data",
    ("audit", "0001_squashed_0004_defaults_from_the_application_clock"): "run",
    ("careplans", "0004_updated_at"): "data",
    ("careplans", "0006_step_note_texts_decision_params"): "data",
    ("people", "0010_patient_updated_at"): "data",
    ("platform", "0001_notification_moved_from_safetynet"): "data",
    ("platform", "0002_workerheartbeat_moved_from_web"): "data",
    ("safetynet", "0003_notification_priority_claims_and_failure"): "data",
}


def create_fresh(connection: BaseDatabaseWrapper) -> bool:
    """Build the current schema on an empty database; False (nothing done) if it cannot."""
    if connection.introspection.table_names():
        return False
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    to_run: list[migrations.RunPython] = []
    for migration, backwards in plan:
        if backwards:
            return False
        key = (migration.app_label, migration.name)
        for operation in _database_operations(migration.operations):
            if isinstance(operation, migrations.RunPython | migrations.RunSQL):
                if key not in KNOWN_CODE:
                    return False
                if KNOWN_CODE[key] == "run":
                    if not isinstance(operation, migrations.RunPython):
                        return False  # only Python code is run here; RunSQL takes migrate
                    to_run.append(operation)
            elif not isinstance(operation, SCHEMA_OPERATIONS):
                return False
    emit_pre_migrate_signal(0, False, connection.alias, apps=global_apps, plan=plan)
    models = [
        model
        for model in global_apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and router.allow_migrate_model(connection.alias, model)
    ]
    # django_migrations first (migrate copes with finding it alone), then one transaction where
    # the database can roll back DDL: a crash leaves no half-made schema behind.
    executor.recorder.ensure_schema()
    with connection.schema_editor() as editor:
        # The editor keeps foreign keys for the end, so the models' order does not matter.
        for model in models:
            editor.create_model(model)
            _through_keys_as_migrate_makes_them(editor, model)
        for operation in to_run:
            operation.code(cast(StateApps, global_apps), editor)
        # As the executor records them (its record_migration's signature differs between
        # Django 5.2 and 6): a squash as the migrations it replaces, then check_replacements()
        # adds the squash itself.
        for migration, _ in plan:
            for app_label, name in migration.replaces or [(migration.app_label, migration.name)]:
                executor.recorder.record_applied(app_label, name)
        executor.check_replacements()
    emit_post_migrate_signal(0, False, connection.alias, apps=global_apps, plan=plan)
    return True


def _database_operations(operations):
    """The operations that touch the database (a state-only move touches none)."""
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from _database_operations(operation.database_operations)
        else:
            yield operation


def _through_keys_as_migrate_makes_them(editor, model) -> None:
    """migrate builds an automatic many-to-many table's id from the project's DEFAULT_AUTO_FIELD
    (its model states have no app config to ask), the models from their app's: auth's group
    permissions get bigint from migrate and integer here on PostgreSQL. Make them as migrate
    does."""
    default = import_string(settings.DEFAULT_AUTO_FIELD)
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        old = through._meta.pk
        if not through._meta.auto_created or type(old) is default:
            continue
        new = default(primary_key=True, auto_created=True, serialize=False, verbose_name="ID")
        new.set_attributes_from_name(old.name)
        new.model = through
        editor.alter_field(through, old, new, strict=True)
