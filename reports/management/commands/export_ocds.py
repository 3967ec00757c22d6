import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from contracts.models import Contract
from reports.ocds import ocds_release_package
from reports.selectors import ocds_contracts_data


class Command(BaseCommand):
    help = "Write contracts as an OCDS 1.1.5 release package (OCDS for PPPs profile)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--contract", metavar="CODE", help="one contract")
        which.add_argument("--all", action="store_true", help="every contract, one package")
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
        parser.add_argument(
            "--uri",
            help="where the package will be published (required with --all; default for one "
            "contract: its API address under OCDS_BASE_URL)",
        )

    def handle(self, *args, contract, all, output, uri, **options):
        contracts = Contract.objects.all() if all else Contract.objects.filter(code=contract)
        data = ocds_contracts_data(contracts=contracts)
        if contract and not data:
            raise CommandError(f"no contract with code {contract!r}")
        if uri is None:
            if all:
                raise CommandError("--uri is required with --all: where the file will be")
            query = urlencode({"contract": contract})
            uri = f"{settings.OCDS_BASE_URL}{reverse('ocds-releases')}?{query}"
        text = json.dumps(ocds_release_package(data, uri=uri), ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
        else:
            self.stdout.write(text)
