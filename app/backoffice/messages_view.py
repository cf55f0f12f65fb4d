"""The file's SMS messages for the klantmanager (``backoffice/_file_messages.html``).

``file_messages(newcomer)`` is a template global: the file page includes the partial, and the
partial asks for its data, so every view that renders the file page shows the messages without
passing them. The newcomer comes from the view, which found it through the tenancy filter (another
municipality's file is a 404 before any of this runs); the messages are read by its id.

Shown per message: its kind and status in plain words, the text as it was stored (a code or link
masked) in the newcomer's language, the times, the error in plain Dutch, and its history. The newest
:data:`SHOWN` messages, or all of them (up to :data:`SHOWN_ALL`) with ``?messages=all``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import request
from sqlalchemy import func, select

from ..extensions import db
from ..i18n import BY_CODE
from ..models import Newcomer
from ..models.message import OutboundEvent, OutboundMessage, SmsOptOut
from ..sms.reasons import TEMPLATE_GLOBALS
from . import bp

SHOWN = 10
SHOWN_ALL = 500
"""'Show all' stops here: a file with more messages than this shows the newest 500."""


@dataclass(frozen=True)
class MessageView:
    """One SMS of the file and its history, oldest line first."""

    message: OutboundMessage
    events: list[OutboundEvent]
    direction: str

    @property
    def retried_from(self) -> int | None:
        """The message this one is a copy of (sent again from the queue page), if any."""
        return self.message.cause_id if self.message.cause_type == "outbound_message" else None


@dataclass(frozen=True)
class Unreachable:
    """The number could not be reached by SMS for good: Twilio's code and since when."""

    code: str
    since: datetime | None


@dataclass(frozen=True)
class FileMessages:
    """What the messages section of a file shows."""

    messages: list[MessageView] = field(default_factory=list)
    total: int = 0
    showing_all: bool = False
    opt_outs: list[SmsOptOut] = field(default_factory=list)
    unreachable: Unreachable | None = None

    @property
    def more(self) -> bool:
        """Whether older messages are left out (a 'show all' link, or the cap of 'all')."""
        return self.total > len(self.messages)


def _direction(locale: str) -> str:
    language = BY_CODE.get(locale.split("_")[0])
    return language.direction if language is not None else "auto"


@bp.app_template_global()
def file_messages(newcomer: Newcomer) -> FileMessages:
    """Every SMS of ``newcomer``'s file, newest first, with its history; opt-outs and reachability."""
    showing_all = request.args.get("messages") == "all"
    limit = SHOWN_ALL if showing_all else SHOWN
    total = db.session.scalar(select(func.count(OutboundMessage.id)).where(OutboundMessage.newcomer_id == newcomer.id))
    messages = list(
        db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.newcomer_id == newcomer.id)
            .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
            .limit(limit)
        )
    )
    events: dict[int, list[OutboundEvent]] = {m.id: [] for m in messages}
    if messages:
        for event in db.session.scalars(
            select(OutboundEvent).where(OutboundEvent.message_id.in_(list(events))).order_by(OutboundEvent.id)
        ):
            events[event.message_id].append(event)
    opt_outs = list(
        db.session.scalars(select(SmsOptOut).where(SmsOptOut.newcomer_id == newcomer.id).order_by(SmsOptOut.created_at))
    )
    unreachable = (
        Unreachable(newcomer.sms_unreachable_code, newcomer.sms_unreachable_at)
        if newcomer.sms_unreachable_code
        else None
    )
    return FileMessages(
        messages=[MessageView(m, events[m.id], _direction(m.locale)) for m in messages],
        total=total or 0,
        showing_all=showing_all,
        opt_outs=opt_outs,
        unreachable=unreachable,
    )


bp.record_once(lambda state: state.app.jinja_env.globals.update(TEMPLATE_GLOBALS))
