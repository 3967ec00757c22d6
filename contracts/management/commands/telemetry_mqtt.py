"""The MQTT bridge of one contract (contracts/telemetry/mqtt.py): until SIGTERM or Ctrl-C."""

import dataclasses
import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from contracts.telemetry.mqtt import DEFAULT_PREFIX, BridgeError, broker_parse, telemetry_bridge


class Command(BaseCommand):
    help = (
        "Bridge an MQTT broker to a contract's telemetry streams: records published on "
        "<prefix>/<stream code> (NDJSON, one record or several lines a message) are ingested "
        "like a POST to /api/v1/telemetry/<stream>/, in batches of --batch-records records or "
        "--batch-seconds, whichever comes first. The ingest key (--key or TELEMETRY_MQTT_KEY) "
        "names the contract and is checked again before every batch: revoked, the bridge "
        "stops. Results are published on <prefix>/<stream>/accepted and .../refused. SIGTERM "
        "or Ctrl-C ingests what is buffered, then exits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default=None,
            help=f"broker URL (default: TELEMETRY_MQTT_URL, {settings.TELEMETRY_MQTT_URL})",
        )
        parser.add_argument("--host", default=None, help="broker host (overrides the URL's)")
        parser.add_argument("--port", type=int, default=None, help="broker port (overrides)")
        parser.add_argument(
            "--key", default=None, help="the contract's ingest key (default: TELEMETRY_MQTT_KEY)"
        )
        parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="topic prefix")
        parser.add_argument(
            "--batch-records", type=int, default=1000, help="ingest every N records (1000)"
        )
        parser.add_argument(
            "--batch-seconds",
            type=float,
            default=2.0,
            help="…or this long after the oldest buffered message arrived (2)",
        )
        parser.add_argument(
            "--qos", type=int, choices=[0, 1], default=1, help="subscription and reports (1)"
        )
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=None,
            help="stop after this many seconds (ingesting what is buffered); default: never",
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help="language of the logs and of the refusals published (default: the site's)",
        )

    def handle(self, *args, **options):
        raw = options["key"] or os.environ.get("TELEMETRY_MQTT_KEY", "")
        if not raw:
            raise CommandError("give the contract's ingest key: --key or TELEMETRY_MQTT_KEY")
        with translation.override(options["language"]):
            try:
                broker = broker_parse(options["url"] or settings.TELEMETRY_MQTT_URL)
                broker = dataclasses.replace(
                    broker,
                    host=options["host"] or broker.host,
                    port=options["port"] or broker.port,
                )
                bridge = telemetry_bridge(
                    key=raw,
                    broker=broker,
                    prefix=options["prefix"],
                    batch_records=options["batch_records"],
                    batch_seconds=options["batch_seconds"],
                    qos=options["qos"],
                )
                previous = {
                    sig: signal.signal(sig, lambda *_: bridge.stop())
                    for sig in (signal.SIGTERM, signal.SIGINT)
                }
                try:
                    totals = bridge.run(max_seconds=options["max_seconds"])
                finally:
                    for sig, handler in previous.items():
                        signal.signal(sig, handler)
            except BridgeError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(
            "{received} received, {new} new, {duplicates} duplicates, "
            "{refused_messages} messages refused, {batches} batches".format(**totals.as_dict())
        )
