"""Route and PIP: DUO's PIP rules, saving a version, the integration term, and DUO's PIP schema.

DUO's rules come from the DUO API documentation (``duo-api/README.md``, "Het aanleveren van een
PIP") and ``duo-api/API/PIP/openapi.yml`` (PIP API 1.2.0):

- level A2 is never combined with the onderwijsroute (O);
- level B1 is never combined with the Z-route (Z);
- a first PIP on the B1-route (B) is never A2;
- the PIP date (dagtekening) is not before the obligation started, nor before the newcomer settled
  in the municipality, and a changed PIP is not dated before the first or the current PIP.

DUO applies the first-PIP rule to the first PIP of the person "whatever the municipality"; the app
only knows its own versions, so it checks version 1 here.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflows import engine
from workflows.engine import SummaryItem

from .. import audit
from ..casefiles import set_status
from ..extensions import db
from ..intake import services as intake_services
from ..models import Newcomer, Pip, Staff, TermExtension
from ..models import casefile as status
from ..models.types import utcnow
from .labels import BEFORE_PIP

TERM_YEARS = 3
FLAG_MONTHS = 6
"""The term end is flagged this many months ahead."""
CLOSED = (status.OBLIGATION_MET, status.EXEMPTED, status.DISPENSATION, status.MOVED_AWAY, status.ENDED)
"""Statuses in which the integration term no longer matters: its end is not flagged."""

# Violation codes: stable names for tests and logs; the messages are below.
A2_WITH_O = "a2_with_onderwijsroute"
B1_WITH_Z = "b1_with_z_route"
FIRST_B_A2 = "first_b1_route_pip_a2"
BEFORE_OBLIGATION = "before_obligation"
BEFORE_SETTLING = "before_settling"
BEFORE_EARLIER_PIP = "before_earlier_pip"
MAP_WITH_O = "map_with_onderwijsroute"
Z_PARTICIPATION_NOT_Z = "z_participation_without_z_route"
HOURS_NOT_B = "b1_hours_without_b1_route"
HOURS_NOT_STATUSHOUDER = "b1_hours_not_statushouder"
EXTENSION_BEFORE_PIP = "extension_before_pip"
EXTENSION_IN_FUTURE = "extension_in_future"
# Warning codes: allowed, but worth a second look; the klantmanager confirms them before saving.
AFTER_DEADLINE = "after_pip_deadline"
B1_NOT_FEASIBLE = "b1_route_b1_not_feasible"

_MESSAGES = {
    A2_WITH_O: _l("Level A2 is not possible with the onderwijsroute. Choose B1."),
    B1_WITH_Z: _l("Level B1 is not possible with the Z-route. Choose A2."),
    FIRST_B_A2: _l("A first PIP on the B1-route cannot have level A2. Choose B1."),
    BEFORE_OBLIGATION: _l("The PIP date cannot be before the obligation started (%(date)s)."),
    BEFORE_SETTLING: _l("The PIP date cannot be before the newcomer settled in the municipality (%(date)s)."),
    BEFORE_EARLIER_PIP: _l("A changed PIP cannot be dated before the earlier PIP (%(date)s)."),
    MAP_WITH_O: _l("The MAP is not part of the onderwijsroute. Untick it."),
    HOURS_NOT_B: _l("The estimated hours are only for the B1-route. Leave them empty."),
    HOURS_NOT_STATUSHOUDER: _l("DUO takes the estimated hours only for statushouders. Leave them empty."),
    Z_PARTICIPATION_NOT_Z: _l("Participation in the Z-route is only for the Z-route. Untick it."),
    EXTENSION_BEFORE_PIP: _l("DUO's decision cannot be before the PIP date (%(date)s)."),
    EXTENSION_IN_FUTURE: _l("DUO's decision cannot be in the future."),
    AFTER_DEADLINE: _l(
        "The PIP date is after the 10-week deadline (%(date)s). That is allowed, but DUO may ask why: "
        "write the reason in the comment."
    ),
    B1_NOT_FEASIBLE: _l(
        "The learnability test says B1 is not feasible, but this is the B1-route at level B1. "
        "Check the route and the level, or write in the comment why."
    ),
}


@dataclass(frozen=True)
class Violation:
    """A broken rule: the form field it belongs next to, its code, and the date it refers to."""

    field: str
    code: str
    date: date | None = None

    def message(self) -> str:
        """The message in the reader's language."""
        return str(_MESSAGES[self.code]) % {"date": format_date(self.date) if self.date else ""}


@dataclass(frozen=True)
class PipDraft:
    """A PIP as the klantmanager filled it in, before it is checked and saved."""

    learnability_result: str
    learnability_score: int | None
    leerroute: str
    level: str
    literacy: str
    pip_on: date
    knm: bool = True
    pvt: bool = True
    map: bool = True
    z_participation: bool = False
    social_guidance: bool = False
    financial_relief_on: date | None = None
    financial_relief_extended: bool | None = None
    b1_hours_estimate: int | None = None
    may_finish_education: bool | None = None
    comment: str | None = None

    def same_as(self, pip: Pip) -> bool:
        """Whether ``pip`` holds exactly these values."""
        return all(getattr(pip, f.name) == getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class PipContext:
    """What DUO's rules need besides the PIP itself."""

    version: int
    """The version the new PIP would get: 1 is the first."""
    obligation_started_on: date | None = None
    settled_on: date | None = None
    first_pip_on: date | None = None
    current_pip_on: date | None = None
    doelgroep: str | None = None

    @classmethod
    def of(cls, newcomer: Newcomer, versions: Sequence[Pip]) -> PipContext:
        """The context of a new version for ``newcomer``, whose ``versions`` are newest first."""
        return cls(
            version=versions[0].version + 1 if versions else 1,
            obligation_started_on=newcomer.duo_notified_on,
            settled_on=newcomer.settled_on,
            first_pip_on=versions[-1].pip_on if versions else None,
            current_pip_on=versions[0].pip_on if versions else None,
            doelgroep=newcomer.doelgroep,
        )


def check_pip(draft: PipDraft, context: PipContext) -> list[Violation]:
    """DUO's PIP rules (and which parts belong to which route): every violation, none means valid."""
    violations = []
    if draft.level == "A2" and draft.leerroute == "O":
        violations.append(Violation("level", A2_WITH_O))
    if draft.b1_hours_estimate is not None and draft.leerroute != "B":
        violations.append(Violation("b1_hours_estimate", HOURS_NOT_B))
    elif draft.b1_hours_estimate is not None and context.doelgroep not in (None, "statushouder"):
        violations.append(Violation("b1_hours_estimate", HOURS_NOT_STATUSHOUDER))
    if draft.level == "B1" and draft.leerroute == "Z":
        violations.append(Violation("level", B1_WITH_Z))
    if draft.level == "A2" and draft.leerroute == "B" and context.version == 1:
        violations.append(Violation("level", FIRST_B_A2))
    if context.obligation_started_on and draft.pip_on < context.obligation_started_on:
        violations.append(Violation("pip_on", BEFORE_OBLIGATION, context.obligation_started_on))
    if context.settled_on and draft.pip_on < context.settled_on:
        violations.append(Violation("pip_on", BEFORE_SETTLING, context.settled_on))
    earlier = max((d for d in (context.first_pip_on, context.current_pip_on) if d is not None), default=None)
    if earlier and draft.pip_on < earlier:
        violations.append(Violation("pip_on", BEFORE_EARLIER_PIP, earlier))
    if draft.map and draft.leerroute == "O":
        violations.append(Violation("map", MAP_WITH_O))
    if draft.z_participation and draft.leerroute != "Z":
        violations.append(Violation("z_participation", Z_PARTICIPATION_NOT_Z))
    return violations


def pip_warnings(draft: PipDraft, context: PipContext, deadline: date | None) -> list[Violation]:
    """What is allowed but worth a second look: a first PIP after the 10-week deadline, and the
    B1-route at B1 when the learnability test says B1 is not feasible."""
    warnings = []
    if context.version == 1 and deadline is not None and draft.pip_on > deadline:
        warnings.append(Violation("pip_on", AFTER_DEADLINE, deadline))
    if draft.learnability_result == "not_feasible" and draft.leerroute == "B" and draft.level == "B1":
        warnings.append(Violation("leerroute", B1_NOT_FEASIBLE))
    return warnings


class PipWarned(ValueError):
    """The PIP is allowed, but has warnings the klantmanager has not confirmed; nothing was saved."""

    def __init__(self, warnings: list[Violation]) -> None:
        super().__init__([w.code for w in warnings])
        self.warnings = warnings


class PipRefused(ValueError):
    """The PIP breaks DUO's rules; nothing was saved."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__([v.code for v in violations])
        self.violations = violations


class PipConflict(RuntimeError):
    """Someone else saved a version of the same PIP at the same time; nothing was saved."""


def versions_of(newcomer: Newcomer) -> list[Pip]:
    """The newcomer's PIP versions, newest first."""
    return list(
        db.session.scalars(select(Pip).where(Pip.newcomer_id == newcomer.id).order_by(Pip.version.desc())).all()
    )


def extensions_of(newcomer: Newcomer) -> list[TermExtension]:
    """The recorded extensions of the newcomer's integration term, oldest decision first."""
    return list(
        db.session.scalars(
            select(TermExtension)
            .where(TermExtension.newcomer_id == newcomer.id)
            .order_by(TermExtension.decided_on, TermExtension.id)
        ).all()
    )


def save_pip(newcomer: Newcomer, staff: Staff, draft: PipDraft, *, confirmed: bool = False) -> Pip | None:
    """Add a new version of the PIP (earlier versions stay); commits. None when nothing changed.

    The file's route follows the newest version. A file still before the PIP (registered up to
    intake approved, also when the intake was done outside the app) moves to ``pip_set``; a file
    that is further along (PIP set, in route) or closed (met the obligation, exempted, moved away,
    ...) keeps its status, because a changed PIP does not undo those.
    Raises :class:`PipRefused` when DUO's rules are broken, :class:`PipWarned` when there are
    warnings (:func:`pip_warnings`) and the klantmanager has not ``confirmed`` them, and
    :class:`PipConflict` when another version was saved at the same moment.
    """
    versions = versions_of(newcomer)
    context = PipContext.of(newcomer, versions)
    violations = check_pip(draft, context)
    if violations:
        raise PipRefused(violations)
    if versions and draft.same_as(versions[0]):
        return None
    warnings = pip_warnings(draft, context, newcomer.pip_deadline_on)
    if warnings and not confirmed:
        raise PipWarned(warnings)
    pip = Pip(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        version=versions[0].version + 1 if versions else 1,
        created_by_staff_id=staff.id,
        **asdict(draft),
    )
    db.session.add(pip)
    newcomer.leerroute = draft.leerroute
    newcomer.updated_at = utcnow()
    if newcomer.status in BEFORE_PIP:
        set_status(newcomer, status.PIP_SET, actor_id=staff.id)
    audit.record("pip.saved", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    try:
        db.session.commit()
    except IntegrityError:  # the same version number, saved by someone else a moment ago
        db.session.rollback()
        raise PipConflict(newcomer.id) from None
    return pip


def check_extension(decided_on: date, first_pip_on: date, today: date) -> list[Violation]:
    """An extension is decided during the term: not before the PIP date, and not in the future."""
    violations = []
    if decided_on < first_pip_on:
        violations.append(Violation("decided_on", EXTENSION_BEFORE_PIP, first_pip_on))
    if decided_on > today:
        violations.append(Violation("decided_on", EXTENSION_IN_FUTURE))
    return violations


def add_extension(
    newcomer: Newcomer, staff: Staff, *, reason: str, days: int, decided_on: date, today: date
) -> TermExtension:
    """Record DUO's extension of the integration term; commits. Needs a PIP (the term starts with it).

    Raises :class:`PipRefused` when the decision date is impossible, ``LookupError`` without a PIP.
    """
    versions = versions_of(newcomer)
    if not versions:
        raise LookupError("no PIP")
    violations = check_extension(decided_on, versions[-1].pip_on, today)
    if violations:
        raise PipRefused(violations)
    extension = TermExtension(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        reason=reason,
        days=days,
        decided_on=decided_on,
    )
    db.session.add(extension)
    audit.record("pip.term_extended", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return extension


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(first_pip_on: date, extension_days: Sequence[int] = ()) -> date:
    """The end of the integration term: 3 years from the day after the first PIP's date, plus extensions.

    The term starts the day after the date of the first PIP (a changed PIP does not restart it).
    Like DUO's ``einddatum`` (Inburgeringstermijn API) the end is exclusive: the term has passed
    on this day.
    """
    try:
        return add_years(first_pip_on + timedelta(days=1), TERM_YEARS) + timedelta(days=sum(extension_days))
    except (OverflowError, ValueError):  # a date near 9999 stored before dates had bounds: the end is "never"
        return date.max


def term_flag(end: date | None, today: date, file_status: str) -> str:
    """``passed``, ``soon`` (within 6 months) or ``""`` for the end of the integration term."""
    if end is None or file_status in CLOSED:
        return ""
    if end <= today:
        return "passed"
    if end <= add_months(today, FLAG_MONTHS):
        return "soon"
    return ""


@dataclass(frozen=True)
class PipSummary:
    """What the file page shows of the route and PIP."""

    versions: list[Pip]
    """Newest first."""
    extensions: list[TermExtension]
    term_end: date | None
    flag: str

    @property
    def current(self) -> Pip | None:
        """The newest version, which is the PIP in force."""
        return self.versions[0] if self.versions else None


def summary(newcomer: Newcomer, today: date) -> PipSummary:
    """The PIP versions, extensions, term end and its flag of a newcomer (two queries)."""
    versions = versions_of(newcomer)
    extensions = extensions_of(newcomer)
    end = term_end(versions[-1].pip_on, [e.days for e in extensions]) if versions else None
    return PipSummary(versions, extensions, end, term_flag(end, today, newcomer.status))


INTAKE_FACTS = (
    "reads_mother_tongue", "writes_mother_tongue", "reads_latin_script", "dutch_level", "school_years",
    "highest_education", "health_limits",
)  # fmt: skip
"""The intake answers that bear on the route, level and literacy education (field ids of ``workflows/intake.py``)."""


def intake_facts(newcomer: Newcomer) -> list[SummaryItem] | None:
    """The answers of the submitted intake that matter for the PIP, in the staff member's language.

    None when there is no submitted intake (an intake in progress can still change).
    """
    intake = intake_services.get_intake(newcomer)
    if intake is None or intake.status not in ("submitted", "returned", "approved"):
        return None
    sections = engine.summary(
        intake_services.workflow(intake), intake_services.progress(intake), intake_services.context()
    )
    found = {item.field.id: item for section in sections for item in section.items}
    return [found[field_id] for field_id in INTAKE_FACTS if field_id in found]


def to_duo_pip(pip: Pip, newcomer: Newcomer) -> dict[str, Any]:
    """The body of DUO's ``POST /personen/{bsn}/PIP`` (schema ``PIP``, PIP API 1.2.0) for this version.

    Route, level and literacy already hold DUO's codes. The level is always sent (DUO would
    assume B1 for the B1-route and the onderwijsroute without it); the two optional fields are sent
    when recorded. The BSN goes in the path, not here; the learnability test, MAP, PVT and Z-route
    have their own DUO APIs.
    """
    if pip.newcomer_id != newcomer.id:
        raise ValueError("this PIP belongs to another newcomer")
    body: dict[str, Any] = {
        "dagtekeningPip": pip.pip_on.isoformat(),
        "leerroute": pip.leerroute,
        "niveau": pip.level,
        "indicatorAlfabetiseringsonderwijs": pip.literacy,
    }
    if pip.b1_hours_estimate is not None:
        body["geschatteIntensiteitB1Route"] = pip.b1_hours_estimate
    if pip.may_finish_education is not None:
        body["indicatorMagOpleidingAfmaken"] = pip.may_finish_education
    return body
