"""The verbs of the records behind the reports: each saves, audits (``records.*``) and commits.

The views in ``records_routes`` only read forms and render. Every record belongs to the file's
municipality (``municipality_id`` copied from the newcomer); another municipality's rows are not
visible to the request (the app's tenancy), so an id of another file or municipality finds nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import audit
from ..casefiles import set_status
from ..extensions import db
from ..models import Newcomer, Staff, StatusChange
from ..models import casefile as status
from ..models.appointment import RouteProgress
from ..models.partner import Partner, RoutePartner, partner_municipalities
from ..models.records import (
    END_DISPENSED,
    END_EXEMPTED,
    END_MOVED_AWAY,
    FILED_WITH_PARTNER,
    Complaint,
    HouseholdMember,
    ParticipationActivity,
    ReliefTrajectory,
)
from ..models.types import utcnow

END_STATUS = {END_MOVED_AWAY: status.MOVED_AWAY, END_EXEMPTED: status.EXEMPTED, END_DISPENSED: status.DISPENSATION}
"""The file's status for an end reason; every other reason is ``ended``."""
CLOSED = (status.OBLIGATION_MET, status.EXEMPTED, status.DISPENSATION, status.MOVED_AWAY, status.ENDED)
PAGE_SIZE = 25


def end_status(reason: str) -> str:
    """The status a file ends in for ``reason``."""
    return END_STATUS.get(reason, status.ENDED)


def _audit(action: str, newcomer: Newcomer) -> None:
    audit.record(action, "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)


def _status_before_closing(newcomer: Newcomer) -> str:
    """The status the file had before it was closed (its last change into a closed status)."""
    before = db.session.scalar(
        select(StatusChange.from_status)
        .where(StatusChange.newcomer_id == newcomer.id, StatusChange.to_status.in_(CLOSED))
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .limit(1)
    )
    return before if before and before not in CLOSED else status.IN_ROUTE


def _reopen(newcomer: Newcomer, staff: Staff, comment: str) -> None:
    if newcomer.status in CLOSED:
        set_status(newcomer, _status_before_closing(newcomer), actor_id=staff.id, comment=comment)


# -- the file's end, the obligation met, its facts ----------------------------------------------------


def set_end(newcomer: Newcomer, staff: Staff, ended_on: date | None, reason: str | None) -> bool:
    """Record (or, both empty, undo) the end of the file; sets the status with a status change. Changed?"""
    reason = reason or None
    if ended_on is None or reason is None:
        ended_on = reason = None
    if (newcomer.ended_on, newcomer.end_reason) == (ended_on, reason):
        return False
    newcomer.ended_on, newcomer.end_reason = ended_on, reason
    if reason is not None:
        set_status(newcomer, end_status(reason), actor_id=staff.id)
    elif newcomer.obligation_met_on is not None:
        set_status(newcomer, status.OBLIGATION_MET, actor_id=staff.id)
    else:
        _reopen(newcomer, staff, "end undone")
    newcomer.updated_at = utcnow()
    _audit("records.ended", newcomer)
    db.session.commit()
    return True


def progress_of(newcomer: Newcomer) -> RouteProgress | None:
    return db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == newcomer.id))


def set_facts(
    newcomer: Newcomer,
    staff: Staff,
    *,
    obligation_met_on: date | None,
    map_exempt_on: date | None,
    nareiziger: bool,
) -> list[str]:
    """Record the obligation met, the MAP exemption's date and the nareiziger flag; the names of what changed.

    A met obligation sets the status ``obligation_met`` (unless the file ended otherwise); clearing
    the date goes back to the status before it.
    """
    changed: list[str] = []
    if newcomer.obligation_met_on != obligation_met_on:
        newcomer.obligation_met_on = obligation_met_on
        if newcomer.end_reason is None:
            if obligation_met_on is not None:
                set_status(newcomer, status.OBLIGATION_MET, actor_id=staff.id)
            else:
                _reopen(newcomer, staff, "obligation met undone")
        changed.append("obligation_met_on")
        _audit("records.obligation_met", newcomer)
    progress = progress_of(newcomer)
    if (progress.map_exempt_on if progress else None) != map_exempt_on:
        if progress is None:
            progress = RouteProgress(newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id)
            db.session.add(progress)
        progress.map_exempt_on = map_exempt_on
        progress.updated_at, progress.updated_by_staff_id = utcnow(), staff.id
        changed.append("map_exempt_on")
    if newcomer.nareiziger != nareiziger:
        newcomer.nareiziger = nareiziger
        changed.append("nareiziger")
    if {"map_exempt_on", "nareiziger"} & set(changed):
        _audit("records.facts_saved", newcomer)
    if changed:
        newcomer.updated_at = utcnow()
        db.session.commit()
    return changed


# -- financieel ontzorgen ---------------------------------------------------------------------------


def relief_of(newcomer: Newcomer) -> ReliefTrajectory | None:
    return db.session.scalar(select(ReliefTrajectory).where(ReliefTrajectory.newcomer_id == newcomer.id))


def six_months_after(start: date) -> date:
    """Six calendar months after ``start`` (31 August -> 28 or 29 February)."""
    month = start.month + 6
    year, month = start.year + (month - 1) // 12, (month - 1) % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def save_relief(
    newcomer: Newcomer,
    staff: Staff,
    *,
    started_on: date,
    six_months_on: date | None,
    extended: bool,
    extension_decided_on: date | None,
    ended_on: date | None,
) -> ReliefTrajectory:
    """Create or change the file's one relief trajectory (the six-month date defaults to start + 6 months)."""
    relief = relief_of(newcomer)
    if relief is None:
        relief = ReliefTrajectory(newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id)
        db.session.add(relief)
    relief.started_on = started_on
    relief.six_months_on = six_months_on or six_months_after(started_on)
    relief.extended = extended
    relief.extension_decided_on = extension_decided_on if extended else None
    relief.ended_on = ended_on
    relief.updated_at, relief.updated_by_staff_id = utcnow(), staff.id
    _audit("records.relief_saved", newcomer)
    db.session.commit()
    return relief


def delete_relief(newcomer: Newcomer) -> bool:
    relief = relief_of(newcomer)
    if relief is None:
        return False
    db.session.delete(relief)
    _audit("records.relief_saved", newcomer)
    db.session.commit()
    return True


# -- participation activities -------------------------------------------------------------------------


def activities_of(newcomer: Newcomer) -> list[ParticipationActivity]:
    return list(
        db.session.scalars(
            select(ParticipationActivity)
            .where(ParticipationActivity.newcomer_id == newcomer.id)
            .order_by(ParticipationActivity.started_on, ParticipationActivity.id)
        )
    )


def activity_of(newcomer: Newcomer, activity_id: int | None) -> ParticipationActivity | None:
    """The activity ``activity_id`` of this file, or ``None`` (another file's is ``None`` too)."""
    if activity_id is None:
        return None
    return db.session.scalar(
        select(ParticipationActivity).where(
            ParticipationActivity.id == activity_id, ParticipationActivity.newcomer_id == newcomer.id
        )
    )


def save_activity(
    newcomer: Newcomer,
    staff: Staff,
    activity: ParticipationActivity | None,
    *,
    kind: str,
    started_on: date,
    ended_on: date | None,
    partner_id: int | None,
    hours_per_week: int | None,
) -> ParticipationActivity:
    if activity is None:
        activity = ParticipationActivity(
            newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id, created_by_staff_id=staff.id
        )
        db.session.add(activity)
    activity.kind, activity.started_on, activity.ended_on = kind, started_on, ended_on
    activity.partner_id, activity.hours_per_week = partner_id, hours_per_week
    _audit("records.activity_saved", newcomer)
    db.session.commit()
    return activity


def delete_activity(newcomer: Newcomer, activity: ParticipationActivity) -> None:
    db.session.delete(activity)
    _audit("records.activity_deleted", newcomer)
    db.session.commit()


# -- household members -------------------------------------------------------------------------------


def members_of(newcomer: Newcomer) -> list[HouseholdMember]:
    return list(
        db.session.scalars(
            select(HouseholdMember)
            .where(HouseholdMember.newcomer_id == newcomer.id)
            .order_by(HouseholdMember.housed_on, HouseholdMember.id)
        )
    )


def member_of(newcomer: Newcomer, member_id: int | None) -> HouseholdMember | None:
    if member_id is None:
        return None
    return db.session.scalar(
        select(HouseholdMember).where(HouseholdMember.id == member_id, HouseholdMember.newcomer_id == newcomer.id)
    )


def save_member(
    newcomer: Newcomer,
    member: HouseholdMember | None,
    *,
    kind: str,
    birth_year: int | None,
    housed_on: date,
    nareiziger: bool,
) -> HouseholdMember:
    if member is None:
        member = HouseholdMember(newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id)
        db.session.add(member)
    member.kind, member.birth_year, member.housed_on, member.nareiziger = kind, birth_year, housed_on, nareiziger
    _audit("records.household_saved", newcomer)
    db.session.commit()
    return member


def delete_member(newcomer: Newcomer, member: HouseholdMember) -> None:
    db.session.delete(member)
    _audit("records.household_deleted", newcomer)
    db.session.commit()


# -- route partners -----------------------------------------------------------------------------------


def partners_serving(municipality_ids: tuple[int, ...] | list[int], kind: str | None = None) -> list[Partner]:
    """The active partners that serve any of these municipalities (Partner is not tenant-owned: explicit)."""
    if not municipality_ids:
        return []
    serving = select(partner_municipalities.c.partner_id).where(
        partner_municipalities.c.municipality_id.in_(list(municipality_ids))
    )
    query = select(Partner).where(Partner.active.is_(True), Partner.id.in_(serving))
    if kind is not None:
        query = query.where(Partner.kind == kind)
    return list(db.session.scalars(query.order_by(Partner.kind, Partner.name, Partner.id)))


def route_partners_of(newcomer: Newcomer) -> list[RoutePartner]:
    return list(
        db.session.scalars(
            select(RoutePartner)
            .where(RoutePartner.newcomer_id == newcomer.id)
            .order_by(RoutePartner.kind, RoutePartner.started_on.desc(), RoutePartner.id.desc())
        )
    )


def link_partner(newcomer: Newcomer, staff: Staff, partner: Partner, started_on: date) -> RoutePartner:
    """``partner`` serves the person for its kind from ``started_on``; the partner before ends that day."""
    current = db.session.scalars(
        select(RoutePartner).where(
            RoutePartner.newcomer_id == newcomer.id, RoutePartner.kind == partner.kind, RoutePartner.ended_on.is_(None)
        )
    ).all()
    for link in current:
        if link.partner_id == partner.id and link.started_on == started_on:
            return link
        link.ended_on = max(link.started_on, started_on)
    link = RoutePartner(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        partner_id=partner.id,
        kind=partner.kind,
        started_on=started_on,
    )
    db.session.add(link)
    _audit("records.partner_linked", newcomer)
    db.session.commit()
    return link


# -- complaints ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintFilter:
    municipality_id: int | None = None
    official: bool | None = None
    filed_with: str | None = None
    page: int = 1


@dataclass(frozen=True)
class ComplaintPage:
    rows: list[Complaint]
    total: int
    page: int
    pages: int


def complaints(f: ComplaintFilter) -> ComplaintPage:
    """A page of the register, newest first (tenancy limits it to the staff member's municipalities)."""
    query = select(Complaint)
    if f.municipality_id is not None:
        query = query.where(Complaint.municipality_id == f.municipality_id)
    if f.official is not None:
        query = query.where(Complaint.official.is_(f.official))
    if f.filed_with is not None:
        query = query.where(Complaint.filed_with == f.filed_with)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(f.page, pages)
    rows = db.session.scalars(
        query.order_by(Complaint.received_on.desc(), Complaint.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return ComplaintPage(list(rows), total, page, pages)


def complaint(complaint_id: int) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.id == complaint_id))


def save_complaint(
    staff: Staff,
    entry: Complaint | None,
    *,
    municipality_id: int,
    newcomer_id: int | None,
    received_on: date,
    official: bool,
    about_inburgering: bool,
    filed_with: str,
    partner_id: int | None,
    subject: str,
    handled_on: date | None,
    outcome: str | None,
) -> Complaint:
    if entry is None:
        entry = Complaint(created_by_staff_id=staff.id)
        db.session.add(entry)
    entry.municipality_id, entry.newcomer_id = municipality_id, newcomer_id
    entry.received_on, entry.official, entry.about_inburgering = received_on, official, about_inburgering
    entry.filed_with = filed_with
    entry.partner_id = partner_id if filed_with == FILED_WITH_PARTNER or partner_id else None
    entry.subject, entry.handled_on, entry.outcome = subject, handled_on, outcome or None
    db.session.flush()
    audit.record("records.complaint_saved", "complaint", entry.id, municipality_id=municipality_id)
    db.session.commit()
    return entry


def delete_complaint(entry: Complaint) -> None:
    audit.record("records.complaint_deleted", "complaint", entry.id, municipality_id=entry.municipality_id)
    db.session.delete(entry)
    db.session.commit()
