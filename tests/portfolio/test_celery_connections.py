"""A worker keeps its database connection across tasks by Django's rules, not Celery's."""

from types import SimpleNamespace

import pytest
from django.db import connection

from portfolio.celery import close_old_database_connections


def task(is_eager: bool = False) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=is_eager))


@pytest.fixture
def conn_max_age():
    """Set CONN_MAX_AGE for connections opened from now on; the connection is closed after."""
    saved = connection.settings_dict["CONN_MAX_AGE"]

    def set_age(age):
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = age
        connection.ensure_connection()

    yield set_age
    connection.settings_dict["CONN_MAX_AGE"] = saved
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_connection_younger_than_conn_max_age_is_kept_across_tasks(conn_max_age):
    conn_max_age(60)
    opened = connection.connection
    close_old_database_connections(sender=task())
    assert connection.connection is opened


@pytest.mark.django_db(transaction=True)
def test_with_conn_max_age_0_the_connection_is_closed_after_every_task(conn_max_age):
    conn_max_age(0)
    close_old_database_connections(sender=task())
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_connection_left_outside_autocommit_is_closed(conn_max_age):
    conn_max_age(60)
    connection.set_autocommit(False)
    close_old_database_connections(sender=task())
    assert connection.connection is None


@pytest.mark.django_db
def test_an_eager_task_leaves_the_callers_connection_alone():
    connection.ensure_connection()
    opened = connection.connection
    close_old_database_connections(sender=task(is_eager=True))
    assert connection.connection is opened
