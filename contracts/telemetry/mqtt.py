"""The MQTT bridge: records published on a broker go into the ingest service of
`POST /api/v1/telemetry/{stream}/` (`telemetry_ingest`: the same validation, idempotency and
refusals), in micro-batches.

- The bridge holds one contract's **ingest key** (the hashed keys officials issue and revoke
  in the admin). It subscribes to `<prefix>/+` (`ppp/telemetry/<stream code>`); a message is
  NDJSON, one record or several lines (gzip allowed: its first bytes say so). A topic whose
  code is not a stream of the key's contract is refused, like the API's 404.
- Messages are buffered and ingested every `batch_records` records or `batch_seconds` after
  the oldest buffered message arrived, whichever comes first: the plain messages of one stream
  as one batch (one COPY, one transaction), each gzip message alone.
- **A refused batch is ingested again message by message**: the valid messages are stored,
  each refused one is reported alone with its own line numbers, so one bad message never
  takes the others with it. A message is accepted or refused whole, as a batch of the API is.
- Before every batch the key is checked again: revoked (or deleted), the bridge stops
  (`KeyRefused`) and ingests nothing more; the records it held are logged as not ingested.
- Results go to `<prefix>/<stream>/accepted` (`{"received", "new", "duplicates",
  "messages"}`) and `<prefix>/<stream>/refused` (`{"detail", "errors": [{"line", "field",
  "message"}], "sha256", "records"}`, `sha256` of the refused message, so its sender finds it),
  and to the log.
- `stop()` (SIGTERM, Ctrl-C in the command) ends the loop: the bridge unsubscribes, ingests
  what it holds and what already arrived, waits for its reports to be published, disconnects.

Delivery: the bridge subscribes with QoS 1 and acknowledges a message when it is buffered;
a bridge killed without a chance to flush (SIGKILL, power) loses at most its buffer. Senders
that need certainty send again: records are identified by their key, so a record sent twice
is stored once and counted as a duplicate.

The network runs in paho's thread; the database only in the thread that calls `run()`.
"""

import contextlib
import hashlib
import io
import logging
import queue
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import orjson
import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import translation
from django.utils.translation import gettext as _

from contracts.models import IngestKey, TelemetryStream
from contracts.telemetry.ingest import BatchRefused, IngestResult, max_batch_bytes, telemetry_ingest
from contracts.telemetry.keys import ingest_key_authenticate

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "ppp/telemetry"
GZIP_MAGIC = b"\x1f\x8b"
NDJSON = "application/x-ndjson"
CONNECT_TIMEOUT = 10.0
PUBLISH_TIMEOUT = 5.0
POLL_SECONDS = 0.2  # how often the loop looks at stop() while nothing arrives


class BridgeError(Exception):
    """The bridge cannot run (broker unreachable, bad broker URL, connection refused)."""


class KeyRefused(BridgeError):
    """The ingest key is unknown or revoked: the bridge ingests nothing more."""


@dataclass(frozen=True)
class Broker:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def broker_parse(url: str) -> Broker:
    """`mqtt://[user:password@]host[:port]` (1883) or `mqtts://…` (TLS, 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise BridgeError(
            _("The broker URL must start with mqtt:// or mqtts:// (got %(url)s).") % {"url": url}
        )
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise BridgeError(_("The broker URL has no valid port: %(url)s.") % {"url": url}) from None
    return Broker(
        host=parts.hostname or "127.0.0.1",
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


@dataclass
class _Message:
    stream: str
    payload: bytes

    @property
    def records(self) -> int:
        """Lines: records, near enough to decide when to ingest (blank lines are skipped)."""
        if self.gzip:
            return 1
        return self.payload.count(b"\n") + (not self.payload.endswith(b"\n"))

    @property
    def gzip(self) -> bool:
        return self.payload[:2] == GZIP_MAGIC

    def body(self) -> bytes:
        return self.payload if self.payload.endswith(b"\n") else self.payload + b"\n"


@dataclass
class Totals:
    received: int = 0
    new: int = 0
    duplicates: int = 0
    refused_messages: int = 0
    batches: int = 0

    def as_dict(self) -> dict:
        return dict(vars(self))


def _key_refused(records: int) -> KeyRefused:
    return KeyRefused(
        _(
            "The ingest key is unknown or revoked: the bridge stops (%(records)d buffered "
            "records not ingested)."
        )
        % {"records": records}
    )


class TelemetryBridge:
    """One contract's bridge: `run()` until `stop()` (or `max_seconds`)."""

    def __init__(
        self,
        *,
        key: str,
        broker: Broker,
        prefix: str = DEFAULT_PREFIX,
        batch_records: int = 1000,
        batch_seconds: float = 2.0,
        qos: int = 1,
        client_id: str | None = None,
    ):
        if batch_records < 1 or batch_seconds <= 0:
            raise BridgeError(_("Batches need at least one record and a time above zero."))
        self.raw_key = key
        self.key: IngestKey = self._authenticate(records=0)
        self.broker = broker
        self.prefix = prefix.rstrip("/")
        self.batch_records = batch_records
        self.batch_seconds = batch_seconds
        self.qos = qos
        # The caller's language, for the messages paho's thread logs too (a thread's own).
        self.language = translation.get_language()
        self.totals = Totals()
        self._inbox: queue.Queue[_Message] = queue.Queue()
        self._buffer: list[_Message] = []
        self._buffered_records = self._buffered_bytes = 0
        self._oldest: float | None = None
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._unsubscribed = threading.Event()
        self._connect_error: str | None = None
        self._published: list[mqtt.MQTTMessageInfo] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"ppp-telemetry-{self.key.prefix}-{secrets.token_hex(3)}",
        )
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self._connected = False

    # -- the network thread -------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self._connect_error = str(reason_code)
            self._subscribed.set()  # wakes connect(), which reports the error
            return
        with translation.override(self.language):
            logger.info(
                _("MQTT bridge of %(contract)s connected to %(broker)s, subscribing to %(topic)s"),
                {"contract": self.key.contract.code, "broker": self.broker, "topic": self.topic},
            )
        client.subscribe(self.topic, qos=self.qos)  # again after a reconnection

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if any(code.is_failure for code in reason_codes):
            with translation.override(self.language):
                self._connect_error = _("the broker refused the subscription to %(topic)s") % {
                    "topic": self.topic
                }
        self._subscribed.set()

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties):
        self._unsubscribed.set()

    def _on_message(self, client, userdata, message):
        code = message.topic[len(self.prefix) + 1 :]
        if message.payload.strip():
            self._inbox.put(_Message(code, message.payload))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if not self._stop.is_set():
            with translation.override(self.language):
                logger.warning(
                    _("MQTT bridge disconnected from %(broker)s (%(reason)s): reconnecting"),
                    {"broker": self.broker, "reason": reason_code},
                )

    # -- the caller's thread ------------------------------------------------------------

    @property
    def topic(self) -> str:
        return f"{self.prefix}/+"

    def _authenticate(self, *, records: int) -> IngestKey:
        key = ingest_key_authenticate(self.raw_key)
        if key is None:
            raise _key_refused(records)
        return key

    def connect(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect and subscribe (returns once the broker confirmed the subscription)."""
        if self._connected:
            return
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        except OSError as exc:
            raise BridgeError(
                _("Cannot reach the MQTT broker at %(broker)s: %(error)s")
                % {"broker": self.broker, "error": exc}
            ) from None
        self.client.loop_start()
        self._connected = True
        if not self._subscribed.wait(timeout) or self._connect_error:
            error = self._connect_error or _("no answer in %(n)d s") % {"n": timeout}
            self.close()
            raise BridgeError(
                _("The MQTT broker at %(broker)s refused the bridge: %(error)s")
                % {"broker": self.broker, "error": error}
            )

    def stop(self) -> None:
        """Ask `run()` to finish: it ingests what it holds, then returns (signal-safe)."""
        self._stop.set()

    def run(self, *, max_seconds: float | None = None) -> Totals:
        """Ingest until `stop()` or `max_seconds`; returns the totals. Raises KeyRefused when
        the key is revoked, BridgeError when the broker cannot be reached."""
        self.connect()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                wait = POLL_SECONDS
                if self._oldest is not None:
                    wait = min(wait, max(0.0, self._oldest + self.batch_seconds - now))
                if deadline is not None:
                    wait = min(wait, deadline - now)
                with contextlib.suppress(queue.Empty):
                    self._take(self._inbox.get(timeout=wait))
                if self._due():
                    self.flush()
            self._unsubscribe()
            self._drain()
            self.flush()
        finally:
            self.close()
        return self.totals

    def _due(self) -> bool:
        if not self._buffer:
            return False
        return (
            self._buffered_records >= self.batch_records
            or time.monotonic() - self._oldest >= self.batch_seconds
        )

    def _take(self, message: _Message) -> None:
        if self._buffer and self._buffered_bytes + len(message.payload) > max_batch_bytes():
            self.flush()  # one batch stays within TELEMETRY_MAX_BATCH_BYTES
        if self._oldest is None:
            self._oldest = time.monotonic()
        self._buffer.append(message)
        self._buffered_records += message.records
        self._buffered_bytes += len(message.payload)

    def _drain(self) -> None:
        while True:
            try:
                self._take(self._inbox.get_nowait())
            except queue.Empty:
                return

    def _unsubscribe(self) -> None:
        if self._connected and self.client.is_connected():
            self._unsubscribed.clear()
            self.client.unsubscribe(self.topic)
            self._unsubscribed.wait(PUBLISH_TIMEOUT)

    def close(self) -> None:
        """Wait for the reports to be published, then disconnect."""
        if not self._connected:
            return
        self._stop.set()
        for info in self._published:
            # RuntimeError, ValueError: not connected any more, nothing to wait for
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(PUBLISH_TIMEOUT)
        self._published.clear()
        self.client.disconnect()
        self.client.loop_stop()
        self._connected = False

    def flush(self) -> None:
        """Ingest the buffered messages now (the key checked first)."""
        if not self._buffer:
            return
        messages, held = self._buffer, self._buffered_records
        self._buffer, self._buffered_records, self._buffered_bytes = [], 0, 0
        self._oldest = None
        if not connection.in_atomic_block:  # a long-running process: a fresh connection
            close_old_connections()
        key = self._authenticate(records=held)
        streams = {
            s.code: s
            for s in TelemetryStream.objects.select_related("contract").filter(
                contract_id=key.contract_id, code__in={m.stream for m in messages}
            )
        }
        by_stream: dict[str, list[_Message]] = defaultdict(list)
        for message in messages:
            by_stream[message.stream].append(message)
        for code, group in by_stream.items():
            stream = streams.get(code)
            if stream is None:
                detail = _("The key's contract has no stream %(code)s.") % {"code": code}
                for message in group:
                    self._refused(code, message, BatchRefused(detail))
                continue
            plain = [m for m in group if not m.gzip]
            if plain:
                self._ingest(stream, plain)
            for message in group:
                if message.gzip:
                    self._ingest(stream, [message])

    def _ingest(self, stream: TelemetryStream, messages: list[_Message]) -> None:
        body = b"".join(m.body() for m in messages) if len(messages) > 1 else messages[0].payload
        try:
            result = telemetry_ingest(
                stream=stream,
                body=io.BytesIO(body),
                content_type=NDJSON,
                content_encoding="gzip" if messages[0].gzip else "",
            )
        except BatchRefused as exc:
            if len(messages) == 1:
                self._refused(stream.code, messages[0], exc)
                return
            # One message spoils the batch: each alone, so the valid ones are stored.
            for message in messages:
                self._ingest(stream, [message])
            return
        self._accepted(stream.code, result, len(messages))

    def _accepted(self, code: str, result: IngestResult, messages: int) -> None:
        self.totals.received += result.received
        self.totals.new += result.new
        self.totals.duplicates += result.duplicates
        self.totals.batches += 1
        logger.info(
            _("%(stream)s: %(received)d received, %(new)d new, %(duplicates)d duplicates"),
            {"stream": code, **result.as_dict()},
        )
        self._publish(f"{self.prefix}/{code}/accepted", {**result.as_dict(), "messages": messages})

    def _refused(self, code: str, message: _Message, exc: BatchRefused) -> None:
        self.totals.refused_messages += 1
        report = {
            "detail": str(exc.detail),
            "errors": exc.errors,
            "sha256": hashlib.sha256(message.payload).hexdigest(),
            "records": message.records,
        }
        logger.warning(
            _("%(stream)s: message %(sha256)s refused: %(detail)s"),
            {"stream": code, "sha256": report["sha256"][:12], "detail": report["detail"]},
        )
        self._publish(f"{self.prefix}/{code}/refused", report)

    def _publish(self, topic: str, document: dict) -> None:
        self._published = [info for info in self._published if not info.is_published()]
        self._published.append(self.client.publish(topic, orjson.dumps(document), qos=self.qos))


def telemetry_bridge(*, key: str, broker: Broker | None = None, **options) -> TelemetryBridge:
    """A bridge for the key's contract on `broker` (default: `TELEMETRY_MQTT_URL`);
    KeyRefused for an unknown or revoked key."""
    return TelemetryBridge(
        key=key, broker=broker or broker_parse(settings.TELEMETRY_MQTT_URL), **options
    )
