from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from contracts.bundles import BundleInvalid, bundles_import
from portfolio.jsonparse import JSONRefused, json_parse
from portfolio.models import User


class Command(BaseCommand):
    help = (
        "Validate ppp-bundle/1 files, then import them all in one transaction. "
        "On any error nothing is written and every error is printed with its JSON path. "
        "Without --as the import is a superuser's (any agency); with --as USER it follows "
        "the API's rules for that user (an official: their own agency only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USER",
            help="import as this user, within what the API allows them",
        )

    def handle(self, *args, **options):
        # Errors are printed in English: `path: reason` is the spec's interface for other tools.
        with translation.override("en"):
            self._import(**options)

    def _import(self, *, files, dry_run, username=None, **options):
        user = None
        if username is not None:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}")
        documents, unreadable = [], []
        for name in files:
            try:
                documents.append((name, json_parse(Path(name).read_bytes())))
            except OSError as exc:
                unreadable.append(f"{name}: $: cannot be read: {exc.strerror}")
            except JSONRefused as exc:
                unreadable.append(f"{name}: {exc.path}: {exc.reason}")
        if unreadable:
            raise CommandError("\n".join(unreadable))
        try:
            results = bundles_import(documents=documents, user=user, dry_run=dry_run)
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
