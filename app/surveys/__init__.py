"""Satisfaction surveys: invitations by trigger, answered through a single-use link or by SMS."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("surveys", __name__, cli_group=None)

from . import routes, scan, sms  # noqa: E402, F401 - routes, the scan's job runner, the SMS send-time checks


@bp.cli.command("survey-scan")
def survey_scan_command() -> None:
    """Scan the survey triggers once: make the invitations that are due (and mark expired ones)."""
    import click

    made = scan.scan()
    click.echo(f"{made} survey invitation(s) made")
