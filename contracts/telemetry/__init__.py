"""Telemetry (issue #17): streams of records the services send themselves (heartbeats,
readings, transactions), the ingest keys their systems authenticate with, ingestion and the
raw export. The models are re-exported from `contracts.models`."""
