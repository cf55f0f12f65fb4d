"""Tenancy: every record of a newcomer belongs to one municipality, enforced in one place.

Models that hold personal data mix in :class:`TenantOwned`. While a staff request has set the
municipalities it may see (:func:`limit_to`), every ORM SELECT gets a criterion on
``municipality_id`` added by a session event, so no view can forget it: another municipality's
records simply do not exist for that request (404).
"""

from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, declared_attr, mapped_column, with_loader_criteria


class TenantOwned:
    """Mixin: the record belongs to the municipality in ``municipality_id``."""

    @declared_attr
    def municipality_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr takes the class
        return mapped_column(ForeignKey("municipalities.id"), index=True)


def limit_to(municipality_ids: tuple[int, ...]) -> None:
    """From now on in this request, show only records of these municipalities."""
    g.tenant_municipality_ids = tuple(municipality_ids)


def current_limit() -> tuple[int, ...] | None:
    """The municipalities this request may see, or ``None`` when it is not limited (newcomer, CLI)."""
    return getattr(g, "tenant_municipality_ids", None) if has_app_context() else None


@event.listens_for(Session, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    allowed = current_limit()
    if allowed is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_municipalities"):
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.municipality_id.in_(allowed), include_aliases=True)
    )
