"""Back-office routes of the records behind the reports, on a newcomer's file, and the complaints register.

Thin: the verbs are in ``records_services``, the forms in ``records_forms``. Klantmanagers only; a
file of another municipality does not exist for them (404); an erased file refuses every write (409,
``routes._erased_files_are_read_only``). The id of an activity or household member travels as a
bounded query or form value (``?item=``), never as a second path id, so every file route names the
file alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from .. import audit
from ..extensions import db
from ..models import Newcomer
from ..models.partner import PARTNER_KIND_LABELS, Partner, RoutePartner
from ..models.records import FILED_WITH, Complaint, HouseholdMember, ParticipationActivity, ReliefTrajectory
from ..models.staff import KLANTMANAGER
from ..params import MAX_PAGE, bounded_int, link_args
from . import bp
from . import records_services as records
from .access import current_staff, requires
from .records_forms import (
    ACTIVITY_LABELS,
    END_REASON_LABELS,
    FILED_WITH_LABELS,
    MEMBER_LABELS,
    ActivityForm,
    ComplaintForm,
    ConfirmDeleteForm,
    EndForm,
    FactsForm,
    HouseholdForm,
    ReliefForm,
    RoutePartnerForm,
)
from .routes import _file_or_404
from .services import get_file


@dataclass(frozen=True)
class RecordsPanel:
    """What ``backoffice/records/_records.html`` shows on the file page."""

    progress_map_exempt_on: object
    relief: ReliefTrajectory | None
    activities: list[ParticipationActivity]
    members: list[HouseholdMember]
    route_partners: list[RoutePartner]


@bp.app_template_global()
def records_panel(newcomer: Newcomer) -> RecordsPanel:
    """The records of the file on the page (the file view itself is audited by its route)."""
    progress = records.progress_of(newcomer)
    return RecordsPanel(
        progress_map_exempt_on=progress.map_exempt_on if progress else None,
        relief=records.relief_of(newcomer),
        activities=records.activities_of(newcomer),
        members=records.members_of(newcomer),
        route_partners=records.route_partners_of(newcomer),
    )


@bp.app_context_processor
def _records_labels() -> dict:
    return {
        "end_reason_labels": END_REASON_LABELS,
        "activity_labels": ACTIVITY_LABELS,
        "member_labels": MEMBER_LABELS,
        "filed_with_labels": FILED_WITH_LABELS,
        "partner_kind_labels": PARTNER_KIND_LABELS,
    }


def _back(newcomer: Newcomer) -> Response:
    return redirect(url_for("backoffice.file", newcomer_id=newcomer.id) + "#records")


def _viewed(newcomer: Newcomer) -> None:
    audit.record("file.viewed", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()


def _page(template: str, newcomer: Newcomer, form: object, **context: object) -> ResponseReturnValue:
    code = 422 if getattr(form, "errors", None) else 200
    _viewed(newcomer)
    return render_template(f"backoffice/records/{template}", newcomer=newcomer, form=form, **context), code


def _item_id() -> int | None:
    """The bounded id of the activity or household member a request names (query or form)."""
    return bounded_int(request.values.get("item"))


def _partner_choices(form: object, partners: list[Partner], empty: str | None) -> None:
    choices = [SelectChoice("", empty)] if empty is not None else []
    choices += [SelectChoice(str(p.id), f"{p.name} ({PARTNER_KIND_LABELS.get(p.kind, p.kind)})") for p in partners]
    form.partner.choices = choices  # type: ignore[attr-defined]
    form.partner_ids = {p.id for p in partners}  # type: ignore[attr-defined]


# -- the end of the file ------------------------------------------------------------------------------


@bp.route("/newcomers/<int:newcomer_id>/records/end", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def records_end(newcomer_id: int) -> ResponseReturnValue:
    """Record the end of the file (date and reason; sets the status), or undo it by clearing both."""
    newcomer = _file_or_404(newcomer_id)
    form = EndForm(data={"ended_on": newcomer.ended_on, "end_reason": newcomer.end_reason or ""})
    if form.validate_on_submit():
        if records.set_end(newcomer, current_staff(), form.ended_on.data, form.end_reason.data):
            flash(
                _("The end of the file is saved.") if newcomer.end_reason else _("The end of the file is undone."),
                "info",
            )
        else:
            flash(_("Nothing changed."), "info")
        return _back(newcomer)
    return _page("end.html", newcomer, form)


@bp.route("/newcomers/<int:newcomer_id>/records/facts", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def records_facts(newcomer_id: int) -> ResponseReturnValue:
    """The obligation met, the MAP exemption's date, nareiziger."""
    newcomer = _file_or_404(newcomer_id)
    progress = records.progress_of(newcomer)
    form = FactsForm(
        data={
            "obligation_met_on": newcomer.obligation_met_on,
            "map_exempt_on": progress.map_exempt_on if progress else None,
            "nareiziger": newcomer.nareiziger,
        }
    )
    if form.validate_on_submit():
        changed = records.set_facts(
            newcomer,
            current_staff(),
            obligation_met_on=form.obligation_met_on.data,
            map_exempt_on=form.map_exempt_on.data,
            nareiziger=bool(form.nareiziger.data),
        )
        flash(_("Saved.") if changed else _("Nothing changed."), "info")
        return _back(newcomer)
    return _page("facts.html", newcomer, form)


# -- financieel ontzorgen ---------------------------------------------------------------------------


@bp.route("/newcomers/<int:newcomer_id>/records/relief", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def records_relief(newcomer_id: int) -> ResponseReturnValue:
    """Financieel ontzorgen: one trajectory per person."""
    newcomer = _file_or_404(newcomer_id)
    relief = records.relief_of(newcomer)
    data = None
    if relief is not None:
        data = {
            name: getattr(relief, name)
            for name in ("started_on", "six_months_on", "extended", "extension_decided_on", "ended_on")
        }
    form = ReliefForm(data=data)
    if form.validate_on_submit():
        records.save_relief(
            newcomer,
            current_staff(),
            started_on=form.started_on.data,
            six_months_on=form.six_months_on.data,
            extended=bool(form.extended.data),
            extension_decided_on=form.extension_decided_on.data,
            ended_on=form.ended_on.data,
        )
        flash(_("Financieel ontzorgen is saved."), "info")
        return _back(newcomer)
    return _page("relief.html", newcomer, form, relief=relief)


# -- participation activities and household members: one view per record kind ------------------------


@dataclass(frozen=True)
class RecordKind:
    """A kind of record a file holds several of: its pages (list and form, confirm and delete) in one spec.

    ``endpoint`` and ``delete_endpoint`` name the two routes under ``/records/<path>``; the item a
    request names travels as ``?item=`` (see the module docstring). ``data`` gives a stored item's
    form values, ``save`` and ``delete`` are the verbs of ``records_services`` (they audit and commit),
    ``what`` names an item on the confirm page.
    """

    path: str
    endpoint: str
    delete_endpoint: str
    template: str
    item_name: str
    """What the template calls the item being changed; ``list_name``: what it calls all of the file's."""
    list_name: str
    form: type
    get: Callable[[Newcomer, int | None], Any]
    list_of: Callable[[Newcomer], list]
    data: Callable[[Any], dict]
    save: Callable[[Newcomer, Any, Any], None]
    delete: Callable[[Newcomer, Any], None]
    what: Callable[[Any], str]
    saved: str
    deleted: str
    doc: str
    prepare: Callable[[Any, Newcomer], None] = lambda _form, _newcomer: None
    """Fill in the form's choices that depend on the file (the partners serving its municipality)."""

    def list_url(self, newcomer: Newcomer) -> str:
        return url_for(f"backoffice.{self.endpoint}", newcomer_id=newcomer.id)

    def edit(self, newcomer_id: int) -> ResponseReturnValue:
        """The list of items and the form to add one, or to change the one in ``?item=``."""
        newcomer = _file_or_404(newcomer_id)
        item = self.get(newcomer, _item_id())
        if request.values.get("item") and item is None:
            abort(404)
        form = self.form(data=None if item is None else self.data(item))
        self.prepare(form, newcomer)
        if form.validate_on_submit():
            self.save(newcomer, item, form)
            flash(str(self.saved), "info")
            return redirect(self.list_url(newcomer))
        context = {self.item_name: item, self.list_name: self.list_of(newcomer)}
        return _page(self.template, newcomer, form, **context)

    def confirm_delete(self, newcomer_id: int) -> ResponseReturnValue:
        """Confirm, then delete, the item in ``item``."""
        newcomer = _file_or_404(newcomer_id)
        item = self.get(newcomer, _item_id())
        if item is None:
            if request.method == "GET":
                return redirect(self.list_url(newcomer))
            abort(404)
        form = ConfirmDeleteForm()
        if form.validate_on_submit():
            self.delete(newcomer, item)
            flash(str(self.deleted), "info")
            return redirect(self.list_url(newcomer))
        return _page(
            "confirm_delete.html",
            newcomer,
            form,
            what=self.what(item),
            item=item.id,
            action=url_for(f"backoffice.{self.delete_endpoint}", newcomer_id=newcomer.id),
            back=self.list_url(newcomer),
        )

    def register(self) -> None:
        """Add the two routes to the blueprint, klantmanagers only."""

        def edit(newcomer_id: int) -> ResponseReturnValue:
            return self.edit(newcomer_id)

        def confirm_delete(newcomer_id: int) -> ResponseReturnValue:
            return self.confirm_delete(newcomer_id)

        edit.__doc__ = self.doc
        confirm_delete.__doc__ = "Confirm, then delete, the item in ``item``."
        for rule, endpoint, view in (
            (f"/newcomers/<int:newcomer_id>/records/{self.path}", self.endpoint, edit),
            (f"/newcomers/<int:newcomer_id>/records/{self.path}/delete", self.delete_endpoint, confirm_delete),
        ):
            view.__name__ = endpoint
            bp.add_url_rule(rule, endpoint, requires(KLANTMANAGER)(view), methods=["GET", "POST"])


def _activity_partners(form: ActivityForm, newcomer: Newcomer) -> None:
    _partner_choices(form, records.partners_serving((newcomer.municipality_id,)), _("No partner"))


ACTIVITIES = RecordKind(
    path="activities",
    endpoint="records_activities",
    delete_endpoint="records_activity_delete",
    template="activities.html",
    item_name="activity",
    list_name="activities",
    form=ActivityForm,
    get=records.activity_of,
    list_of=records.activities_of,
    data=lambda activity: {
        "kind": activity.kind,
        "started_on": activity.started_on,
        "ended_on": activity.ended_on,
        "partner": str(activity.partner_id or ""),
        "hours_per_week": activity.hours_per_week,
    },
    save=lambda newcomer, activity, form: records.save_activity(
        newcomer,
        current_staff(),
        activity,
        kind=form.kind.data,
        started_on=form.started_on.data,
        ended_on=form.ended_on.data,
        partner_id=int(form.partner.data) if form.partner.data else None,
        hours_per_week=form.hours_per_week.data,
    ),
    delete=records.delete_activity,
    what=lambda activity: _(
        "%(kind)s from %(date)s",
        kind=ACTIVITY_LABELS.get(activity.kind, activity.kind),
        date=format_date(activity.started_on),
    ),
    saved=_l("The activity is saved."),
    deleted=_l("The activity is deleted."),
    doc="Participation activities: list, add, or change the one in ``?item=``; confirm and delete one.",
    prepare=_activity_partners,
)
HOUSEHOLD = RecordKind(
    path="household",
    endpoint="records_household",
    delete_endpoint="records_member_delete",
    template="household.html",
    item_name="member",
    list_name="members",
    form=HouseholdForm,
    get=records.member_of,
    list_of=records.members_of,
    data=lambda member: {
        "kind": member.kind,
        "birth_year": member.birth_year,
        "housed_on": member.housed_on,
        "nareiziger": member.nareiziger,
    },
    save=lambda newcomer, member, form: records.save_member(
        newcomer,
        member,
        kind=form.kind.data,
        birth_year=form.birth_year.data,
        housed_on=form.housed_on.data,
        nareiziger=bool(form.nareiziger.data),
    ),
    delete=records.delete_member,
    what=lambda member: _(
        "%(kind)s, housed on %(date)s",
        kind=MEMBER_LABELS.get(member.kind, member.kind),
        date=format_date(member.housed_on),
    ),
    saved=_l("The household member is saved."),
    deleted=_l("The household member is deleted."),
    doc="Housed household members who are not obliged: list, add, or change the one in ``?item=``; delete one.",
)
RECORD_KINDS = (ACTIVITIES, HOUSEHOLD)
for _kind in RECORD_KINDS:
    _kind.register()


# -- route partners -----------------------------------------------------------------------------------


@bp.route("/newcomers/<int:newcomer_id>/records/partners", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def records_partners(newcomer_id: int) -> ResponseReturnValue:
    """Which partner of each kind serves this person, from a date."""
    newcomer = _file_or_404(newcomer_id)
    partners = records.partners_serving((newcomer.municipality_id,))
    form = RoutePartnerForm()
    _partner_choices(form, partners, _("Choose a partner"))
    if form.validate_on_submit():
        partner = next(p for p in partners if p.id == int(form.partner.data))
        records.link_partner(newcomer, current_staff(), partner, form.started_on.data)
        flash(_("The partner is linked."), "info")
        return redirect(url_for("backoffice.records_partners", newcomer_id=newcomer.id))
    return _page("partners.html", newcomer, form, links=records.route_partners_of(newcomer), partners=partners)


# -- the complaints register --------------------------------------------------------------------------

COMPLAINT_FILTERS = ("municipality", "official", "filed_with")


def _complaint_filter() -> records.ComplaintFilter:
    args = request.args
    municipality_id = bounded_int(args.get("municipality"))
    if municipality_id not in current_staff().municipality_ids:
        municipality_id = None
    official = {"yes": True, "no": False}.get(args.get("official", ""))
    filed_with = args.get("filed_with") if args.get("filed_with") in FILED_WITH else None
    return records.ComplaintFilter(
        municipality_id, official, filed_with, bounded_int(args.get("page"), high=MAX_PAGE) or 1
    )


@bp.get("/complaints")
@requires(KLANTMANAGER)
def complaints() -> ResponseReturnValue:
    """The complaints register of the klantmanager's municipalities, with filters, paginated."""
    f = _complaint_filter()
    page = records.complaints(f)
    return render_template(
        "backoffice/records/complaints.html",
        page=page,
        f=f,
        args=link_args(request.args, COMPLAINT_FILTERS),
        municipalities=current_staff().municipalities,
    )


def _complaint_form(entry: Complaint | None) -> ComplaintForm:
    staff = current_staff()
    data = None
    if entry is not None:
        data = {
            "received_on": entry.received_on,
            "municipality": str(entry.municipality_id),
            "official": "yes" if entry.official else "no",
            "about_inburgering": entry.about_inburgering,
            "filed_with": entry.filed_with,
            "partner": str(entry.partner_id or ""),
            "subject": entry.subject,
            "newcomer": str(entry.newcomer_id or ""),
            "handled_on": entry.handled_on,
            "outcome": entry.outcome or "",
        }
    form = ComplaintForm(data=data)
    form.municipality.choices = [SelectChoice(str(m.id), m.name) for m in staff.municipalities]
    form.municipality_ids = set(staff.municipality_ids)
    if len(form.municipality.choices) == 1 and not form.municipality.data:
        form.municipality.data = form.municipality.choices[0].value
    _partner_choices(form, records.partners_serving(tuple(staff.municipality_ids)), _("No partner"))
    return form


def _complaint_page(form: ComplaintForm, entry: Complaint | None) -> ResponseReturnValue:
    code = 422 if form.errors else 200
    return render_template("backoffice/records/complaint_form.html", form=form, entry=entry), code


def _save_complaint(form: ComplaintForm, entry: Complaint | None) -> ResponseReturnValue:
    municipality_id = int(form.municipality.data)
    newcomer_id = None
    if form.newcomer.data:
        file_id = bounded_int(form.newcomer.data)
        linked = get_file(file_id) if file_id is not None else None
        if linked is None or linked.municipality_id != municipality_id:
            form.newcomer.errors.append(_("No file with this number in this municipality."))
            return _complaint_page(form, entry)
        newcomer_id = linked.id
    records.save_complaint(
        current_staff(),
        entry,
        municipality_id=municipality_id,
        newcomer_id=newcomer_id,
        received_on=form.received_on.data,
        official=form.official.data == "yes",
        about_inburgering=bool(form.about_inburgering.data),
        filed_with=form.filed_with.data,
        partner_id=int(form.partner.data) if form.partner.data else None,
        subject=form.subject.data,
        handled_on=form.handled_on.data,
        outcome=form.outcome.data,
    )
    flash(_("The complaint is saved."), "info")
    return redirect(url_for("backoffice.complaints"))


@bp.route("/complaints/new", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def complaint_new() -> ResponseReturnValue:
    """Register a complaint, optionally linked to a file (``?file=`` prefills it)."""
    form = _complaint_form(None)
    if request.method == "GET" and bounded_int(request.args.get("file")):
        form.newcomer.data = str(bounded_int(request.args.get("file")))
    if form.validate_on_submit():
        return _save_complaint(form, None)
    return _complaint_page(form, None)


def _complaint_or_404(complaint_id: int) -> Complaint:
    entry = records.complaint(complaint_id)
    if entry is None:
        abort(404)
    return entry


@bp.route("/complaints/<int:complaint_id>", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def complaint_edit(complaint_id: int) -> ResponseReturnValue:
    """Change an entry of the register."""
    entry = _complaint_or_404(complaint_id)
    form = _complaint_form(entry)
    if form.validate_on_submit():
        return _save_complaint(form, entry)
    return _complaint_page(form, entry)


@bp.route("/complaints/<int:complaint_id>/delete", methods=["GET", "POST"])
@requires(KLANTMANAGER)
def complaint_delete(complaint_id: int) -> ResponseReturnValue:
    """Confirm, then delete, an entry of the register."""
    entry = _complaint_or_404(complaint_id)
    form = ConfirmDeleteForm()
    if form.validate_on_submit():
        records.delete_complaint(entry)
        flash(_("The complaint is deleted."), "info")
        return redirect(url_for("backoffice.complaints"))
    return render_template(
        "backoffice/records/confirm_delete.html",
        newcomer=None,
        form=form,
        what=_("The complaint of %(date)s", date=format_date(entry.received_on)),
        item=entry.id,
        action=url_for("backoffice.complaint_delete", complaint_id=entry.id),
        back=url_for("backoffice.complaint_edit", complaint_id=entry.id),
    )
