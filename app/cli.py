"""``flask`` commands: invite a newcomer, add a municipality, load demo data."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click
import pyotp
from flask import Flask
from sqlalchemy import select

from workflows.fields import parse_phone

from .auth.services import create_invitation, send_invitation
from .casefiles import set_status
from .extensions import db
from .i18n import BY_CODE
from .models import Municipality, Newcomer, Staff
from .models.casefile import INVITED
from .models.staff import ROLES
from .models.types import local_today
from .staff.services import StaffError, create_staff, totp_uri

# Westfriesland: the region of the progress report this product started from.
DEMO_MUNICIPALITIES = {
    "0405": "Hoorn",
    "0420": "Medemblik",
    "0388": "Enkhuizen",
    "0498": "Drechterland",
    "0532": "Stede Broec",
    "1598": "Koggenland",
    "0432": "Opmeer",
}

# The people of the design notes, with fictitious numbers.
DEMO_NEWCOMERS = [
    # name, phone, gemeentecode, language, doelgroep, days since DUO's notification
    ("Amal Al-Hassan", "+31612345601", "0405", "ar", "statushouder", 66),
    ("Yonas Tesfay", "+31612345602", "0405", "ti", "statushouder", 30),
    ("Zahra Ahmadi", "+31612345603", "0420", "fa", "statushouder", 12),
    ("Mehmet Yılmaz", "+31612345604", "0420", "tr", "gezinsmigrant_overig", 40),
    ("Hodan Abdi", "+31612345605", "0388", "so", "statushouder", 75),
    ("Samira Haddad", "+31612345606", "0405", "ar", "statushouder", 20),
]


# Staff of two teams: Sanne's regional team (Hoorn, Enkhuizen) and Medemblik's own klantmanager.
DEMO_STAFF = [
    ("sanne@westfriesland.example", "klantmanager", ["0405", "0388"], "Sanne de Vries"),
    ("jeroen@medemblik.example", "klantmanager", ["0420"], "Jeroen Bakker"),
    ("peter@westfriesland.example", "beleidsmedewerker", ["0405", "0420", "0388"], "Peter Jansen"),
    ("beheer@westfriesland.example", "beheerder", [], "Beheer Westfriesland"),
]


class Refused(click.ClickException):
    """A one-line reason, exit status 1."""


def invite(name: str, phone: str, gemeente: str, language: str) -> tuple[Newcomer, str]:
    """Create (or find, by phone) a newcomer and a fresh invitation link; checks every argument."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Refused("name must be 1 to 200 characters")
    number = parse_phone(phone)
    if number is None:
        raise Refused(f"invalid phone number: {phone!r} (use e.g. 0612345678 or +31612345678)")
    if language not in BY_CODE:
        raise Refused(f"unsupported language {language!r}: use one of {', '.join(BY_CODE)}")
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == gemeente))
    if municipality is None:
        raise Refused(f"unknown gemeentecode {gemeente!r}: add it with `flask add-municipality`")
    newcomer = db.session.scalar(select(Newcomer).where(Newcomer.phone == number))
    if newcomer is None:
        newcomer = Newcomer(name=name, phone=number, municipality=municipality, language=language)
        db.session.add(newcomer)
        db.session.flush()
    elif newcomer.municipality_id != municipality.id:
        raise Refused(f"this phone number belongs to a newcomer of another municipality ({newcomer.municipality.code})")
    link = create_invitation(newcomer)
    return newcomer, link


def seed_demo_appointments() -> list[str]:
    """Demo appointments for the demo newcomers, led by Sanne (idempotent: each is booked once).

    A PVT group session next week for the Hoorn newcomers (a group belongs to one municipality; Hoorn
    has two demo newcomers), an intake talk tomorrow in Enkhuizen with an interpreter asked for, and
    a progress talk on a working day some days ago, with attendance recorded. Booked through the service, so the
    confirmations and reminders are queued in the outbox as for a real booking. Returns what it booked.
    """
    from datetime import datetime, time

    from .appointments import services as appointments
    from .i18n import AMSTERDAM
    from .models import Appointment, Attendee
    from .models.types import utcnow

    sanne = db.session.scalar(select(Staff).where(Staff.email == DEMO_STAFF[0][0]))
    if sanne is None:
        return []
    by_phone = {
        n.phone: n
        for n in db.session.scalars(select(Newcomer).where(Newcomer.phone.in_([p for _n, p, *_r in DEMO_NEWCOMERS])))
    }
    people = {name: by_phone.get(phone) for name, phone, *_rest in DEMO_NEWCOMERS}
    now = utcnow()
    today = now.astimezone(AMSTERDAM).date()

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), AMSTERDAM)

    next_tuesday = today + timedelta(days=7 - today.weekday() + 1)
    last_workday = today - timedelta(days=3)
    while last_workday.weekday() >= 5:  # a talk on a working day
        last_workday -= timedelta(days=1)
    plans = [
        # kind, who, start, details, the interpreter's language
        ("pvt_session", ("Amal Al-Hassan", "Yonas Tesfay", "Samira Haddad"), at(next_tuesday, 10),
         {"location": "Stadhuis Hoorn", "room": "2.14", "address": "Nieuwe Steen 1, Hoorn", "capacity": 12}, None),
        ("intake_talk", ("Hodan Abdi",), at(today + timedelta(days=1), 10),
         {"location": "Stadhuis Enkhuizen", "room": "Spreekkamer 3", "address": "Breedstraat 53, Enkhuizen"}, "so"),
        ("progress_talk", ("Amal Al-Hassan",), at(last_workday, 14), {"mode": "phone"}, None),
    ]  # fmt: skip
    booked = []
    for kind, names, starts_at, details, interpreter in plans:
        newcomers = [people[name] for name in names if people.get(name) is not None]
        if not newcomers:
            continue
        exists = db.session.scalar(
            select(Attendee.id)
            .join(Appointment)
            .where(
                Attendee.newcomer_id == newcomers[0].id,
                Appointment.kind == kind,
                Appointment.created_by_staff_id == sanne.id,
            )
            .limit(1)
        )
        if exists is not None:
            continue
        booked_at = min(now, starts_at - timedelta(days=7))
        _appointment, result = appointments.book(
            newcomers[0].municipality_id,
            appointments.Details(kind=kind, starts_at=starts_at, staff_id=sanne.id, **details),
            newcomers,
            actor=sanne,
            interpreter={n.id: interpreter for n in newcomers} if interpreter else None,
            now=booked_at,
        )
        if starts_at < now:
            for attendee in result.invited:
                appointments.record_attendance(attendee, "present", actor=sanne, now=now)
        elif kind == "pvt_session" and len(result.invited) > 1:
            appointments.respond(result.invited[1], "confirmed", "web", now=now)
        booked.append(f"{kind} on {starts_at.date().isoformat()} ({len(result.invited)} invited)")
    db.session.commit()
    return booked


DEMO_INTAKE_PHONE = "+31612345602"
"""Yonas: part-way through the intake, answered in the form, in the chat and by SMS."""
DEMO_INTAKE_FORM = {
    "about_you": {
        "preferred_name": "ዮናስ",
        "date_of_birth": "12-09-2001",
        "gender": "man",
        "country_of_birth": "ER",
        "phone": "06 12345602",
        "email": "",
        "contact_preference": "sms",
    },
}
"""What Yonas typed in the form, step by step (as the form posts it)."""
DEMO_INTAKE_CHAT = (
    ("mother_tongue", "ti"),
    ("other_language", "en"),
    ("reads_mother_tongue", "4"),
    ("writes_mother_tongue", "4"),
    ("reads_latin_script", "3"),
    ("dutch_level", "2"),
    ("english_level", "3"),
)
"""His answers in the chat, a question at a time (a choice by its number, as a quick reply sends it)."""
DEMO_INTAKE_SMS = ("12", "7", "3", "1", "ሒሳብ", "Eritrea", "2")
"""His SMS replies: years at school, a choice that does not exist (refused, asked again), secondary
school, a diploma, its subject, the country, no papers with him. The next question waits for him."""


def _send_demo_sms() -> None:
    """Send what is due now with the development or test sender (each question before its reply, as
    it happens); with a real provider the worker sends them, and a question answered meanwhile is
    cancelled as moved on."""
    from flask import current_app

    from .outbox.worker import drain

    if current_app.config["SMS_BACKEND"] in ("console", "fake"):
        drain(current_app._get_current_object(), "seed-demo")


def seed_demo_intake() -> str | None:
    """Yonas's intake part-way (idempotent: only when he has none): the first step in the form, the
    languages in the chat, then the SMS conversation through the real code (its question SMS go
    through the outbox, his replies are read as the inbound webhook reads them). What it did, or None."""
    from flask_babel import force_locale

    from workflows import engine, questions
    from workflows.engine import CHAT, WEB

    from .intake import services as intake_services
    from .intake import sms as intake_sms

    newcomer = db.session.scalar(select(Newcomer).where(Newcomer.phone == DEMO_INTAKE_PHONE))
    if newcomer is None or intake_services.get_intake(newcomer) is not None:
        return None
    filling = intake_services.start_or_resume(newcomer)
    with force_locale(newcomer.language):
        ctx = intake_services.context(newcomer.language)
        definition = intake_services.workflow(filling)
        for step_id, raw in DEMO_INTAKE_FORM.items():
            result = engine.validate_step(definition.step(step_id), raw, filling.answers, ctx)
            if not result.ok:
                raise Refused(f"demo intake: the form refused {sorted(result.errors)}")
            new = engine.apply_step(definition, intake_services.progress(filling), step_id, result.values, channel=WEB)
            intake_services.store(filling, new, WEB, newcomer.language)
        db.session.commit()
        for field_id, raw in DEMO_INTAKE_CHAT:
            outcome = intake_services.answer(filling, field_id, raw, channel=CHAT, ctx=ctx, locale=newcomer.language)
            if not outcome.ok:
                raise Refused(f"demo intake: the chat refused {field_id}")
    intake_sms.start(newcomer, actor=("system", None))
    _send_demo_sms()
    outcomes = []
    for number, body in enumerate(DEMO_INTAKE_SMS, start=1):
        outcomes.append(intake_sms.reply(filling, f"SMdemo{newcomer.id:04d}{number:03d}", body))
        db.session.commit()
        _send_demo_sms()
    question = questions.next_question(definition, intake_services.progress(filling), channel="sms")
    waiting = f"; the next question ({question.field.id}) waits for his reply" if question is not None else ""
    return f"{newcomer.name}: intake part-way (form, chat, {len(outcomes)} SMS replies){waiting}"


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""

    @app.cli.command("invite-newcomer")
    @click.option("--name", required=True, help="Full name, in any script.")
    @click.option("--phone", required=True, help="Mobile number; Dutch numbers may omit +31.")
    @click.option("--gemeente", required=True, help="4-digit CBS gemeentecode, e.g. 0405.")
    @click.option("--language", default="nl", show_default=True, help="nl, en, ar, ti, fa, tr or so.")
    @click.option("--sms/--no-sms", default=False, help="Also send the invitation by SMS.")
    def invite_newcomer(name: str, phone: str, gemeente: str, language: str, sms: bool) -> None:
        """Create or find a newcomer and print a new invitation URL (last line)."""
        newcomer, link = invite(name, phone, gemeente, language)
        if sms:
            message = send_invitation(newcomer, link)
            click.echo(f"SMS queued (outbox message {message.id}); a running `flask worker` sends it")
        db.session.commit()
        click.echo(link)

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
    @click.option("--max-seconds", type=click.FloatRange(min=0), default=None, help="Stop after this long.")
    def worker(once: bool, max_seconds: float | None) -> None:
        """Send the SMS outbox (and run queued jobs) until stopped; SIGTERM finishes the message in hand."""
        from .outbox.worker import Worker

        runner = Worker(app)
        runner.install_signal_handlers()
        click.echo(f"worker {runner.worker_id} started", err=True)
        sent = runner.run(once=once, max_seconds=max_seconds)
        click.echo(f"worker {runner.worker_id} stopped; {sent} sent", err=True)

    @app.cli.command("import-notifications")
    @click.option("--gemeente", required=True, help="4-digit CBS gemeentecode: only its rows are imported.")
    @click.option("--dry-run", is_flag=True, help="Check the file and print the report; write nothing.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_notifications(gemeente: str, dry_run: bool, file: Path) -> None:
        """Import a CSV file of DUO notifications, as the web import does; invitations are queued.

        Exit status 0: every line imported or imported before; 1: lines were refused; 2: the file or
        the gemeentecode cannot be used; 3: the import failed and nothing of the file was written.
        """
        code = import_notifications_command(app, gemeente, file, dry_run=dry_run)
        raise SystemExit(code)

    @app.cli.command("add-municipality")
    @click.option("--code", required=True, help="4-digit CBS gemeentecode.")
    @click.option("--name", required=True)
    def add_municipality(code: str, name: str) -> None:
        """Add a municipality (or rename it)."""
        if not (len(code) == 4 and code.isdigit()):
            raise Refused(f"gemeentecode must be 4 digits, not {code!r}")
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if municipality is None:
            db.session.add(Municipality(code=code, name=name))
        else:
            municipality.name = name
        db.session.commit()
        click.echo(f"{code} {name}")

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--gemeente", "gemeenten", multiple=True, help="CBS gemeentecode; repeat for several.")
    @click.option("--name", default=None, help="Display name (default: the part of the e-mail before @).")
    def create_staff_command(email: str, role: str, gemeenten: tuple[str, ...], name: str | None) -> None:
        """Create a staff account; prints a one-time password and the TOTP secret."""
        try:
            staff, password = create_staff(email, role, list(gemeenten), name)
        except StaffError as error:
            raise Refused(str(error)) from None
        db.session.commit()
        click.echo(f"e-mail: {staff.email}\nrole: {staff.role}\none-time password: {password}")
        click.echo(f"TOTP secret: {staff.totp_secret}\nTOTP URI: {totp_uri(staff, staff.totp_secret)}")

    @app.cli.command("staff-totp")
    @click.option("--email", required=True)
    def staff_totp(email: str) -> None:
        """Development only: print a staff member's current TOTP code (for demos without a phone)."""
        if not app.config["DEV_ROUTES"]:
            raise Refused("only in development")
        staff = db.session.scalar(select(Staff).where(Staff.email == email.lower()))
        if staff is None or not staff.totp_secret:
            raise Refused("no such account with a second factor")
        click.echo(pyotp.TOTP(staff.totp_secret).now())

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo data (idempotent) and print each demo newcomer's invitation link."""
        for code, name in DEMO_MUNICIPALITIES.items():
            if db.session.scalar(select(Municipality).where(Municipality.code == code)) is None:
                db.session.add(Municipality(code=code, name=name))
        db.session.flush()
        click.echo("Demo newcomers (invitation links are valid for 7 days, once):")
        today = local_today()
        for name, phone, gemeente, language, doelgroep, days_ago in DEMO_NEWCOMERS:
            newcomer, link = invite(name, phone, gemeente, language)
            if newcomer.duo_notified_on is None:  # first run: a realistic file with a running deadline
                newcomer.doelgroep = doelgroep
                newcomer.duo_notified_on = today - timedelta(days=days_ago)
                newcomer.update_deadline()
                set_status(newcomer, INVITED)
            click.echo(f"  {newcomer.name} ({language}, {newcomer.municipality.name}, {newcomer.phone}): {link}")
        db.session.commit()
        click.echo("Sign in by SMS code at /login with one of these numbers; codes appear at /dev/sms.")
        click.echo("\nDemo staff (sign in at /staff/login; codes: flask --app wsgi staff-totp --email E):")
        for email, role, codes, staff_name in DEMO_STAFF:
            if db.session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
                click.echo(f"  {email} ({role}): exists already")
                continue
            staff, password = create_staff(email, role, codes, staff_name)
            click.echo(
                f"  {email} ({role}, {', '.join(codes) or '-'}): password {password}, TOTP secret {staff.totp_secret}"
            )
        db.session.commit()
        click.echo("\nDemo appointments (Sanne's agenda: /backoffice/appointments/agenda/week):")
        for line in seed_demo_appointments() or ["booked before"]:
            click.echo(f"  {line}")
        click.echo("\nDemo intake (the file shows each answer's channel and the SMS conversation):")
        click.echo(f"  {seed_demo_intake() or 'answered before'}")
        from . import demo_reports

        click.echo("\nDemo reports (Peter's dashboard: /reports/klantbeleving):")
        click.echo(f"  {demo_reports.seed()}")

    @app.cli.command("purge-expired")
    @click.option("--dry-run", is_flag=True, help="Only list the files that would be anonymised.")
    def purge_expired(dry_run: bool) -> None:
        """Anonymise files whose retention period (RETENTION_YEARS after a final status) has ended."""
        from .backoffice import privacy_services

        years = app.config["RETENTION_YEARS"]
        ids = privacy_services.purge_expired(years, dry_run=dry_run)
        # Ids only: the output may end up in a log.
        verb = "would anonymise" if dry_run else "anonymised"
        click.echo(f"{verb} {len(ids)} file(s) whose retention period of {years} years has ended")
        for newcomer_id in ids:
            click.echo(f"  newcomer {newcomer_id}")
        if not dry_run:
            from .sms.inbound import forget_old_traces

            receipts, hashes = forget_old_traces()
            click.echo(f"forgot {receipts} old webhook receipt(s) and {hashes} keyed hash(es) of unknown senders")


def import_notifications_command(app: Flask, gemeente: str, file: Path, *, dry_run: bool = False) -> int:
    """``import-notifications``: check and import ``file`` into ``gemeente``; print the report; the exit status.

    The output names lines by number, reason code and DUO's notification id: never a name or a
    phone number (it may end up in a cron mail or a log).
    """
    from flask_babel import force_locale

    from forms.imports import CsvProblem, read_csv

    from .backoffice import import_services
    from .models import imports as job_status

    municipality = db.session.scalar(select(Municipality).where(Municipality.code == gemeente))
    if municipality is None:
        click.echo(f"error: unknown gemeentecode {gemeente!r}", err=True)
        return 2
    limit = app.config["IMPORT_MAX_BYTES"]
    with file.open("rb") as handle:
        data = handle.read(limit + 1)
    with force_locale("en"):
        if len(data) > limit:
            click.echo(f"error: the file is larger than IMPORT_MAX_BYTES ({limit} bytes); split it", err=True)
            return 2
        try:
            rows = read_csv(data)
        except CsvProblem as problem:
            click.echo(f"error: {problem.message}", err=True)
            return 2
        if dry_run:
            checked = import_services.check_only(municipality, rows)
            report, invalid, already = checked.report, checked.invalid_count, checked.already_count
            imported, invited, failure, job_id = len(checked.valid), 0, None, None
        else:
            job = import_services.import_from_command_line(municipality, rows)
            report, invalid, already = job.report, job.invalid_count, job.already_count
            imported, invited, job_id = job.imported_count, job.invited_count, job.id
            failure = job.failure if job.status != job_status.DONE else None
        _echo_report(import_services, report)
        if failure is not None:
            click.echo(f"import {job_id} failed ({failure}): nothing of the file was imported; run it again", err=True)
            return 3
        verb = "would import" if dry_run else "imported"
        summary = (
            f"{municipality.code}: {len(rows)} line(s); {verb} {imported}; imported before {already}; refused {invalid}"
        )
        if not dry_run:
            summary = f"import {job_id} {summary}; {invited} invitation(s) queued for the worker"
        click.echo(summary)
    return 1 if invalid else 0


def _echo_report(import_services, report: dict) -> None:  # noqa: ANN001 - the module, imported late
    """One line per refused line and per line imported with a warning: message, code, notification id."""
    kinds = (
        ("refused", import_services.report_lines(report), report.get("errors", [])),
        ("check", import_services.warning_lines(report), report.get("warnings", [])),
    )
    for kind, lines, entries in kinds:
        for line, entry in zip(lines, entries, strict=True):
            ident = f" ({entry['external_id']})" if entry.get("external_id") else ""
            click.echo(f"{kind}: {line.message} [{entry['code']}]{ident}")
