"""The WSGI application. Without DJANGO_SETTINGS_MODULE: the production settings, which
refuse to start without their required variables (never the local ones)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.production")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
