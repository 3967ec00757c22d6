import json

from django.core.management.base import BaseCommand, CommandError

from contracts.bundles import bundle_export
from contracts.models import Contract


class Command(BaseCommand):
    help = "Print a contract as a ppp-bundle/1 document."

    def add_arguments(self, parser):
        parser.add_argument("--contract", required=True, metavar="CODE")

    def handle(self, *args, contract, **options):
        found = (
            Contract.objects.select_related("project__city", "government_party", "private_party")
            .filter(code=contract)
            .first()
        )
        if found is None:
            raise CommandError(f"no contract with code {contract!r}")
        self.stdout.write(json.dumps(bundle_export(contract=found), ensure_ascii=False, indent=2))
