"""Every task of the project has a route to one of the two queues (docs/scaling.md):
work someone waits on goes to "interactive", the long scheduled jobs to "sweeps", so a
night's retention sweep never holds up an opt-in prompt or a privacy request."""

from __future__ import annotations

from django.conf import settings

from config.celery import app

APPS = ("privacy.", "consent.", "requests_app.")


def _project_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {
        name
        for name in app.tasks
        if name.startswith(APPS) and ".tests." not in name and not name.startswith("celery.")
    }


def test_every_task_has_a_route_to_a_declared_queue():
    tasks = _project_tasks()
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert tasks, "no project task found"
    assert tasks - set(settings.CELERY_TASK_ROUTES) == set()
    # No route names a task that does not exist (a rename would silently lose it).
    assert set(settings.CELERY_TASK_ROUTES) - tasks == set()
    for name in tasks:
        assert settings.CELERY_TASK_ROUTES[name]["queue"] in queues, name
        # The router Celery itself uses agrees.
        assert (
            app.amqp.router.route({}, name)["queue"].name
            == settings.CELERY_TASK_ROUTES[name]["queue"]
        )


def test_scheduled_jobs_are_sweeps_but_the_outbox_relay():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        expected = "interactive" if entry["task"] == "privacy.tasks.outbox_relay" else "sweeps"
        assert settings.CELERY_TASK_ROUTES[entry["task"]]["queue"] == expected, entry["task"]


def test_a_worker_without_queues_consumes_both():
    assert {queue.name for queue in app.amqp.queues.values()} >= {"interactive", "sweeps"}
