"""The satisfaction surveys: one short questionnaire per partner kind, and the triggers that send them.

Each survey is a :class:`~workflows.model.Workflow` of one step (the web shows it as one page, SMS
asks it a question at a time): a report mark from 1 to 10 (the web also offers it as a face scale,
stored as the same mark), two or three closed questions answered no / partly / yes, and an
optional comment. Labels name the partner being rated with ``%(partner)s``; the channel fills it in
(its :class:`~workflows.i18n.Context` translate function replaces the placeholder, so every channel
shows the same text). Ids are stored with the answers: never rename one, bump ``version``.

:data:`TRIGGERS` says, as data, when a person is invited and which partner they rate; the app
(``app/surveys/scan.py``) reads the named dates from the file and makes one invitation per
person and occasion.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import Choice, ChoiceField, MarkField, TextField
from .i18n import N_, Msg
from .model import Step, Workflow
from .registry import register

# Partner kinds (the same strings as ``app.models.partner.PARTNER_KINDS``; a test checks).
LANGUAGE_SCHOOL = "language_school"
SOCIAL_GUIDANCE = "social_guidance"
MUNICIPALITY = "municipality"
WORK_PARTNER = "work_partner"
MAP_PVT_PROVIDER = "map_pvt_provider"
KINDS = (LANGUAGE_SCHOOL, SOCIAL_GUIDANCE, MUNICIPALITY, WORK_PARTNER, MAP_PVT_PROVIDER)

PARTNER = "%(partner)s"
"""The placeholder for the partner's name in a label."""

# Closed answers, stored in the filling-in by value and in ``SurveyResponse`` as 1 / 2 / 3.
NO, PARTLY, YES = "no", "partly", "yes"
CLOSED_SCORES = {NO: 1, PARTLY: 2, YES: 3}
CLOSED_CHOICES = (
    Choice(NO, N_("No")),
    Choice(PARTLY, N_("Partly")),
    Choice(YES, N_("Yes")),
)

MARK = "mark"
HEARD = "heard"
CLEAR = "clear"
OWN_LANGUAGE = "own_language"
COMMENT = "comment"
CLOSED_FIELDS = (HEARD, CLEAR, OWN_LANGUAGE)
COMMENT_MAX = 500

FACES = (
    (1, N_("Very bad")),
    (4, N_("Bad")),
    (6, N_("Okay")),
    (8, N_("Good")),
    (10, N_("Very good")),
)
"""The web's face scale: five faces, each stored as this mark (the Dutch 6 is "sufficient")."""

_MARK = MarkField(id=MARK, label=N_("How would you rate %(partner)s?"))
"""By SMS the mark's hint follows (``Choose a mark from 1 to 10.``); on the web the scale shows it."""
_HEARD = ChoiceField(id=HEARD, label=N_("Did you feel heard by %(partner)s?"), choices=CLOSED_CHOICES)
_CLEAR = ChoiceField(id=CLEAR, label=N_("Was the information from %(partner)s clear?"), choices=CLOSED_CHOICES)
_OWN_LANGUAGE = ChoiceField(
    id=OWN_LANGUAGE, label=N_("Could you use your own language with %(partner)s?"), choices=CLOSED_CHOICES
)
_COMMENT = TextField(
    id=COMMENT,
    label=N_("Do you want to tell us more? You can leave this empty."),
    help=N_("Do not write names or phone numbers."),
    required=False,
    max_length=COMMENT_MAX,
)

TITLES: dict[str, Msg] = {
    LANGUAGE_SCHOOL: N_("Your language school"),
    SOCIAL_GUIDANCE: N_("Your social guidance"),
    MUNICIPALITY: N_("Your municipality"),
    WORK_PARTNER: N_("Work and participation"),
    MAP_PVT_PROVIDER: N_("The MAP and the PVT"),
}

_CLOSED_BY_KIND = {
    LANGUAGE_SCHOOL: (_HEARD, _CLEAR),
    SOCIAL_GUIDANCE: (_HEARD, _CLEAR, _OWN_LANGUAGE),
    MUNICIPALITY: (_HEARD, _CLEAR, _OWN_LANGUAGE),
    WORK_PARTNER: (_HEARD, _CLEAR, _OWN_LANGUAGE),
    MAP_PVT_PROVIDER: (_HEARD, _CLEAR, _OWN_LANGUAGE),
}


def survey_id(kind: str) -> str:
    """The workflow id of the survey that rates a partner of ``kind``."""
    return f"survey_{kind}"


def _survey(kind: str) -> Workflow:
    return Workflow(
        id=survey_id(kind),
        version=1,
        title=TITLES[kind],
        steps=(Step(id="rating", title=TITLES[kind], fields=(_MARK, *_CLOSED_BY_KIND[kind], _COMMENT)),),
        sms=True,
        repeatable=True,
    )


SURVEYS: dict[str, Workflow] = {kind: register(_survey(kind)) for kind in KINDS}
"""The latest survey per partner kind (registered in the workflow registry by id and version)."""
SURVEY_IDS = frozenset(survey.id for survey in SURVEYS.values())


def is_survey(workflow_id: str) -> bool:
    """Whether ``workflow_id`` is one of the surveys."""
    return workflow_id in SURVEY_IDS


# -- triggers ------------------------------------------------------------------------------------

INTAKE_APPROVED = "intake_approved"
PVT_SIGNED = "pvt_signed"
MAP_FINAL_INTERVIEW = "map_final_interview"
SIX_MONTHLY = "six_monthly"
ROUTE_END = "route_end"


@dataclass(frozen=True)
class Trigger:
    """When a person is invited, and whom they rate.

    ``on`` names the date in the file (``app/surveys/scan.py`` maps each name onto its columns);
    ``kinds`` are the partner kinds to rate, in order: the first the person has a partner of on
    that date is rated. ``partner_required``: without such a partner, no invitation (only the
    municipality is always there to rate). ``every_months``: the trigger repeats from the date
    (occasion ``<id>:<n>``), while the route runs.
    """

    id: str
    on: str
    kinds: tuple[str, ...]
    partner_required: bool = True
    every_months: int | None = None

    def occasion(self, n: int | None = None) -> str:
        """The occasion id stored once per person (``six_monthly:3``)."""
        return self.id if n is None else f"{self.id}:{n}"


TRIGGERS: tuple[Trigger, ...] = (
    Trigger(INTAKE_APPROVED, on="intake_approved_at", kinds=(MUNICIPALITY,), partner_required=False),
    Trigger(PVT_SIGNED, on="pvt_signed_on", kinds=(MAP_PVT_PROVIDER,)),
    Trigger(MAP_FINAL_INTERVIEW, on="map_final_interview_on", kinds=(MAP_PVT_PROVIDER, WORK_PARTNER)),
    Trigger(SIX_MONTHLY, on="route_started_on", kinds=(LANGUAGE_SCHOOL,), every_months=6),
    Trigger(ROUTE_END, on="route_ended_on", kinds=(LANGUAGE_SCHOOL,)),
)
TRIGGERS_BY_ID = {trigger.id: trigger for trigger in TRIGGERS}
