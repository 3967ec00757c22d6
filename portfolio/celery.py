"""The Celery app: `celery -A portfolio worker` starts a worker.

Without DJANGO_SETTINGS_MODULE it runs the production settings, like portfolio.wsgi and
portfolio.asgi: this module is imported first whenever the `portfolio` package is (its
__init__ loads the app), so a local default here would win over theirs. `make run` and the
tests name their settings; manage.py defaults to local (the developer's command)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.production")

app = Celery("portfolio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """Around every task, Django's rule for a web request: a connection is closed once it is
    older than CONN_MAX_AGE (`DATABASE_CONN_MAX_AGE`; 0, the default, closes it after every
    task), broken, or left outside autocommit. Celery's own fixup would close it every time
    (a new connection per task); `CELERY_DB_REUSE_MAX` makes it leave this to Django."""
    if getattr(sender.request, "is_eager", False):
        return  # run in the caller's process, maybe inside its transaction: not ours to close
    from django.db import close_old_connections

    close_old_connections()
