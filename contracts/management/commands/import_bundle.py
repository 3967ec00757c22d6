import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contracts.bundles import BundleInvalid, bundles_import


class Command(BaseCommand):
    help = (
        "Validate ppp-bundle/1 files, then import them all in one transaction. "
        "On any error nothing is written and every error is printed with its JSON path."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")

    def handle(self, *args, files, dry_run, **options):
        documents, unreadable = [], []
        for name in files:
            try:
                documents.append((name, json.loads(Path(name).read_text(encoding="utf-8"))))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                unreadable.append(f"{name}: $: cannot be read as JSON: {exc}")
        if unreadable:
            raise CommandError("\n".join(unreadable))
        try:
            results = bundles_import(documents=documents, dry_run=dry_run)
        except BundleInvalid as exc:
            raise CommandError("\n".join(str(e) for e in exc.errors)) from None
        for (name, _), result in zip(documents, results, strict=True):
            action = "created" if result.contract_created else "updated"
            counts = ", ".join(f"{n} {what}" for what, n in sorted(result.counts.items()))
            self.stdout.write(
                f"{name}: contract {result.contract.code} {action}"
                + (f" ({counts})" if counts else "")
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("dry run: valid, nothing written"))
