"""Appointment types as data: what each meeting of the route is, how long it takes, what to bring,
whether an interpreter may be needed, and when its reminders go out.

Like the intake, these are definitions, not code: a municipality that wants a third reminder for
the PVT changes ``reminders`` here. Ids are stored with every appointment: never rename one.

``counts_for`` says which part of the route an attended appointment counts for (the route tracker
adds its hours); ``group`` types are sessions with a capacity and a waiting list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .i18n import N_, Msg

DEFAULT_REMINDERS = (timedelta(days=2), timedelta(hours=2))
"""Two days and two hours before the start."""

# What a newcomer may be asked to bring (keys are stored on an appointment; texts shown translated).
BRING: dict[str, Msg] = {
    "id": N_("your ID card or residence permit"),
    "letter": N_("the letter of the municipality"),
    "diplomas": N_("your diplomas and certificates"),
    "glasses": N_("your reading glasses"),
    "pen": N_("a pen"),
    "phone": N_("your phone"),
    "work_papers": N_("papers about your work"),
    "hours_card": N_("your hours card"),
}
SHORT_BRING: dict[str, Msg] = {
    "id": N_("ID"),
    "letter": N_("letter"),
    "diplomas": N_("diplomas"),
    "glasses": N_("glasses"),
    "pen": N_("pen"),
    "phone": N_("phone"),
    "work_papers": N_("work papers"),
    "hours_card": N_("hours card"),
}
"""The same, in one or two words: what an SMS has room for."""

# The parts of a route an appointment can count for (app/appointments/progress.py).
KNM, PVT, MAP, Z_ROUTE, LANGUAGE = "knm", "pvt", "map", "z_route", "language"


@dataclass(frozen=True)
class AppointmentType:
    """One kind of appointment of the route."""

    id: str
    name: Msg
    short: Msg
    """The name in an SMS: two or three words."""
    icon: str
    """A symbol a person who reads little can follow (app/templates/route/_icons.html)."""
    duration: timedelta
    bring: tuple[str, ...] = ("id",)
    interpreter_possible: bool = True
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    group: bool = False
    default_capacity: int = 1
    counts_for: str | None = None


APPOINTMENT_TYPES: tuple[AppointmentType, ...] = (
    AppointmentType(
        "intake_talk",
        N_("Intake talk"),
        N_("intake talk"),
        "talk",
        timedelta(minutes=90),
        bring=("id", "letter", "diplomas"),
    ),
    AppointmentType(
        "learnability_test",
        N_("Learnability test"),
        N_("learning test"),
        "test",
        timedelta(hours=3),
        bring=("id", "letter", "glasses"),
        interpreter_possible=False,
    ),
    AppointmentType(
        "pip_talk",
        N_("Talk about your plan (PIP)"),
        N_("PIP talk"),
        "plan",
        timedelta(hours=1),
        bring=("id",),
    ),
    AppointmentType(
        "pvt_session",
        N_("Participation statement (PVT) session"),
        N_("PVT lesson"),
        "pvt",
        timedelta(hours=2),
        bring=("id", "pen"),
        group=True,
        default_capacity=12,
        counts_for=PVT,
    ),
    AppointmentType(
        "map_workshop",
        N_("Labour market and participation (MAP) workshop"),
        N_("MAP workshop"),
        "work",
        timedelta(hours=3),
        bring=("id", "work_papers"),
        group=True,
        default_capacity=15,
        counts_for=MAP,
    ),
    AppointmentType(
        "map_final_interview",
        N_("MAP final interview"),
        N_("MAP final talk"),
        "work",
        timedelta(hours=1),
        bring=("id", "hours_card"),
        counts_for=MAP,
    ),
    AppointmentType(
        "knm_lesson",
        N_("Knowledge of Dutch society (KNM) lesson"),
        N_("KNM lesson"),
        "society",
        timedelta(hours=2),
        bring=("id", "pen"),
        group=True,
        default_capacity=15,
        counts_for=KNM,
    ),
    AppointmentType(
        "progress_talk",
        N_("Progress talk"),
        N_("progress talk"),
        "talk",
        timedelta(minutes=45),
        bring=("id",),
    ),
    AppointmentType(
        "z_final_interview",
        N_("Z-route final interview"),
        N_("Z-route final talk"),
        "finish",
        timedelta(hours=1),
        bring=("id", "hours_card"),
        counts_for=Z_ROUTE,
    ),
)

TYPES: dict[str, AppointmentType] = {t.id: t for t in APPOINTMENT_TYPES}


def appointment_type(type_id: str) -> AppointmentType:
    """The type with ``type_id`` (KeyError for an unknown one)."""
    return TYPES[type_id]


# Reasons for a cancellation, shown to the newcomer in their language (a free note stays with staff).
CANCEL_REASONS: dict[str, Msg] = {
    "staff_unavailable": N_("Your appointment cannot go ahead: the staff member is not available."),
    "location_unavailable": N_("Your appointment cannot go ahead: the location is not available."),
    "at_your_request": N_("Your appointment is cancelled because you asked for it."),
    "not_needed": N_("This appointment is no longer needed."),
    "too_few_people": N_("The group session cannot go ahead: too few people signed up."),
    "other": N_("Your appointment cannot go ahead. Your klantmanager will contact you."),
}

# Attendance the klantmanager records; what it means for the route (app/appointments/progress.py).
PRESENT = "present"
ABSENT_EXCUSED = "absent_excused"
ABSENT_UNEXCUSED = "absent_unexcused"
LATE_CANCEL = "late_cancel"
ATTENDANCE = (PRESENT, ABSENT_EXCUSED, ABSENT_UNEXCUSED, LATE_CANCEL)
ATTENDANCE_LABELS: dict[str, Msg] = {
    PRESENT: N_("Present"),
    ABSENT_EXCUSED: N_("Absent with a reason"),
    ABSENT_UNEXCUSED: N_("Absent without a reason"),
    LATE_CANCEL: N_("Cancelled late"),
}

# The eight KNM themes and the eight MAP themes (DOMAIN.md).
KNM_THEMES: dict[str, Msg] = {
    "work_income": N_("Work and income"),
    "manners_values": N_("Manners, values and norms"),
    "health_care": N_("Health and care"),
    "history_geography": N_("History and geography"),
    "institutions": N_("Institutions"),
    "housing": N_("Housing"),
    "education_upbringing": N_("Education and upbringing"),
    "citizenship": N_("Citizenship"),
}
MAP_THEMES: dict[str, Msg] = {
    "career_orientation": N_("Career orientation"),
    "work_competences": N_("Work competences"),
    "job_picture": N_("A realistic picture of jobs"),
    "job_prospects": N_("Job prospects"),
    "vocational_skills": N_("Vocational skills"),
    "networking": N_("Networking"),
    "finding_work": N_("Finding work"),
    "work_culture": N_("Work culture"),
}
PVT_MIN_HOURS = 12
MAP_MIN_PRACTICAL_HOURS = 40
Z_PARTICIPATION_HOURS = 800
"""For statushouders on the Z-route (DOMAIN.md: marked *check*; kept here so it can change)."""
