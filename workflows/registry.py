"""The workflows the product ships, by id."""

from __future__ import annotations

from .intake import BREDE_INTAKE
from .model import Workflow

WORKFLOWS: dict[str, Workflow] = {BREDE_INTAKE.id: BREDE_INTAKE}


def get_workflow(workflow_id: str) -> Workflow:
    """The current definition of ``workflow_id`` (KeyError when unknown)."""
    return WORKFLOWS[workflow_id]
