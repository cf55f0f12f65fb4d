"""MAP, PVT and Z-route results onto DUO's MAP-PVT-Zroute schema and back: lossless, and as the yml says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import product

import pytest

from app.appointments import duo
from tests.conftest import ROOT

SPEC = ROOT.parent / "shared" / "duo-api" / "API" / "MAP-PVT-Zroute" / "openapi.yml"


@dataclass
class Record:
    """The result columns of a RouteProgress."""

    map_final_interview_on: date | None = None
    map_verwijtbaar: bool | None = None
    pvt_signed_on: date | None = None
    pvt_verwijtbaar: bool | None = None
    z_completed_on: date | None = None


# -- reading the schema from the yml (PyYAML is not a dependency), as tests/app/backoffice/test_pip.py does --


def _block(lines: list[str], header: str, indent: int) -> list[str]:
    """The lines under ``header`` at ``indent`` spaces, up to the next line indented as far or less."""
    start = lines.index(" " * indent + header)
    block = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    return block


def _items(block: list[str], key: str, indent: int) -> list[str]:
    """The ``- item`` lines of the list under ``key``."""
    items = []
    for line in block[block.index(" " * indent + key) + 1 :]:
        if not line.strip().startswith("- ") or len(line) - len(line.lstrip()) < indent:
            break
        items.append(line.strip()[2:])
    return items


def _properties(schema: list[str]) -> dict[str, list[str]]:
    """Each property of a schema with its lines."""
    body = _block(schema, "properties:", 6)
    names = [line.strip()[:-1] for line in body if re.match(r"^ {8}\w+:$", line)]
    return {name: _block(body, f"{name}:", 8) for name in names}


def _spec() -> dict[str, dict[str, str]]:
    """Per result schema: property -> ``date`` or the enum it refers to (as ``enum:Ja,Nee``)."""
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    schemas = _block(lines, "schemas:", 2)
    found: dict[str, dict[str, str]] = {}
    for name in ("ResultaatMap", "ResultaatPvt", "ResultaatZroute"):
        kinds = {}
        for prop, body in _properties(_block(schemas, f"{name}:", 4)).items():
            ref = next((line.split("/")[-1].strip('"') for line in body if "$ref:" in line), None)
            if ref is not None:
                kinds[prop] = "enum:" + ",".join(_items(_block(schemas, f"{ref}:", 4), "enum:", 6))
            else:
                assert any(line.strip() == "format: date" for line in body), (name, prop)
                kinds[prop] = "date"
        found[name] = kinds
    return found


EXPECTED = {
    "ResultaatMap": {"datumEindgesprekMap": "date", "verwijtbaar": "enum:Ja,Nee"},
    "ResultaatPvt": {"datumOndertekeningPvt": "date", "verwijtbaar": "enum:Ja,Nee"},
    "ResultaatZroute": {"datumAfrondingZroute": "date"},
}
"""What duo.py produces, per schema: the property names and the kind of each value."""
TO_DUO = {"ResultaatMap": duo.to_duo_map, "ResultaatPvt": duo.to_duo_pvt, "ResultaatZroute": duo.to_duo_zroute}
FROM_DUO = {"ResultaatMap": duo.from_duo_map, "ResultaatPvt": duo.from_duo_pvt, "ResultaatZroute": duo.from_duo_zroute}


def test_the_schema_in_the_yml_is_what_duo_py_produces():
    if not SPEC.exists():
        pytest.skip("DUO's API documentation is not next to the repository")
    assert _spec() == EXPECTED
    assert tuple(EXPECTED["ResultaatMap"]["verwijtbaar"].removeprefix("enum:").split(",")) == duo.JA_NEE


def assert_valid(schema: str, body: dict) -> None:
    """The body satisfies the schema: known properties only, dates as YYYY-MM-DD, Ja/Nee."""
    assert body.keys() <= EXPECTED[schema].keys()
    for name, value in body.items():
        kind = EXPECTED[schema][name]
        if kind == "date":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            assert date.fromisoformat(value)
        else:
            assert value in kind.removeprefix("enum:").split(",")


DATES = [None, date(2025, 3, 2), date(2021, 1, 1)]
FLAGS = [None, True, False]
RECORDS = [Record(m, mv, p, pv, z) for m, mv, p, pv, z in product(DATES[:2], FLAGS, DATES[1:], FLAGS, DATES)]


@pytest.mark.parametrize("record", RECORDS)
def test_every_record_maps_validly_and_back_without_loss(record):
    for schema, to_duo in TO_DUO.items():
        body = to_duo(record)
        assert_valid(schema, body)
        for column, value in FROM_DUO[schema](body).items():
            assert getattr(record, column) == value, (schema, column)


def test_absent_values_are_left_out_never_null():
    assert duo.to_duo_map(Record()) == {}
    assert duo.to_duo_pvt(Record(pvt_verwijtbaar=False)) == {"verwijtbaar": "Nee"}
    assert duo.to_duo_zroute(Record(z_completed_on=date(2025, 6, 30))) == {"datumAfrondingZroute": "2025-06-30"}


def test_the_exact_bodies():
    record = Record(date(2025, 3, 2), True, date(2024, 11, 5), False, None)
    assert duo.to_duo_map(record) == {"datumEindgesprekMap": "2025-03-02", "verwijtbaar": "Ja"}
    assert duo.to_duo_pvt(record) == {"datumOndertekeningPvt": "2024-11-05", "verwijtbaar": "Nee"}
    assert duo.to_duo_zroute(record) == {}


@pytest.mark.parametrize(
    "body",
    [
        {"datumEindgesprekMap": "2025-03-02", "verwijtbaar": "Ja"},
        {"datumEindgesprekMap": "2025-03-02"},
        {"verwijtbaar": "Nee"},
        {},
    ],
)
def test_a_duo_body_survives_the_round_trip(body):
    assert duo.to_duo_map(Record(**duo.from_duo_map(body))) == body


@pytest.mark.parametrize(
    "body",
    [
        {"verwijtbaar": "ja"},
        {"verwijtbaar": True},
        {"datumOndertekeningPvt": "02-03-2025"},
        {"datumOndertekeningPvt": "2025-02-30"},
        {"datumOndertekeningPvt": None},
        {"datumEindgesprekMap": "2025-03-02"},
    ],
)
def test_what_the_schema_does_not_allow_is_refused(body):
    with pytest.raises(ValueError):  # noqa: PT011 - each reason is a ValueError
        duo.from_duo_pvt(body)
