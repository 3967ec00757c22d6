"""`load_telemetry`: files into a stream through the ingest service, with a progress bar."""

import gzip
import io

import pytest
from django.core.management import CommandError, call_command

from tests.telemetry.conftest import ndjson, stored

pytestmark = pytest.mark.django_db

RECORDS = [
    {"device": f"gauge-{d}", "ts": f"2026-07-01T08:{m:02d}:00+08:00", "level_cm": m}
    for d in range(3)
    for m in range(0, 60, 5)
]


def test_files_load_with_progress_and_counts(telemetry, tmp_path):
    # given: an NDJSON file, the same records gzipped, and a CSV file
    plain = tmp_path / "a.ndjson"
    plain.write_bytes(ndjson(RECORDS))
    zipped = tmp_path / "b.ndjson.gz"
    zipped.write_bytes(gzip.compress(ndjson(RECORDS)))
    table = tmp_path / "c.csv"
    table.write_text("device,ts,level_cm\ngauge-9,2026-07-02T00:00:00+08:00,3\n")
    out, err = io.StringIO(), io.StringIO()
    # when
    call_command(
        "load_telemetry", str(plain), str(zipped), str(table), contract=telemetry.contract.code,
        stream="water-level", stdout=out, stderr=err,
    )  # fmt: skip
    # then
    assert out.getvalue().splitlines() == [
        f"{plain}: 36 received, 36 new, 0 duplicates",
        f"{zipped}: 36 received, 0 new, 36 duplicates",
        f"{table}: 1 received, 1 new, 0 duplicates",
        "total: 73 received, 37 new, 36 duplicates",
    ]
    assert "] 100%" in err.getvalue()
    assert stored() == 37


def test_a_refused_file_prints_its_errors_and_writes_nothing(telemetry, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(ndjson(RECORDS[:2]) + b'{"device": "g", "ts": "2026-07-01T08:00:00"}\n')
    with pytest.raises(CommandError) as refused:
        call_command(
            "load_telemetry", str(bad), contract=telemetry.contract.code, stream="water-level",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert f"{bad}:3: ts: a naive timestamp" in str(refused.value)
    assert stored() == 0


def test_unknown_stream_or_file_kind_is_refused(telemetry, tmp_path):
    data = tmp_path / "a.txt"
    data.write_text("x")
    with pytest.raises(CommandError, match="no stream"):
        call_command("load_telemetry", str(data), contract="NOPE", stream="water-level")
    with pytest.raises(CommandError, match=r"\.ndjson, \.jsonl or \.csv"):
        call_command(
            "load_telemetry", str(data), contract=telemetry.contract.code, stream="water-level"
        )
