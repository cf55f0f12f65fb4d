"""MAP, PVT and Z-route results in the shape of DUO's MAP-PVT-Zroute API, and back, without loss.

DUO's schemas (``duo-api/API/MAP-PVT-Zroute/openapi.yml``): ``ResultaatMap`` (``datumEindgesprekMap``,
``verwijtbaar``), ``ResultaatPvt`` (``datumOndertekeningPvt``, ``verwijtbaar``) and
``ResultaatZroute`` (``datumAfrondingZroute``). Every field is optional: an absent value is left
out, never sent as ``null``. ``verwijtbaar`` is DUO's ``InburgeringJaNeeType`` (``Ja``/``Nee``);
unknown is ``None`` here. ``from_duo_*`` gives the :class:`~app.models.appointment.RouteProgress`
columns, so ``from_duo_map(to_duo_map(record))`` is the record's own values and the other way round.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

YES, NO = "Ja", "Nee"
JA_NEE = (YES, NO)
"""DUO's ``InburgeringJaNeeType``."""

# DUO's field name -> the RouteProgress column, per schema.
MAP_FIELDS = {"datumEindgesprekMap": "map_final_interview_on", "verwijtbaar": "map_verwijtbaar"}
PVT_FIELDS = {"datumOndertekeningPvt": "pvt_signed_on", "verwijtbaar": "pvt_verwijtbaar"}
ZROUTE_FIELDS = {"datumAfrondingZroute": "z_completed_on"}


class Results(Protocol):
    """What the mapping reads: a RouteProgress, or anything with its result columns."""

    map_final_interview_on: date | None
    map_verwijtbaar: bool | None
    pvt_signed_on: date | None
    pvt_verwijtbaar: bool | None
    z_completed_on: date | None


def _to_duo(record: Results, fields: dict[str, str]) -> dict[str, str]:
    body: dict[str, str] = {}
    for duo_name, column in fields.items():
        value = getattr(record, column)
        if value is None:
            continue
        body[duo_name] = (YES if value else NO) if duo_name == "verwijtbaar" else value.isoformat()
    return body


def _from_duo(body: dict[str, Any], fields: dict[str, str]) -> dict[str, date | bool | None]:
    """The columns of a DUO body; ValueError on a field the schema does not have or a value it does not allow."""
    unknown = set(body) - set(fields)
    if unknown:
        raise ValueError(f"not in DUO's schema: {sorted(unknown)}")
    values: dict[str, date | bool | None] = dict.fromkeys(fields.values())
    for duo_name, value in body.items():
        if duo_name == "verwijtbaar":
            if value not in JA_NEE:
                raise ValueError("verwijtbaar must be Ja or Nee")
            values[fields[duo_name]] = value == YES
        else:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError(f"{duo_name} must be a date YYYY-MM-DD")
            values[fields[duo_name]] = date.fromisoformat(value)
    return values


def to_duo_map(record: Results) -> dict[str, str]:
    """DUO's ``ResultaatMap``: the date of the MAP final interview and ``verwijtbaar``, each only when known."""
    return _to_duo(record, MAP_FIELDS)


def to_duo_pvt(record: Results) -> dict[str, str]:
    """DUO's ``ResultaatPvt``: the date the participation statement was signed and ``verwijtbaar``."""
    return _to_duo(record, PVT_FIELDS)


def to_duo_zroute(record: Results) -> dict[str, str]:
    """DUO's ``ResultaatZroute``: the date the Z-route was completed."""
    return _to_duo(record, ZROUTE_FIELDS)


def from_duo_map(body: dict[str, Any]) -> dict[str, date | bool | None]:
    """The MAP columns (``map_final_interview_on``, ``map_verwijtbaar``) of a ``ResultaatMap``."""
    return _from_duo(body, MAP_FIELDS)


def from_duo_pvt(body: dict[str, Any]) -> dict[str, date | bool | None]:
    """The PVT columns (``pvt_signed_on``, ``pvt_verwijtbaar``) of a ``ResultaatPvt``."""
    return _from_duo(body, PVT_FIELDS)


def from_duo_zroute(body: dict[str, Any]) -> dict[str, date | bool | None]:
    """The Z-route column (``z_completed_on``) of a ``ResultaatZroute``."""
    return _from_duo(body, ZROUTE_FIELDS)
