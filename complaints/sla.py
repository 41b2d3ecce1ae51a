"""Working-time arithmetic for response-time promises: when N working minutes after a moment end, and how
many working minutes lie between two moments, on a business calendar (working days and hours in a time zone,
minus holidays) or around the clock.

Pure functions on a frozen ``WorkingTime``; the only database access is ``working_time_for``, which loads a
calendar's holidays in one query. Each day's opening and closing are taken in the calendar's local wall time
and converted to aware datetimes, so the working hours stay 09:00-18:00 local across DST changes (the UTC
times shift by an hour). Every result is an aware datetime in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from complaints.models import BusinessCalendar

MINUTE = timedelta(minutes=1)
# A calendar without a single working day in this many consecutive days is treated as having none at all.
MAX_CLOSED_DAYS = 400


@dataclass(frozen=True)
class WorkingTime:
    """When the clock runs: ``always_open`` (24/7), or on ``days`` (0 = Monday) from ``opens`` to ``closes``
    local time in ``tz``, except on ``holidays`` (local dates)."""

    tz: ZoneInfo
    always_open: bool = True
    days: frozenset[int] = frozenset()
    opens: time = time(0, 0)
    closes: time = time(0, 0)
    holidays: frozenset[date] = frozenset()

    def check(self) -> None:
        """Raise ``ValueError`` when the calendar can never be open."""
        if self.always_open:
            return
        if not self.days & set(range(7)):
            raise ValueError("The business calendar has no working days.")
        if self.closes <= self.opens:
            raise ValueError("The business calendar closes before it opens.")

    def hours_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC opening and closing of the local ``day``, or ``None`` when it is not a working day.

        An opening or closing inside a DST gap is read with the offset before the change (``fold=0``), and one
        that repeats in the autumn at its first occurrence, so such a day never fails; a day that comes out
        empty that way is closed.
        """
        if day.weekday() not in self.days or day in self.holidays:
            return None
        opening = datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(UTC)
        closing = datetime.combine(day, self.closes, tzinfo=self.tz).astimezone(UTC)
        return (opening, closing) if closing > opening else None


ALWAYS_OPEN = WorkingTime(tz=ZoneInfo("UTC"))


def working_time_for(calendar: BusinessCalendar | None) -> WorkingTime:
    """The working time of ``calendar`` (``None``: around the clock); one query for its holidays."""
    if calendar is None or calendar.always_open:
        return ALWAYS_OPEN
    try:
        tz = ZoneInfo(calendar.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {calendar.time_zone!r} in business calendar {calendar.name!r}.") from exc
    return WorkingTime(
        tz=tz,
        always_open=False,
        days=frozenset(int(day) for day in calendar.working_days),
        opens=calendar.opens_at,
        closes=calendar.closes_at,
        holidays=frozenset(calendar.holidays.values_list("date", flat=True)),
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Working time needs aware datetimes.")
    return moment.astimezone(UTC)


def _days_from(wt: WorkingTime, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals (UTC) from the local day of ``moment`` on, endlessly; ``ValueError`` after
    ``MAX_CLOSED_DAYS`` closed days in a row."""
    day = moment.astimezone(wt.tz).date()
    closed = 0
    while True:
        hours = wt.hours_on(day)
        if hours is None:
            closed += 1
            if closed > MAX_CLOSED_DAYS:
                raise ValueError("The business calendar has no working time for over a year (all holidays?).")
        else:
            closed = 0
            yield hours
        day += timedelta(days=1)


def add_working_minutes(wt: WorkingTime, start: datetime, minutes: int) -> datetime:
    """The moment (UTC) when ``minutes`` working minutes after ``start`` have passed.

    Starting outside working time counts from the next opening (so 0 minutes gives that opening). Whole days
    are skipped at once: the cost grows with the number of calendar days spanned, not with the minutes.
    """
    if minutes < 0:
        raise ValueError("Working minutes cannot be negative.")
    current = _utc(start)
    if wt.always_open:
        return current + timedelta(minutes=minutes)
    wt.check()
    remaining = timedelta(minutes=minutes)
    for opening, closing in _days_from(wt, current):
        if closing <= current:
            continue
        current = max(current, opening)
        available = closing - current
        if remaining <= available:
            return current + remaining
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover - _days_from never ends


def working_minutes_between(wt: WorkingTime, start: datetime, end: datetime) -> int:
    """Whole working minutes (rounded down) from ``start`` to ``end``; 0 when ``end`` is not after ``start``."""
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        return 0
    if wt.always_open:
        return (finish - begin) // MINUTE
    wt.check()
    total = timedelta()
    last_day = finish.astimezone(wt.tz).date()
    day = begin.astimezone(wt.tz).date()
    while day <= last_day:
        hours = wt.hours_on(day)
        if hours is not None:
            opening, closing = hours
            overlap = min(closing, finish) - max(opening, begin)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total // MINUTE


# The steps whose duration is kept on a complaint: ``<step>_minutes`` and ``<step>_working_minutes``.
ELAPSED_STEPS = ("acknowledgement", "first_response", "resolution")


def working_time_of(calendar_id: int | None) -> WorkingTime:
    """The working time of the business calendar with this id (``None``, or a calendar since deleted: around
    the clock). No query for ``None``; otherwise the calendar and its holidays, two small queries."""
    if calendar_id is None:
        return ALWAYS_OPEN
    from complaints.models import BusinessCalendar

    return working_time_for(BusinessCalendar.objects.filter(pk=calendar_id).first())


def elapsed_minutes(wt: WorkingTime, start: datetime, end: datetime) -> tuple[int, int]:
    """Whole minutes from ``start`` to ``end`` on the clock and on ``wt``'s working time (0 when not after)."""
    begin, finish = _utc(start), _utc(end)
    return max(0, (finish - begin) // MINUTE), working_minutes_between(wt, begin, finish)


def elapsed_values(step: str, wt: WorkingTime | None, start: datetime, end: datetime | None) -> dict[str, int | None]:
    """The fields of ``step``'s duration from ``start`` to ``end`` (both ``None`` when ``end`` is ``None``)."""
    if step not in ELAPSED_STEPS:
        raise ValueError(f"unknown step {step!r}")
    clock, working = elapsed_minutes(wt or ALWAYS_OPEN, start, end) if end is not None else (None, None)
    return {f"{step}_minutes": clock, f"{step}_working_minutes": working}


def elapsed_fields(
    *, received_at: datetime, calendar_id: int | None, steps: dict[str, datetime | None]
) -> dict[str, int | None]:
    """The duration fields of each step from receipt to its moment (``None`` clears them), on the clock and on
    the working time of the calendar with ``calendar_id`` (read only when a step has a moment)."""
    wt = working_time_of(calendar_id) if any(moment is not None for moment in steps.values()) else None
    fields: dict[str, int | None] = {}
    for step, moment in steps.items():
        fields.update(elapsed_values(step, wt, received_at, moment))
    return fields
