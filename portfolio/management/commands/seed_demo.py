from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portfolio.demo_seed import demo_is_seeded, demo_seed


class Command(BaseCommand):
    help = "Load the demo smart-city PPP portfolio and demo users (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )
        parser.add_argument(
            "--skip-if-seeded", action="store_true", help="do nothing if the demo users exist"
        )

    def handle(self, *args, force, skip_if_seeded, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: seed_demo creates accounts with a published password. "
                "Use --force only on a machine that is not production."
            )
        if skip_if_seeded and demo_is_seeded():
            self.stdout.write("Demo portfolio already loaded.")
            return
        summary = demo_seed(today=timezone.localdate())
        self.stdout.write(
            f"Demo portfolio loaded: {summary.contracts} contracts, "
            f"{summary.calculations} payment calculations, {summary.open_periods} open periods."
        )
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username in summary.usernames:
            self.stdout.write(f"  {username}")
