"""Questionnaire and process definitions, and the engine that evaluates them.

Pure Python: this package imports neither Flask nor SQLAlchemy, so every channel (web form, web
chat, SMS) and every test can use it without an application, a database or a request.
"""

from .registry import WORKFLOWS, get_workflow

__all__ = ["WORKFLOWS", "get_workflow"]
