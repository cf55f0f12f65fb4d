"""Benchmark-only routes (registered when BENCH_ROUTES=1): the bare baseline of bench/throughput.py."""

from __future__ import annotations

from flask import Blueprint, render_template_string
from sqlalchemy import select

from .extensions import db
from .models import Municipality

bp = Blueprint("bench", __name__, url_prefix="/bench")

_PAGE = "<!doctype html><title>baseline</title><p>{{ name }}</p>"


@bp.get("/baseline")
def baseline() -> str:
    """One SELECT and a small template: the floor any real page of this app stands on."""
    name = db.session.scalar(select(Municipality.name).limit(1))
    return render_template_string(_PAGE, name=name)
