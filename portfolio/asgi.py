"""The ASGI application. Without DJANGO_SETTINGS_MODULE: the production settings, which
refuse to start without their required variables (never the local ones)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.production")

from django.core.asgi import get_asgi_application

application = get_asgi_application()
