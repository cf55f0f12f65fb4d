"""Reports for policy staff and klantmanagers: klantbeleving, the voortgangsrapportage, the monitor.

One blueprint, ``/reports``, with a package per feature; each keeps its aggregate queries in its
own ``queries.py`` and its views only render. Who may see which municipalities is the request's
tenancy (set for every staff request in one place, :func:`app.backoffice.access.scope_request`);
the reports add what they must hide: no file behind a figure for the beleidsmedewerker, no small
cells on the klantbeleving dashboard.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from ..backoffice.access import current_staff

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
@login_required
def _staff_only() -> None:
    """Staff only (404 for anyone else); each view names the roles it serves."""
    current_staff()


from .klantbeleving import routes as klantbeleving_routes  # noqa: E402, F401
from .monitor import routes as monitor_routes  # noqa: E402, F401
from .progress import routes as progress_routes  # noqa: E402, F401
