"""When the SMS about an appointment go out: pure functions of times, offsets and quiet hours.

Every moment here is an aware datetime; wall-clock rules (quiet hours) are applied in the given time
zone, so they stay right across the summer-time changes (a quiet period that starts at 21:00 starts
at 21:00 on the day the clocks go back too, which is 25 hours after the day before).

The rules, for a reminder ``offset`` before ``start`` (:func:`before`: whole days on the wall clock, so
"2 days before" a 10:00 appointment is 10:00 two days earlier across a summer-time change too, and
the rest in elapsed time, so "2 hours before" is two real hours):

- inside quiet hours it moves *earlier*, to ``margin`` before that quiet period began (the worker
  has that long to send it), never later: a reminder after the appointment is worse than none;
- one that would go out before ``now + min_lead`` is dropped (the booking's confirmation says it);
- two that land less than ``min_gap`` apart become one (the later one, nearer the start);
- each expires at the start, or when its allowed window ends (the next quiet period), whichever
  comes first: a reminder held up by an outage is never sent at night.

Notices (booked, moved, cancelled) go at once, or when the quiet period ends; a notice that could
only go out after the start is not planned at all (the caller warns the klantmanager).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

MARGIN = timedelta(minutes=15)
MIN_LEAD = timedelta(hours=1)
MIN_GAP = timedelta(hours=1)


@dataclass(frozen=True)
class QuietHours:
    """No SMS from ``start`` to ``end`` (wall clock). ``start > end`` wraps midnight (21:00-08:00);
    ``start < end`` is a quiet period within one day (09:00-17:00 for someone on night shifts);
    ``start == end`` means no quiet hours."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, clock: time) -> bool:
        """Whether a wall-clock time falls in the quiet period."""
        clock = clock.replace(tzinfo=None, fold=0)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end


@dataclass(frozen=True)
class Planned:
    """One SMS to send: the offset it is for (``None`` for a notice), when, and until when."""

    offset: timedelta | None
    send_at: datetime
    expires_at: datetime


def _at(day: date, clock: time, zone: tzinfo) -> datetime:
    """The instant of a wall-clock time on a day (a time the clocks skip reads with the offset before
    the change: 02:30 on the day summer time begins is 03:30 summer time)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def is_quiet(moment: datetime, quiet: QuietHours, zone: tzinfo) -> bool:
    """Whether ``moment`` falls in the quiet hours where ``zone`` keeps the clocks."""
    return quiet.contains(moment.astimezone(zone).time())


def quiet_began(moment: datetime, quiet: QuietHours, zone: tzinfo) -> datetime:
    """When the quiet period that holds ``moment`` began (``moment`` must be quiet)."""
    local = moment.astimezone(zone)
    began = _at(local.date(), quiet.start, zone)
    if began > moment:
        began = _at(local.date() - timedelta(days=1), quiet.start, zone)
    return began


def quiet_ends(moment: datetime, quiet: QuietHours, zone: tzinfo) -> datetime:
    """When the quiet period that holds ``moment`` ends (``moment`` must be quiet)."""
    local = moment.astimezone(zone)
    ends = _at(local.date(), quiet.end, zone)
    if ends <= moment:
        ends = _at(local.date() + timedelta(days=1), quiet.end, zone)
    return ends


def next_quiet(moment: datetime, quiet: QuietHours, zone: tzinfo) -> datetime | None:
    """The next start of quiet hours after ``moment`` (``None`` when there are none)."""
    if quiet.start == quiet.end:
        return None
    local = moment.astimezone(zone)
    for days in (0, 1, 2):
        candidate = _at(local.date() + timedelta(days=days), quiet.start, zone)
        if candidate > moment:
            return candidate
    raise AssertionError("a quiet period starts every day")  # pragma: no cover


def earlier_outside_quiet(moment: datetime, quiet: QuietHours, zone: tzinfo, margin: timedelta = MARGIN) -> datetime:
    """``moment`` itself when it is not quiet, else ``margin`` before the quiet period that holds it began."""
    for _ in range(4):  # a margin that lands in the previous quiet period is moved again (tiny windows)
        if not is_quiet(moment, quiet, zone):
            return moment
        moment = quiet_began(moment, quiet, zone) - margin
    return moment


def before(start: datetime, offset: timedelta, zone: tzinfo) -> datetime:
    """``offset`` before ``start``: its whole days on the wall clock of ``zone``, the rest in elapsed time.

    The same instant whatever zone ``start`` is given in (an aware datetime minus a timedelta is
    wall-clock arithmetic in its own zone: a start read back from the database in UTC and one from a
    form in Europe/Amsterdam would otherwise plan an hour apart across a summer-time change).
    """
    days = timedelta(days=offset.days)
    return (start.astimezone(zone) - days).astimezone(UTC) - (offset - days)


def _expiry(send_at: datetime, start: datetime, quiet: QuietHours, zone: tzinfo) -> datetime:
    closes = next_quiet(send_at, quiet, zone)
    return start if closes is None else min(start, closes)


def plan_reminders(
    start: datetime,
    offsets: tuple[timedelta, ...],
    now: datetime,
    quiet: QuietHours,
    zone: tzinfo,
    *,
    margin: timedelta = MARGIN,
    min_lead: timedelta = MIN_LEAD,
    min_gap: timedelta = MIN_GAP,
) -> list[Planned]:
    """The reminders of an appointment at ``start``, planned at ``now``, in the order they go out (in UTC)."""
    start, now = start.astimezone(UTC), now.astimezone(UTC)
    planned: list[Planned] = []
    for offset in sorted(set(offsets), reverse=True):
        if offset <= timedelta(0):
            continue
        send_at = earlier_outside_quiet(before(start, offset, zone), quiet, zone, margin)
        if send_at < now + min_lead or send_at >= start or is_quiet(send_at, quiet, zone):
            continue
        # One moved earlier out of quiet hours can land before, or just after, more than the last one.
        while planned and send_at - planned[-1].send_at < min_gap:
            planned.pop()
        planned.append(Planned(offset, send_at, _expiry(send_at, start, quiet, zone)))
    return planned


def plan_notice(now: datetime, start: datetime, quiet: QuietHours, zone: tzinfo) -> Planned | None:
    """A booked, moved or cancelled notice: now, or when quiet hours end; ``None`` if only after ``start``."""
    start, now = start.astimezone(UTC), now.astimezone(UTC)
    send_at = quiet_ends(now, quiet, zone) if is_quiet(now, quiet, zone) else now
    if send_at >= start:
        return None
    return Planned(None, send_at, _expiry(send_at, start, quiet, zone))
