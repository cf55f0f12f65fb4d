"""The workflows the product ships, by id and version.

A stored filling-in names the id and version it was started with and is always read with that
version (:func:`get_workflow` with ``version``), so changing a definition, which bumps its version,
never changes what old answers meant. New fillings-in start on the latest version.
"""

from __future__ import annotations

from .intake import BREDE_INTAKE
from .model import Workflow

DEFINITIONS: dict[tuple[str, int], Workflow] = {}
"""Every registered definition by ``(id, version)``, old versions included."""

WORKFLOWS: dict[str, Workflow] = {}
"""The latest version of each workflow, by id."""


def register(workflow: Workflow) -> Workflow:
    """Make ``workflow`` known by its id and version (the highest version is the one new fillings-in get)."""
    key = (workflow.id, workflow.version)
    if key in DEFINITIONS and DEFINITIONS[key] is not workflow:
        raise ValueError(f"{workflow.id} version {workflow.version} is registered already")
    DEFINITIONS[key] = workflow
    latest = WORKFLOWS.get(workflow.id)
    if latest is None or workflow.version > latest.version:
        WORKFLOWS[workflow.id] = workflow
    return workflow


def get_workflow(workflow_id: str, version: int | None = None) -> Workflow:
    """The definition of ``workflow_id`` in ``version`` (the latest without one); KeyError when unknown."""
    if version is None:
        return WORKFLOWS[workflow_id]
    return DEFINITIONS[(workflow_id, version)]


def versions(workflow_id: str) -> list[int]:
    """The registered versions of ``workflow_id``, oldest first."""
    return sorted(v for i, v in DEFINITIONS if i == workflow_id)


register(BREDE_INTAKE)

from . import surveys  # noqa: E402, F401 - registers the survey definitions
