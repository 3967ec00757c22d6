"""The MQTT bridge against the real broker (mosquitto, TELEMETRY_MQTT_URL): records published
are stored through the ingest service, duplicates once; a bad message is refused alone, with
its line and field on the refused topic, and the others are stored; a revoked key stops the
bridge; SIGTERM ingests what is buffered. Each test has its own topic prefix."""

import hashlib
import os
import signal
import threading
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command

from contracts.telemetry.keys import ingest_key_revoke
from contracts.telemetry.mqtt import (
    BridgeError,
    Broker,
    KeyRefused,
    broker_parse,
    telemetry_bridge,
)
from tests.telemetry.conftest import ndjson, stored

pytestmark = pytest.mark.django_db

mqtt_only = pytest.mark.mqtt


def record(minute: int, level: float = 12.5, **extra) -> dict:
    return {
        "device": "gauge-1",
        "ts": f"2026-01-05T08:{minute:02d}:00+08:00",
        "level_cm": level,
        **extra,
    }


@pytest.fixture
def prefix():
    return f"ppp-test/{uuid.uuid4().hex[:10]}/telemetry"


def _client() -> mqtt.Client:
    from django.conf import settings

    broker = broker_parse(settings.TELEMETRY_MQTT_URL)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


@pytest.fixture
def publish():
    """publish(topic, payload): sent with QoS 1, returns once the broker has it."""
    client = _client()

    def send(topic: str, payload: bytes) -> None:
        client.publish(topic, payload, qos=1).wait_for_publish(5)

    yield send
    client.disconnect()
    client.loop_stop()


class Reports(dict):
    """Topic → the documents received on it, in order."""

    def wait(self, topic: str, n: int = 1) -> list[dict]:
        """The documents of `topic` once there are `n` (or after 5 s)."""
        for _ in range(50):
            if len(self.get(topic, [])) >= n:
                break
            time.sleep(0.1)
        return self.get(topic, [])


@pytest.fixture
def reports(prefix):
    """What the bridge publishes on <prefix>/<stream>/accepted and /refused."""
    received = Reports()
    subscribed = threading.Event()
    client = _client()
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_message = lambda c, u, m: received.setdefault(m.topic, []).append(
        orjson.loads(m.payload)
    )
    client.subscribe(f"{prefix}/+/+", qos=1)
    assert subscribed.wait(5)
    yield received
    client.disconnect()
    client.loop_stop()


def bridge_for(telemetry, prefix, **options):
    options = {"batch_records": 1000, "batch_seconds": 0.3, **options}
    bridge = telemetry_bridge(key=telemetry.secret, prefix=prefix, **options)
    bridge.connect()
    return bridge


@mqtt_only
def test_published_records_are_stored_and_a_duplicate_counted_once(
    telemetry, prefix, publish, reports, english
):
    # given: a bridge subscribed; one message of three lines, one of one record, and that
    # one again
    bridge = bridge_for(telemetry, prefix)
    topic = f"{prefix}/water-level"
    publish(topic, ndjson([record(0), record(5), record(10, status="ok")]))
    single = orjson.dumps(record(15))  # one record, no final newline
    publish(topic, single)
    publish(topic, single)
    # when
    totals = bridge.run(max_seconds=1.5)
    # then
    assert stored() == 4
    assert (totals.received, totals.new, totals.duplicates, totals.refused_messages) == (5, 4, 1, 0)
    accepted = reports.wait(f"{topic}/accepted")
    assert sum(r["received"] for r in accepted) == 5
    assert sum(r["new"] for r in accepted) == 4
    assert sum(r["duplicates"] for r in accepted) == 1
    assert f"{topic}/refused" not in reports


@mqtt_only
def test_a_bad_message_is_refused_alone_with_its_line_and_field(
    telemetry, prefix, publish, reports, english
):
    # given: a good message, a bad one (its second line has a naive time), a good one
    bridge = bridge_for(telemetry, prefix)
    topic = f"{prefix}/water-level"
    bad = ndjson([record(20), {"device": "gauge-1", "ts": "2026-01-05T08:25:00"}])
    publish(topic, ndjson([record(0), record(5)]))
    publish(topic, bad)
    publish(topic, ndjson([record(10)]))
    # when: all three in one batch, which the bad message spoils
    totals = bridge.run(max_seconds=1.5)
    # then: the good messages' records are stored, the bad one refused whole, with its line
    assert stored() == 3
    assert (totals.new, totals.refused_messages) == (3, 1)
    (refused,) = reports.wait(f"{topic}/refused")
    assert refused["sha256"] == hashlib.sha256(bad).hexdigest()
    assert refused["records"] == 2
    assert [(e["line"], e["field"]) for e in refused["errors"]] == [(2, "ts")]
    assert "naive" in refused["errors"][0]["message"]
    assert "nothing was written" in refused["detail"]


@mqtt_only
def test_a_stream_the_contract_does_not_have_is_refused(
    telemetry, prefix, publish, reports, english
):
    bridge = bridge_for(telemetry, prefix)
    publish(f"{prefix}/no-such-stream", ndjson([record(0)]))
    totals = bridge.run(max_seconds=1.0)
    assert (stored(), totals.refused_messages) == (0, 1)
    (refused,) = reports.wait(f"{prefix}/no-such-stream/refused")
    assert refused["detail"] == "The key's contract has no stream no-such-stream."


@mqtt_only
def test_a_batch_is_ingested_every_n_records(telemetry, prefix, publish):
    # given: batches of 2 records, no time limit to speak of
    bridge = bridge_for(telemetry, prefix, batch_records=2, batch_seconds=60)
    for minute in (0, 5, 10):
        publish(f"{prefix}/water-level", orjson.dumps(record(minute)))
    # when
    totals = bridge.run(max_seconds=1.5)
    # then: one batch of two, the last record when the bridge stopped
    assert (stored(), totals.batches) == (3, 2)


@mqtt_only
def test_a_revoked_key_stops_ingestion(telemetry, prefix, publish, english):
    # given: a bridge running with the key, which an official then revokes
    bridge = bridge_for(telemetry, prefix)
    ingest_key_revoke(key=telemetry.key, user=telemetry.preparer)
    publish(f"{prefix}/water-level", ndjson([record(0), record(5)]))
    # when / then: the batch is not ingested, the bridge stops
    with pytest.raises(KeyRefused, match="2 buffered records not ingested"):
        bridge.run(max_seconds=5)
    assert stored() == 0
    # and a bridge with the revoked key does not start
    with pytest.raises(KeyRefused):
        telemetry_bridge(key=telemetry.secret, prefix=prefix)


@mqtt_only
def test_sigterm_ingests_the_buffer_then_the_command_exits(telemetry, prefix, capsys):
    # given: the command with batches it would not send by itself for a minute
    topic = f"{prefix}/water-level"
    payload = ndjson([record(0), record(5)])

    def sender():
        client = _client()
        while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # the command's handler
            time.sleep(0.05)
        for _ in range(8):  # sent again and again: the bridge subscribes at some point
            client.publish(topic, payload, qos=1).wait_for_publish(5)
            time.sleep(0.1)
        client.disconnect()
        client.loop_stop()
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=sender)
    started = time.monotonic()
    thread.start()
    # when
    call_command(
        "telemetry_mqtt",
        key=telemetry.secret,
        prefix=prefix,
        batch_records=100_000,
        batch_seconds=60,
        max_seconds=30,
        language="en",
    )
    thread.join(5)
    # then: stopped by the signal, long before its time limit, with the records stored once
    assert time.monotonic() - started < 20
    assert stored() == 2
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the command's handler is gone
    assert " received, 2 new, " in capsys.readouterr().out


def test_an_unreachable_broker_is_an_error_naming_it(telemetry, english):
    bridge = telemetry_bridge(key=telemetry.secret, broker=Broker(host="127.0.0.1", port=9))
    with pytest.raises(BridgeError, match=r"Cannot reach the MQTT broker at mqtt://127\.0\.0\.1:9"):
        bridge.connect()


def test_broker_urls():
    assert broker_parse("mqtts://bridge:s%40cret@mq.example:8884") == Broker(
        host="mq.example", port=8884, username="bridge", password="s@cret", tls=True
    )
    assert broker_parse("mqtt://10.0.0.5") == Broker(host="10.0.0.5", port=1883)
    with pytest.raises(BridgeError):
        broker_parse("http://10.0.0.5")


def test_the_bridge_speaks_the_sites_language_by_default(telemetry):
    # given: no language chosen (the site's: zh-Hans), a key that does not exist
    with pytest.raises(KeyRefused) as caught:
        telemetry_bridge(key="ppp_ik_00000000_nothing", broker=Broker())
    assert "接入密钥不存在或已吊销" in str(caught.value)
