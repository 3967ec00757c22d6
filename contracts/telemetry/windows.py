"""Telemetry time: a period or a contract's term is whole local days (`TIME_ZONE`,
Asia/Shanghai), so its records are those of the half-open UTC interval from the first day's
midnight to the midnight after the last (docs/telemetry.md, Records and periods)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def day_start(day: date) -> datetime:
    """The first instant of a local day, in UTC."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)


def period_window(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """`[start, end)` of the days `starts_on`…`ends_on`."""
    return day_start(starts_on), day_start(ends_on + timedelta(days=1))


def local_day(ts: datetime) -> date:
    return ts.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
