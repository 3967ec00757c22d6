"""Load telemetry files into a stream: the ingest service, file by file."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from contracts.models import TelemetryStream
from contracts.telemetry.ingest import BatchRefused, telemetry_ingest

TYPES = {".ndjson": "application/x-ndjson", ".jsonl": "application/x-ndjson", ".csv": "text/csv"}


class _Progress:
    """The files being read, as a bar of bytes read over their total size (stderr)."""

    def __init__(self, stream, total: int, width: int = 40):
        self.out, self.total, self.width, self.done = stream, max(total, 1), width, 0

    def advance(self, n: int) -> None:
        self.done += n
        filled = min(self.width, self.width * self.done // self.total)
        percent = min(100, 100 * self.done // self.total)
        self.out.write(f"[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}%", ending="\r")
        self.out.flush()

    def end(self) -> None:
        self.out.write("")


class _Counted:
    def __init__(self, file, progress: _Progress):
        self.file, self.progress = file, progress

    def read(self, n: int = -1) -> bytes:
        data = self.file.read(n)
        self.progress.advance(len(data))
        return data


class Command(BaseCommand):
    help = (
        "Load telemetry files (NDJSON .ndjson/.jsonl or CSV .csv, each optionally .gz) into a "
        "contract's stream, with a progress bar. Each file is one batch, accepted or refused "
        "whole like a POST to the API: on a refused file its first errors are printed with "
        "their lines and the command stops (files before it stay loaded; loading a file "
        "again counts its records as duplicates)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--contract", required=True, metavar="CODE")
        parser.add_argument("--stream", required=True, metavar="CODE")
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help="largest file accepted, decompressed (default: TELEMETRY_MAX_BATCH_BYTES, "
            f"{settings.TELEMETRY_MAX_BATCH_BYTES})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, files, contract, stream, max_bytes, no_progress, **options):
        found = (
            TelemetryStream.objects.select_related("contract")
            .filter(contract__code=contract, code=stream)
            .first()
        )
        if found is None:
            raise CommandError(f"no stream {stream!r} in contract {contract!r}")
        paths = [Path(name) for name in files]
        kinds = []
        for path in paths:
            suffixes = path.suffixes
            gzipped = bool(suffixes) and suffixes[-1] == ".gz"
            kind = TYPES.get(suffixes[-2] if gzipped and len(suffixes) > 1 else path.suffix)
            if kind is None:
                raise CommandError(f"{path}: name it .ndjson, .jsonl or .csv (optionally .gz)")
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            kinds.append((kind, "gzip" if gzipped else ""))
        show = not no_progress
        progress = _Progress(self.stderr, sum(os.path.getsize(p) for p in paths))
        totals = {"received": 0, "new": 0, "duplicates": 0}
        for path, (kind, encoding) in zip(paths, kinds, strict=True):
            with path.open("rb") as file, translation.override("en"):
                body = _Counted(file, progress) if show else file
                try:
                    result = telemetry_ingest(
                        stream=found,
                        body=body,
                        content_type=kind,
                        content_encoding=encoding,
                        max_bytes=max_bytes,
                    )
                except BatchRefused as exc:
                    if show:
                        progress.end()
                    lines = [f"{path}: {exc.detail}"] + [
                        f"{path}:{e['line']}: {e['field'] or '-'}: {e['message']}"
                        for e in exc.errors
                    ]
                    raise CommandError("\n".join(lines)) from None
            for name, count in result.as_dict().items():
                totals[name] += count
            if show:
                progress.end()
            self.stdout.write(
                f"{path}: {result.received} received, {result.new} new, "
                f"{result.duplicates} duplicates"
            )
        if len(paths) > 1:
            self.stdout.write(
                f"total: {totals['received']} received, {totals['new']} new, "
                f"{totals['duplicates']} duplicates"
            )
