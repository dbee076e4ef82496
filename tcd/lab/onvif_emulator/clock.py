"""The camera's own clock: the system clock shifted by the offset kept in its settings.

A real camera keeps its own RTC; the lab device cannot change the machine's clock, so it keeps
an offset instead. Setting the time by hand moves the offset; an NTP "synchronisation" sets it
to 0 (the lab machine's clock is the lab's reference time).
"""

import re
import time
from datetime import UTC, datetime, timedelta

# POSIX TZ: std name, then an offset *west* of UTC ("CST-8" is UTC+8); DST rules are ignored
_POSIX_TZ = re.compile(r"^\s*(?:<[^>]+>|[A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?")


def now(offset_s: float) -> datetime:
    return datetime.fromtimestamp(time.time() + offset_s, tz=UTC)


def offset_for(device_utc: datetime) -> float:
    """The offset that makes the device clock read `device_utc` now."""
    return device_utc.timestamp() - time.time()


def local_time(utc: datetime, posix_tz: str) -> datetime:
    """Local wall time for a POSIX TZ string; unparsable zones count as UTC."""
    match = _POSIX_TZ.match(posix_tz)
    if not match:
        return utc
    sign, hours, minutes, seconds = match.groups()
    west = timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
    if sign == "-":
        west = -west
    return utc - west
