"""The beheerder's partners and regions: list, add and edit, validated and audited.

A partner is an organisation of one kind serving some municipalities (the survey asks about it, the
records link a route to it). A region groups municipalities that report together and holds their
policy settings: the klantbeleving target, the smallest cell a report shows, and the cohort KPI
targets of the monitor (``app/reports/monitor/kpis.py``). The blueprint's ``before_request`` lets
only beheerders in; the forms, the verbs and the views of these few pages are kept together here.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from forms.admin import CheckboxListField

from .. import audit
from ..extensions import db
from ..models import Municipality
from ..models.partner import (
    DEFAULT_KLANTBELEVING_TARGET,
    DEFAULT_MIN_CELL,
    PARTNER_KIND_LABELS,
    PARTNER_KINDS,
    Partner,
    Region,
)
from ..params import clean_text
from ..reports.monitor.kpis import DEFAULT_TARGETS, KPIS
from . import bp

MIN_CELL_RANGE = (3, 100)
TOO_LONG = _l("Use at most %(max)s characters.")
MARK_MESSAGE = _l("Please fill in a mark from 1.0 to 10.0.")
MIN_CELL_MESSAGE = _l("Please fill in a whole number from 3 to 100.")
PERCENT_MESSAGE = _l("Please fill in a whole percentage from 0 to 100.")


def _one_line(value: object) -> object:
    """Text without control characters, inner runs of spaces as one."""
    return " ".join(clean_text(value).split()) if isinstance(value, str) else value


def _visible(text: str) -> bool:
    """Whether ``text`` has a letter, digit, punctuation mark or symbol (not only invisible marks)."""
    return any(unicodedata.category(ch)[0] in "LNPS" for ch in text)


class LocalDecimalField(DecimalField):
    """A decimal typed with a comma (7,5) or a point (7.5); only a finite number in plain digits."""

    def process_formdata(self, valuelist: list) -> None:
        """Read a comma as the decimal separator; anything else than a finite number is an error."""
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        text = str(valuelist[0]).strip().replace(",", ".")
        try:
            value = Decimal(text) if "_" not in text else None  # Decimal reads "1_0" as 10
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            raise ValueError(self.invalid_value_message or self.gettext("Not a valid decimal value."))
        self.data = value


class LocalIntegerField(IntegerField):
    """A whole number in digits (an optional sign, spaces around): never "1_000", "5.0" or 4,300 digits.

    ``invalid_value_message`` is required: the field's own message ("from 3 to 100") says more than
    WTForms' "Not a valid integer value."."""

    def __init__(
        self, label: object = None, validators: list | None = None, *, invalid_value_message: object, **kwargs: object
    ) -> None:
        super().__init__(label, validators, invalid_value_message=invalid_value_message, **kwargs)

    def process_formdata(self, valuelist: list) -> None:
        """Anything else than a whole number is an error, not a 500."""
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        text = str(valuelist[0]).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isdecimal() or len(digits) > 12:
            raise ValueError(self.invalid_value_message)
        self.data = int(text)


class PartnerForm(FlaskForm):
    """A partner: name, kind, the municipalities it serves, and whether it is active."""

    name = StringField(
        _l("Name"),
        filters=[_one_line],
        validators=[InputRequired(message=_l("Please fill in a name.")), Length(max=120, message=TOO_LONG)],
    )
    kind = SelectField(_l("Kind"), choices=[])
    municipalities = CheckboxListField(_l("Municipalities served"), coerce=int, choices=[])
    active = BooleanField(_l("Active (can be linked to routes and rated in surveys)"), default=True)

    def validate_name(self, field: StringField) -> None:
        """Not only spaces or invisible marks."""
        if not _visible(field.data or ""):
            raise ValidationError(_l("Please fill in a name."))


class RegionForm(FlaskForm):
    """A region: name, municipalities, the klantbeleving target, the smallest cell, the KPI targets."""

    name = StringField(
        _l("Name"),
        filters=[_one_line],
        validators=[InputRequired(message=_l("Please fill in a name.")), Length(max=100, message=TOO_LONG)],
    )
    municipalities = CheckboxListField(_l("Municipalities"), coerce=int, choices=[])
    klantbeleving_target = LocalDecimalField(
        _l("Klantbeleving target (mean mark)"),
        places=1,
        description=_l("From 1.0 to 10.0, for example 7.0."),
        invalid_value_message=MARK_MESSAGE,
        validators=[InputRequired(message=MARK_MESSAGE), NumberRange(min=1, max=10, message=MARK_MESSAGE)],
    )
    min_cell = LocalIntegerField(
        _l("Smallest cell"),
        description=_l("A figure over fewer people than this is not shown (3 to 100)."),
        invalid_value_message=MIN_CELL_MESSAGE,
        validators=[InputRequired(message=MIN_CELL_MESSAGE), NumberRange(*MIN_CELL_RANGE, message=MIN_CELL_MESSAGE)],
    )

    def validate_name(self, field: StringField) -> None:
        """Not only spaces or invisible marks."""
        if not _visible(field.data or ""):
            raise ValidationError(_l("Please fill in a name."))

    def validate_klantbeleving_target(self, field: DecimalField) -> None:
        """One decimal at most.

        Only a mark NumberRange let through (1 to 10): ``quantize`` of a number like 1e30 needs more
        digits than the decimal context has, and raises InvalidOperation (a 500)."""
        if field.errors or field.data is None or not 1 <= field.data <= 10:
            return
        if field.data != field.data.quantize(Decimal("0.1")):
            raise ValidationError(_l("Please fill in a mark with one decimal at most, for example 7.5."))

    def target_fields(self) -> list:
        """The KPI target fields, in the monitor's order."""
        return [getattr(self, f"target_{kpi.id}") for kpi in KPIS]


for _kpi in KPIS:
    setattr(
        RegionForm,
        f"target_{_kpi.id}",
        LocalIntegerField(
            _kpi.label,
            description=_l("Percent, 0 to 100; empty: the default (%(num)d%%).", num=_kpi.target),
            invalid_value_message=PERCENT_MESSAGE,
            validators=[Optional(), NumberRange(0, 100, message=PERCENT_MESSAGE)],
        ),
    )


def _municipality_choices(region: Region | None = None) -> list[tuple[int, str]]:
    """Every municipality; for a region's form, the region another municipality is in now."""
    rows = db.session.execute(
        select(Municipality.id, Municipality.name, Municipality.code, Region.name)
        .outerjoin(Region, Region.id == Municipality.region_id)
        .order_by(Municipality.name, Municipality.code)
    ).all()
    choices = []
    for municipality_id, name, code, region_name in rows:
        label = f"{name} ({code})"
        if region is not None and region_name and region_name != region.name:
            label = _("%(municipality)s, now in %(region)s", municipality=label, region=region_name)
        choices.append((municipality_id, label))
    return choices


def _municipalities(ids: list[int]) -> list[Municipality]:
    if not ids:
        return []
    return list(db.session.scalars(select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.name)))


# -- partners ------------------------------------------------------------------------------------


@bp.get("/partners")
def partners() -> ResponseReturnValue:
    """Every partner, by kind and name, with the municipalities it serves."""
    rows = list(db.session.scalars(select(Partner).order_by(Partner.kind, Partner.name, Partner.id)))
    return render_template("admin/partners.html", partners=rows, kinds=PARTNER_KIND_LABELS)


@bp.route("/partners/new", methods=["GET", "POST"])
def new_partner() -> ResponseReturnValue:
    """Add a partner."""
    return _partner_form(None)


@bp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
def edit_partner(partner_id: int) -> ResponseReturnValue:
    """Change a partner (an inactive one stays in the reports of the past)."""
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    return _partner_form(partner)


def _partner_form(partner: Partner | None) -> ResponseReturnValue:
    if partner is None:
        form = PartnerForm()
    else:
        form = PartnerForm(obj=partner, data={"municipalities": [m.id for m in partner.municipalities]})
    form.kind.choices = [(k, PARTNER_KIND_LABELS[k]) for k in PARTNER_KINDS]
    form.municipalities.choices = _municipality_choices()
    if form.validate_on_submit():
        if partner is None:
            partner = Partner()
            db.session.add(partner)
        partner.name = form.name.data
        partner.kind = form.kind.data
        partner.active = bool(form.active.data)
        partner.municipalities = _municipalities(list(form.municipalities.data or []))
        db.session.flush()
        audit.record("partner.saved", "partner", partner.id)
        db.session.commit()
        flash(_("The partner has been saved."), "info")
        return redirect(url_for("admin.partners"))
    return render_template("admin/partners_form.html", form=form, partner=partner), 422 if form.errors else 200


# -- regions -------------------------------------------------------------------------------------


@bp.get("/regions")
def regions() -> ResponseReturnValue:
    """Every region with its municipalities and settings."""
    rows = list(db.session.scalars(select(Region).order_by(Region.name, Region.id)))
    return render_template("admin/regions.html", regions=rows, kpis=KPIS, defaults=DEFAULT_TARGETS)


@bp.route("/regions/new", methods=["GET", "POST"])
def new_region() -> ResponseReturnValue:
    """Add a region."""
    return _region_form(None)


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
def edit_region(region_id: int) -> ResponseReturnValue:
    """Change a region's name, municipalities and settings."""
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    return _region_form(region)


def _region_form(region: Region | None) -> ResponseReturnValue:
    if request.method == "POST":
        form = RegionForm()  # what was sent, nothing of the stored values (an empty target is the default)
    elif region is None:
        form = RegionForm(data={"klantbeleving_target": DEFAULT_KLANTBELEVING_TARGET, "min_cell": DEFAULT_MIN_CELL})
    else:
        data = {
            "name": region.name,
            "klantbeleving_target": region.klantbeleving_target,
            "min_cell": region.min_cell,
            "municipalities": [m.id for m in region.municipalities],
        }
        data.update({f"target_{k}": v for k, v in (region.targets or {}).items() if k in DEFAULT_TARGETS})
        form = RegionForm(data=data)
    form.municipalities.choices = _municipality_choices(region)
    if form.validate_on_submit():
        if _name_taken(form.name.data, region):
            form.name.errors = [_("A region with this name exists already.")]
        else:
            try:
                _save_region(region, form)
            except IntegrityError:  # the same name saved a moment ago in another request
                db.session.rollback()
                form.name.errors = [_("A region with this name exists already.")]
            else:
                flash(_("The region has been saved."), "info")
                return redirect(url_for("admin.regions"))
    return render_template("admin/regions_form.html", form=form, region=region), 422 if form.errors else 200


def _name_taken(name: str, region: Region | None) -> bool:
    """Whether another region has this name, in any case.

    Compared in Python: SQLite's lower() knows only A-Z, so a second "Regio Één" passed a lower()
    query and then failed the unique constraint (a 500)."""
    wanted = name.casefold()
    others = db.session.scalars(select(Region.name).where(Region.id != (region.id if region else -1)))
    return any(other.casefold() == wanted for other in others)


def _save_region(region: Region | None, form: RegionForm) -> Region:
    """Write the region and which municipalities are in it; audited."""
    if region is None:
        region = Region(name=form.name.data)
        db.session.add(region)
    region.name = form.name.data
    region.klantbeleving_target = form.klantbeleving_target.data.quantize(Decimal("0.1"))  # 1e1 is 10.0
    region.min_cell = form.min_cell.data
    region.targets = {
        kpi.id: field.data for kpi, field in zip(KPIS, form.target_fields(), strict=True) if field.data is not None
    }
    db.session.flush()
    chosen = set(form.municipalities.data or [])
    for municipality in db.session.scalars(
        select(Municipality).where((Municipality.region_id == region.id) | Municipality.id.in_(chosen))
    ):
        municipality.region_id = region.id if municipality.id in chosen else None
    audit.record("region.saved", "region", region.id)
    db.session.commit()
    return region
