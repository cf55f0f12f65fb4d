"""Questionnaire and process definitions, and the engine that evaluates them.

Pure Python: this package imports neither Flask nor SQLAlchemy, so every channel (web form, web
chat, SMS) and every test can use it without an application, a database or a request.
"""

from . import questions
from .registry import DEFINITIONS, WORKFLOWS, get_workflow, register

__all__ = ["DEFINITIONS", "WORKFLOWS", "get_workflow", "questions", "register"]
