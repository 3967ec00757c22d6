"""Print a new API token for a user (django-rest-knox: stored hashed, so shown only now)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it expires after API_TOKEN_HOURS)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {username!r}") from exc
        instance, token = AuthToken.objects.create(
            user=user, expiry=settings.REST_KNOX["TOKEN_TTL"]
        )
        self.stdout.write(token)
        self.stderr.write(f"expires {instance.expiry.isoformat()}")
