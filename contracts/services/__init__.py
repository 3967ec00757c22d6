"""Writes on contracts. Views, admin actions, commands and Celery tasks call these."""
