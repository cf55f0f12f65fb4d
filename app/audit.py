"""Writing the audit log. Entries name records by type and id only: never personal data."""

from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db
from .models import AuditEvent

OK = "ok"
DENIED = "denied"
FAILED = "failed"

ACTIONS = {
    "appointment.attendance_recorded": _l("Attendance recorded"),
    "appointment.booked": _l("Appointment booked"),
    "appointment.cancelled": _l("Appointment cancelled"),
    "appointment.interpreter_arranged": _l("Interpreter arranged for an appointment"),
    "appointment.interpreter_not_arranged": _l("Interpreter no longer arranged for an appointment"),
    "appointment.invited": _l("Newcomers invited to a group session"),
    "appointment.moved": _l("Appointment moved"),
    "appointment.removed": _l("Newcomer taken off an appointment"),
    "appointment.viewed": _l("Appointment viewed"),
    "progress.hours_imported": _l("Hours imported"),
    "progress.recorded": _l("Route progress recorded"),
    "access.refused": _l("Access refused"),
    "audit.exported": _l("Audit log downloaded"),
    "caseload.selection": _l("Caseload selection acted on"),
    "file.assigned": _l("File assigned to a klantmanager"),
    "file.created": _l("File created"),
    "file.details_changed": _l("File details corrected"),
    # One entry per corrected field (backoffice/details_services.py): which field, never its value.
    "file.details_changed.name": _l("File details corrected: name"),
    "file.details_changed.phone": _l("File details corrected: phone number"),
    "file.details_changed.language": _l("File details corrected: language"),
    "file.details_changed.bsn": _l("File details corrected: BSN"),
    "file.details_changed.duo_notified_on": _l("File details corrected: date of DUO's notification"),
    "file.details_changed.settled_on": _l("File details corrected: date settled"),
    "file.erased": _l("File erased"),
    "file.exported": _l("File exported"),
    "file.exported_xlsx": _l("Files exported to a spreadsheet"),
    "file.invited": _l("Invitation sent"),
    "file.message_written": _l("Message written to the newcomer"),
    "file.note_added": _l("Note added"),
    "file.printed": _l("File printed"),
    "file.quiet_hours_changed": _l("Quiet hours for SMS changed"),
    "file.sms_opted_in": _l("SMS allowed again (the person sent START)"),
    "file.sms_opted_out": _l("SMS stopped (the person sent STOP)"),
    "file.status_changed": _l("Status changed"),
    "file.viewed": _l("File viewed"),
    "file.intake_sms_viewed": _l("SMS conversation of the intake read"),
    "import.failed": _l("Import failed"),
    "import.finished": _l("Import finished"),
    "import.started": _l("Import started"),
    "import.viewed": _l("Import viewed"),
    "intake.approved": _l("Intake approved"),
    "intake.returned": _l("Intake returned with a question"),
    "intake.sms_started": _l("Intake continued by SMS (the next question sent)"),
    "municipality.added": _l("Municipality added"),
    "outbox.cancelled": _l("SMS cancelled on the queue page"),
    "outbox.retried": _l("SMS sent again from the queue page"),
    "pip.saved": _l("PIP saved"),
    "pip.term_extended": _l("Term extended"),
    "pip.viewed": _l("PIP viewed"),
    "records.ended": _l("End of a file recorded"),
    "records.obligation_met": _l("Obligation met recorded"),
    "records.relief_saved": _l("Financieel ontzorgen recorded"),
    "records.activity_saved": _l("Participation activity recorded"),
    "records.activity_deleted": _l("Participation activity deleted"),
    "records.household_saved": _l("Household member recorded"),
    "records.household_deleted": _l("Household member deleted"),
    "records.partner_linked": _l("Partner linked to a route"),
    "records.complaint_saved": _l("Complaint registered"),
    "records.complaint_deleted": _l("Complaint deleted"),
    "records.history_imported": _l("History imported"),
    "records.facts_saved": _l("File facts recorded (MAP exemption date, nareiziger)"),
    "partner.saved": _l("Partner saved"),
    "region.saved": _l("Region settings saved"),
    "report.viewed": _l("Report viewed"),
    "report.exported": _l("Report exported"),
    "report.files_viewed": _l("Files behind a report figure viewed"),
    "survey.comments_viewed": _l("Survey comments read"),
    "survey.invited": _l("Survey invitation sent"),
    "staff.created": _l("Staff account created"),
    "staff.disabled": _l("Staff account disabled"),
    "staff.enabled": _l("Staff account enabled"),
    "staff.enrol": _l("Authenticator app set up (failed code)"),
    "staff.municipalities_changed": _l("Municipalities of a staff member changed"),
    "staff.password_changed": _l("Password changed"),
    "staff.password_reset": _l("Password reset"),
    "staff.second_factor": _l("Second sign-in step"),
    "staff.sign_in": _l("Staff sign-in"),
}
"""Every action the log records, with a name a beheerder reads (a test keeps this list complete)."""
ACTION_GROUPS = {
    "appointment.": _l("Every action on appointments"),
    "progress.": _l("Every action on route progress"),
    "file.": _l("Every action on files"),
    "intake.": _l("Every action on intakes"),
    "pip.": _l("Every action on PIPs"),
    "import.": _l("Every import action"),
    "records.": _l("Every action on report records"),
    "report.": _l("Every report action"),
    "survey.": _l("Every survey action"),
    "staff.": _l("Every action on staff accounts"),
}


def _actor() -> tuple[str, int | None]:
    if not has_request_context() or not current_user.is_authenticated:
        return ("anonymous", None) if has_request_context() else ("system", None)
    if current_user.staff_id:
        return "staff", current_user.staff_id
    return "newcomer", current_user.newcomer_id


def record(
    action: str,
    record_type: str | None = None,
    record_id: int | None = None,
    *,
    result: str = OK,
    municipality_id: int | None = None,
    actor: tuple[str, int | None] | None = None,
) -> None:
    """Add an audit entry to the current transaction (the caller commits)."""
    actor_type, actor_id = actor or _actor()
    db.session.add(
        AuditEvent(
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            record_type=record_type,
            record_id=record_id,
            municipality_id=municipality_id,
            result=result,
            ip=request.remote_addr if has_request_context() else None,
        )
    )
