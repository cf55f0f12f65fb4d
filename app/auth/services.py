"""The verbs of signing in: invite, request a code, verify it, start and end sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import AuthSession, Invitation, LoginChallenge, Newcomer, OutboundEvent, OutboundMessage, Staff
from ..models.message import CODES, NOTICES
from ..models.types import utcnow
from ..outbox import queue_sms
from ..outbox.rules import cancel_when
from ..sms.services import invitation_text, login_code_text, queue_for


def digest(value: str) -> str:
    """A keyed hash (HMAC-SHA256 with the secret key): useless without the key, fast to check."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


# -- invitations -------------------------------------------------------------------------------

INVITATION_TOKEN_BYTES = 12
"""16 characters of URL-safe base64 (96 random bits): the link stays under 60 characters with a
30-character base URL, as an SMS needs."""


def create_invitation(newcomer: Newcomer) -> str:
    """A new single-use invitation link for ``newcomer``; earlier unused ones stop working.

    The link is ``<PUBLIC_BASE_URL>/i/<token>``: a random token of which only the keyed hash is
    stored, so neither the database nor a copied link of someone else leads anywhere.
    """
    return issue_invitation(newcomer)[1]


def issue_invitation(newcomer: Newcomer) -> tuple[Invitation, str]:
    """Like :func:`create_invitation`, also returning the invitation row (the SMS's cause)."""
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.newcomer_id == newcomer.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(INVITATION_TOKEN_BYTES)
    invitation = Invitation(
        newcomer=newcomer, token_hash=digest(token), expires_at=now + current_app.config["INVITATION_TTL"]
    )
    db.session.add(invitation)
    db.session.flush()
    # Built without a request: the CLI and the worker's import job invite too.
    path = current_app.url_map.bind("localhost").build("auth.invitation", {"token": token})
    return invitation, current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def queue_invitation(newcomer: Newcomer, invitation: Invitation, link: str) -> OutboundMessage:
    """Queue the invitation SMS (the link masked in the record) in the current transaction.

    Its cause is the invitation: the same invitation is never queued twice, and a revoked, used
    or expired one is cancelled at send time (:func:`_invitation_gone`).
    """
    return queue_for(
        newcomer,
        "invitation",
        NOTICES,
        invitation_text(newcomer.municipality.name),
        secret=link,
        cause=("invitation", invitation.id),
        expires_at=invitation.expires_at,
    )


def send_invitation(newcomer: Newcomer, link: str) -> OutboundMessage:
    """Queue the invitation SMS for the invitation ``link`` names (see :func:`queue_invitation`)."""
    token = link.rstrip("/").rsplit("/", 1)[-1]
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    if invitation is None:
        raise ValueError("not a link of an invitation")
    return queue_invitation(newcomer, invitation, link)


@cancel_when("invitation")
def _invitation_gone(message: OutboundMessage) -> str | None:
    invitation = db.session.get(Invitation, message.cause_id) if message.cause_id else None
    if invitation is None or invitation.revoked_at or invitation.used_at:
        return "invitation_not_usable"
    return None


def find_invitation(token: str) -> Invitation | None:
    """The usable invitation a link's token names, or ``None`` (bad, expired, used or revoked)."""
    if "." in token:  # a signed link from before migration 0010, valid until it expires
        try:
            data = _serializer().loads(token, max_age=int(current_app.config["INVITATION_TTL"].total_seconds()))
            invitation = db.session.get(Invitation, int(data["i"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if invitation is not None and invitation.token_hash is not None:
            return None
    else:
        invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    if invitation is None or invitation.used_at or invitation.revoked_at or invitation.expires_at <= utcnow():
        return None
    return invitation


def redeem_invitation(token: str) -> AuthSession | None:
    """Use up an invitation and sign its newcomer in; ``None`` when it cannot be used (any more)."""
    invitation = find_invitation(token)
    if invitation is None:
        return None
    # Single use even under concurrent clicks: only one UPDATE can see used_at still empty.
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None)).values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    return start_session(invitation.newcomer)


# -- SMS codes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    """A code challenge, and (for a known number only) whom the code SMS is queued for."""

    challenge: LoginChallenge
    newcomer_id: int | None = None


def request_code(phone: str) -> CodeRequest:
    """Start a code challenge for an E.164 number, known or not, and queue the SMS; committed.

    The code SMS is an outbox row in the same transaction as the challenge (a login code is
    worthless after its 10 minutes, so the row expires with it), at the highest priority: a
    worker sends it within a second or two. For an unknown number nothing is queued, but the same
    row is written and deleted again before the commit, so that neither the work nor the wait
    tells an outsider whether the number is known (``bench/login_timing.py``).
    """
    newcomer = db.session.scalar(select(Newcomer).where(Newcomer.phone == phone))
    public_id = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = LoginChallenge(
        public_id=public_id,
        newcomer_id=newcomer.id if newcomer else None,
        code_hash=digest(f"{public_id}:{code}"),
        expires_at=utcnow() + current_app.config["LOGIN_CODE_TTL"],
    )
    db.session.add(challenge)
    db.session.flush()
    if newcomer is not None:
        queue_for(
            newcomer,
            "login_code",
            CODES,
            login_code_text(newcomer.municipality.name),
            secret=code,
            cause=("login_challenge", challenge.id),
            expires_at=challenge.expires_at,
        )
    else:
        # The same work as the real message: the row (and its history line) is written and
        # taken out again inside this transaction, so the commit stores nothing of it.
        decoy = queue_sms(
            to="",
            kind="login_code",
            category=CODES,
            locale="nl",
            write=login_code_text("Hoorn"),
            secret=code,
            cause=("login_challenge", challenge.id),
            expires_at=challenge.expires_at,
        )
        db.session.execute(
            delete(OutboundEvent)
            .where(OutboundEvent.message_id == decoy.id)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(OutboundMessage).where(OutboundMessage.id == decoy.id).execution_options(synchronize_session=False)
        )
        db.session.expunge(decoy)
    db.session.commit()
    return CodeRequest(challenge, newcomer.id if newcomer else None)


@cancel_when("login_code")
def _challenge_gone(message: OutboundMessage) -> str | None:
    challenge = db.session.get(LoginChallenge, message.cause_id) if message.cause_id else None
    if challenge is None or challenge.used_at or challenge.attempts >= current_app.config["LOGIN_CODE_MAX_ATTEMPTS"]:
        return "code_not_usable"
    return None


WRONG = "wrong"
DEAD = "dead"


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of typing a code: a session, or why not and how many tries are left."""

    session: AuthSession | None = None
    problem: str | None = None
    tries_left: int = 0


def verify_code(public_id: str, code: str) -> CodeCheck:
    """Check a typed code against its challenge; after the last wrong try the code is dead."""
    max_attempts = current_app.config["LOGIN_CODE_MAX_ATTEMPTS"]
    now = utcnow()
    # Count the try first, atomically, so parallel guesses cannot exceed the limit.
    counted = db.session.execute(
        update(LoginChallenge)
        .where(
            LoginChallenge.public_id == public_id,
            LoginChallenge.used_at.is_(None),
            LoginChallenge.expires_at > now,
            LoginChallenge.attempts < max_attempts,
        )
        .values(attempts=LoginChallenge.attempts + 1)
    )
    challenge = db.session.scalar(select(LoginChallenge).where(LoginChallenge.public_id == public_id))
    if counted.rowcount != 1 or challenge is None:
        db.session.commit()
        return CodeCheck(problem=DEAD)
    right = hmac.compare_digest(challenge.code_hash, digest(f"{public_id}:{code}"))
    if not right or challenge.newcomer is None:
        db.session.commit()
        left = max_attempts - challenge.attempts
        return CodeCheck(problem=WRONG if left else DEAD, tries_left=left)
    challenge.used_at = now
    return CodeCheck(session=start_session(challenge.newcomer))


# -- sessions ----------------------------------------------------------------------------------


def start_session(newcomer: Newcomer | None = None, *, staff: Staff | None = None) -> AuthSession:
    """A new server-side session for a newcomer or a staff member, with a fresh random token (committed)."""
    token = secrets.token_urlsafe(32)
    auth_session = AuthSession(token_hash=digest(token), newcomer=newcomer, staff=staff)
    db.session.add(auth_session)
    db.session.commit()
    auth_session.token = token
    return auth_session


def load_session(token: str) -> AuthSession | None:
    """The live session for a browser's token; ``None`` when ended, idle too long or too old."""
    auth_session = db.session.scalar(
        select(AuthSession).where(AuthSession.token_hash == digest(token), AuthSession.ended_at.is_(None))
    )
    if auth_session is None:
        return None
    now = utcnow()
    config = current_app.config
    # Staff see many people's files: their sessions end sooner than a newcomer's own.
    idle = config["STAFF_SESSION_IDLE_TIMEOUT"] if auth_session.staff_id else config["SESSION_IDLE_TIMEOUT"]
    if now - auth_session.last_seen_at > idle or (now - auth_session.created_at > config["SESSION_MAX_AGE"]):
        auth_session.ended_at = now
        db.session.commit()
        return None
    if now - auth_session.last_seen_at > timedelta(minutes=1):  # one write a minute, not one a request
        auth_session.last_seen_at = now
        db.session.commit()
    auth_session.token = token
    return auth_session


def end_session(auth_session: AuthSession) -> None:
    """Sign out on the server: the token no longer works, wherever it was copied."""
    auth_session.ended_at = utcnow()
    db.session.commit()
