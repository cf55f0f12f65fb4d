"""Routes of the conversation: thin; the verbs are in ``services``.

The klantmanager's side lives in the back office (nested blueprint): the thread and the form are on
the file (``backoffice/_file_conversation.html``, filled by :func:`file_conversation`) and on a page
of their own, which is also where a message with a mistake comes back, with the text kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from forms.conversation import MessageFields, MessageForm, ReplyForm

from .. import audit
from ..backoffice import bp as backoffice_bp
from ..backoffice import labels
from ..backoffice import services as backoffice_services
from ..backoffice.access import current_staff, requires
from ..extensions import db
from ..i18n import current_language
from ..models import Newcomer
from ..models.staff import KLANTMANAGER
from ..models.tenancy import current_limit
from ..sms.reasons import plain_reason, status_label
from . import answers_limited, bp, common_questions, services, staff_bp

PROBLEM_STATUSES = ("failed", "undelivered", "cancelled", "expired", "unknown")
"""SMS statuses that come with a reason in plain words."""


def fill_choices(form: MessageFields) -> MessageFields:
    """The common questions (in the reader's language) and the languages a text can be written in."""
    form.common_question.choices = [
        SelectChoice("", _("None: I write my own")),
        *(SelectChoice(q.key, str(q.text)) for q in common_questions.offered()),
    ]
    form.language.choices = [SelectChoice(lang.code, lang.name) for lang in labels.staff_languages()]
    return form


# -- the klantmanager ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffConversation:
    """What the file's conversation section shows: the thread with each message's fate, and the form."""

    newcomer: Newcomer
    entries: list[services.Entry]
    form: MessageForm

    @property
    def new(self) -> int:
        """Incoming messages that were unread until this page opened them."""
        return sum(1 for entry in self.entries if entry.new)

    @staticmethod
    def sms_status(entry: services.Entry) -> str:
        """The status of the entry's SMS in plain words."""
        return status_label(entry.sms_status or "")

    @staticmethod
    def sms_reason(entry: services.Entry) -> str | None:
        """Why the SMS did not (yet) arrive, in plain words; ``None`` when all is well."""
        return plain_reason(entry.sms_reason) if entry.sms_status in PROBLEM_STATUSES else None


def _file_or_404(newcomer_id: int) -> Newcomer:
    newcomer = backoffice_services.get_file(newcomer_id)
    if newcomer is None:
        audit.record("file.viewed", "newcomer", newcomer_id, result=audit.DENIED)
        db.session.commit()
        abort(404)
    return newcomer


def _message_form(**kwargs: object) -> MessageForm:
    return fill_choices(MessageForm(prefix="message", **kwargs))  # type: ignore[return-value]


@staff_bp.app_template_global("file_conversation")
def file_conversation(newcomer: Newcomer) -> StaffConversation:
    """The conversation section of a file (``backoffice/_file_conversation.html``)."""
    return StaffConversation(newcomer, services.thread(newcomer, new=g.get("conversation_new", ())), _message_form())


@staff_bp.app_template_global("with_message_choices")
def with_message_choices(form: MessageFields) -> MessageFields:
    """A message form (the file's "Return with a question") with its choices filled in."""
    return fill_choices(form)


@backoffice_bp.before_request
def _opening_the_file_reads_its_replies() -> None:
    """A klantmanager opening a file reads its conversation: the replies on it are read from then on.

    Before the file view runs, so the page that shows them can point them out as new, and nothing
    the view loaded is expired by the commit. Another municipality's file matches nothing (tenancy).
    """
    if request.endpoint != "backoffice.file" or request.method != "GET" or current_staff().role != KLANTMANAGER:
        return
    if current_limit() is None:  # the back office's own hook limits every request first; never without it
        return
    newcomer_id = (request.view_args or {}).get("newcomer_id")
    if newcomer_id is not None:
        g.conversation_new = services.mark_replies_read(newcomer_id)


def _staff_page(newcomer: Newcomer, form: MessageForm, code: int = 200) -> ResponseReturnValue:
    conversation = StaffConversation(newcomer, services.thread(newcomer, new=g.get("conversation_new", ())), form)
    return render_template("conversation/staff.html", newcomer=newcomer, conversation=conversation), code


@staff_bp.get("/<int:newcomer_id>/messages")
@requires(KLANTMANAGER)
def page(newcomer_id: int) -> ResponseReturnValue:
    """The file's conversation on a page of its own; opening it reads the replies. Audited as a view of the file."""
    newcomer = _file_or_404(newcomer_id)
    g.conversation_new = services.mark_replies_read(newcomer.id)
    audit.record("file.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return _staff_page(newcomer, _message_form(formdata=None))


@staff_bp.post("/<int:newcomer_id>/messages")
@requires(KLANTMANAGER)
def write(newcomer_id: int) -> ResponseReturnValue:
    """Write to the newcomer (a common question or free text); they get an SMS. A mistake comes back, text kept."""
    newcomer = _file_or_404(newcomer_id)
    form = _message_form()
    if not form.validate_on_submit():
        return _staff_page(newcomer, form, 422)
    try:
        services.write(
            newcomer,
            current_staff(),
            body=form.body.data or "",
            language=form.language.data,
            common_question=form.common_question.data or None,
        )
    except (services.EmptyMessage, services.TooLong, services.UnknownQuestion, ValueError):
        db.session.rollback()
        form.body.errors = [_("Choose a common question or write your message.")]
        return _staff_page(newcomer, form, 422)
    flash(_("Your message is on its way: the newcomer gets an SMS about it."), "info")
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id, _anchor="conversation"))


def return_form_page(newcomer: Newcomer, form: MessageFields) -> ResponseReturnValue:
    """The "Return with a question" form again, with the message next to the field and the text kept (422)."""
    return render_template("conversation/return.html", newcomer=newcomer, form=form), 422


# -- the newcomer --------------------------------------------------------------------------------


def _newcomer() -> Newcomer:
    """The signed-in newcomer (404 for staff: the messages page is a newcomer's own)."""
    if current_user.newcomer is None:
        abort(404)
    return current_user.newcomer


@bp.app_template_global()
def unread_messages() -> int:
    """For the page header: how many messages the signed-in newcomer has not read (0 for anyone else)."""
    user = current_user
    if not (user.is_authenticated and user.newcomer):
        return 0
    return services.unread_by_newcomer(user.newcomer)


@bp.get("/m")
def short() -> ResponseReturnValue:
    """The short link in the SMS: the messages, through signing in when needed."""
    return redirect(url_for("messages.thread"))


def _thread_page(newcomer: Newcomer, form: ReplyForm, code: int = 200) -> ResponseReturnValue:
    entries = services.thread(newcomer)
    services.mark_read_by_newcomer(newcomer, [e.id for e in entries if e.outgoing and e.read_at is None])
    return render_template("conversation/thread.html", entries=entries, form=form), code


@bp.get("/messages")
@login_required
def thread() -> ResponseReturnValue:
    """The newcomer's messages, in their language; reading them marks them read."""
    return _thread_page(_newcomer(), ReplyForm(formdata=None))


@bp.post("/messages")
@login_required
@answers_limited
def reply() -> ResponseReturnValue:
    """The newcomer answers on the web."""
    newcomer = _newcomer()
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            services.reply(newcomer, form.body.data, language=current_language().code)
        except (services.EmptyMessage, services.TooLong):
            db.session.rollback()
            form.body.errors = [_("Please write your answer.")]
        else:
            flash(_("Your answer was sent to your klantmanager."), "info")
            return redirect(url_for("messages.thread", _anchor="reply"))
    return _thread_page(newcomer, form, 422)
