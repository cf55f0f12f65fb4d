"""The verbs of staff accounts: create, authenticate, second factor, recovery codes, reset, disable."""

from __future__ import annotations

import base64
import io
import secrets
import string
from datetime import timedelta

import pyotp
import qrcode
import qrcode.image.svg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, exists, or_, select, update

from ..auth.services import digest
from ..extensions import db
from ..models import AuthSession, Municipality, OneTimeReveal, Staff, StaffRecoveryCode, StaffSignIn
from ..models.staff import ROLES
from ..models.types import utcnow
from ..sealing import new_token, seal, unseal

HASHER = PasswordHasher()
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SIGN_IN_TTL = timedelta(minutes=10)
REVEAL_TTL = timedelta(minutes=10)
MIN_PASSWORD_LENGTH = 12
ISSUER = "Inburgering intake"
_DUMMY_HASH = HASHER.hash("not a real password, used to spend equal time")


class StaffError(ValueError):
    """A request about staff that cannot be done; the message is for the beheerder or the CLI."""


def one_time_password() -> str:
    """A random password to hand over once; it must be changed at first sign-in."""
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def create_staff(email: str, role: str, codes: list[str], name: str | None = None) -> tuple[Staff, str]:
    """A new account with a one-time password and a TOTP secret (printed by the CLI)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise StaffError(f"invalid e-mail address: {email!r}")
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if db.session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise StaffError(f"an account for {email} exists already")
    municipalities = [_municipality(code) for code in codes]
    if role == "klantmanager" and not municipalities:
        raise StaffError("a klantmanager needs at least one --gemeente")
    password = one_time_password()
    staff = Staff(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        password_hash=HASHER.hash(password),
        totp_secret=pyotp.random_base32(),
        municipalities=municipalities,
    )
    db.session.add(staff)
    db.session.flush()
    return staff, password


def _municipality(code: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        raise StaffError(f"unknown gemeentecode {code!r}")
    return municipality


def authenticate(email: str, password: str) -> Staff | None:
    """The account if the password is right and the account usable; counts failures, locks after 5.

    Unknown accounts cost the same argon2 work, so timing does not tell whether an account exists.
    """
    staff = db.session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None:
        _verify(_DUMMY_HASH, password)
        return None
    now = utcnow()
    if staff.disabled_at is not None or (staff.locked_until is not None and staff.locked_until > now):
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(staff.password_hash, password):
        count_failure(staff)
        db.session.commit()
        return None
    if HASHER.check_needs_rehash(staff.password_hash):
        staff.password_hash = HASHER.hash(password)
    return staff


def count_failure(staff: Staff) -> bool:
    """Count a failed password or code; the fifth locks the account for a while. True when locked.

    One UPDATE each, so parallel guesses are all counted; locking bumps the account's generation,
    which ends every half-finished sign-in of it.
    """
    failures = db.session.scalar(
        update(Staff)
        .where(Staff.id == staff.id)
        .values(failed_logins=Staff.failed_logins + 1)
        .returning(Staff.failed_logins)
    )
    if failures is None or failures < MAX_FAILURES:
        return False
    db.session.execute(
        update(Staff)
        .where(Staff.id == staff.id)
        .values(locked_until=utcnow() + LOCKOUT, failed_logins=0, auth_generation=Staff.auth_generation + 1)
    )
    return True


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    """A fresh TOTP secret for enrolment."""
    return pyotp.random_base32()


def totp_uri(staff: Staff, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data URI (no image library, allowed by the CSP)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _totp_step(secret: str, code: str) -> int | None:
    """The time step a code belongs to (now, or one step either side), or None."""
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=30 * offset)
        if secrets.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def check_totp(staff: Staff, code: str) -> bool:
    """Whether ``code`` is a current TOTP code of the account, accepted once.

    The time step must be newer than the last one used; checking and recording it is one UPDATE,
    so the same code posted twice at the same moment signs in once.
    """
    step = _totp_step(staff.totp_secret or "", code)
    if step is None:
        return False
    claimed = db.session.execute(
        update(Staff)
        .where(Staff.id == staff.id, or_(Staff.totp_last_step.is_(None), Staff.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return claimed.rowcount == 1


def confirm_enrolment(staff: Staff, secret: str, code: str) -> bool:
    """Enrol ``secret`` as the account's second factor if ``code`` belongs to it (one UPDATE, once)."""
    step = _totp_step(secret, code)
    if step is None:
        return False
    claimed = db.session.execute(
        update(Staff)
        .where(Staff.id == staff.id, Staff.totp_secret.is_(None))
        .values(totp_secret=secret, totp_last_step=step)
    )
    return claimed.rowcount == 1


def use_recovery_code(staff: Staff, code: str) -> bool:
    """Accept a recovery code once: one DELETE ... RETURNING, so two parallel uses cannot both win."""
    wanted = digest("recovery:" + code.strip().lower())
    used = db.session.execute(
        delete(StaffRecoveryCode)
        .where(StaffRecoveryCode.staff_id == staff.id, StaffRecoveryCode.code_hash == wanted)
        .returning(StaffRecoveryCode.id)
    ).first()
    return used is not None


def has_recovery_codes(staff: Staff) -> bool:
    """Whether the account has unused recovery codes."""
    return bool(db.session.scalar(select(exists().where(StaffRecoveryCode.staff_id == staff.id))))


def new_recovery_codes(staff: Staff) -> list[str]:
    """Ten fresh recovery codes (shown once; only their hashes are kept); earlier ones stop working."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(10)]
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff.id))
    db.session.add_all(StaffRecoveryCode(staff_id=staff.id, code_hash=digest("recovery:" + c)) for c in codes)
    return codes


# -- the half-finished sign-in, kept on the server ---------------------------------------------


def _bump_generation(staff: Staff) -> None:
    db.session.execute(update(Staff).where(Staff.id == staff.id).values(auth_generation=Staff.auth_generation + 1))


def begin_sign_in(staff: Staff) -> str:
    """The password was right: a pending sign-in for 10 minutes; the token is for the browser (committed)."""
    token = new_token()
    db.session.add(
        StaffSignIn(
            token_hash=digest("sign-in:" + token),
            staff_id=staff.id,
            generation=staff.auth_generation,
            expires_at=utcnow() + SIGN_IN_TTL,
        )
    )
    db.session.commit()
    return token


def pending_sign_in(token: str | None) -> StaffSignIn | None:
    """The pending sign-in for a browser's token, if it is still alive.

    It dies after 10 minutes, once completed, and whenever the account's generation moved on (a
    reset, a disable, a lockout, a completed sign-in); a disabled or locked account has none.
    """
    if not token:
        return None
    now = utcnow()
    return db.session.scalar(
        select(StaffSignIn)
        .join(Staff, Staff.id == StaffSignIn.staff_id)
        .where(
            StaffSignIn.token_hash == digest("sign-in:" + token),
            StaffSignIn.ended_at.is_(None),
            StaffSignIn.expires_at > now,
            StaffSignIn.generation == Staff.auth_generation,
            Staff.disabled_at.is_(None),
            or_(Staff.locked_until.is_(None), Staff.locked_until <= now),
        )
    )


def enrol_secret(sign_in: StaffSignIn, token: str) -> str:
    """The TOTP secret offered during enrolment: made once per pending sign-in, sealed under its token."""
    if sign_in.sealed_enrol_secret:
        secret = unseal(token, sign_in.sealed_enrol_secret)
        if secret:
            return secret
    secret = new_totp_secret()
    sign_in.sealed_enrol_secret = seal(token, secret)
    db.session.commit()
    return secret


def finish_sign_in(sign_in: StaffSignIn) -> bool:
    """Use up the pending sign-in (one UPDATE: a replayed cookie cannot finish it twice)."""
    ended = db.session.execute(
        update(StaffSignIn)
        .where(StaffSignIn.id == sign_in.id, StaffSignIn.ended_at.is_(None))
        .values(ended_at=utcnow(), sealed_enrol_secret=None)
    )
    return ended.rowcount == 1


# -- secrets shown once ------------------------------------------------------------------------


def stash_reveal(auth_session: AuthSession, kind: str, subject_id: int, secret: str) -> str:
    """Keep ``secret`` for one showing to this session; the returned token goes into its cookie."""
    token = new_token()
    db.session.add(
        OneTimeReveal(
            token_hash=digest("reveal:" + token),
            auth_session_id=auth_session.id,
            kind=kind,
            subject_id=subject_id,
            sealed=seal(token, secret),
            expires_at=utcnow() + REVEAL_TTL,
        )
    )
    db.session.commit()
    return token


def take_reveal(token: str | None, auth_session: AuthSession, kind: str) -> tuple[int | None, str] | None:
    """The secret once (deleted in the same statement); ``None`` when shown already, expired or not ours."""
    if not token:
        return None
    row = db.session.execute(
        delete(OneTimeReveal)
        .where(
            OneTimeReveal.token_hash == digest("reveal:" + token),
            OneTimeReveal.auth_session_id == auth_session.id,
            OneTimeReveal.kind == kind,
            OneTimeReveal.expires_at > utcnow(),
        )
        .returning(OneTimeReveal.subject_id, OneTimeReveal.sealed)
    ).first()
    db.session.commit()
    if row is None:
        return None
    secret = unseal(token, row.sealed)
    return (row.subject_id, secret) if secret is not None else None


def set_password(staff: Staff, password: str) -> None:
    """A new password chosen by the staff member; half-finished sign-ins elsewhere end."""
    staff.password_hash = HASHER.hash(password)
    staff.must_change_password = False
    _bump_generation(staff)


def signed_in(staff: Staff) -> None:
    """Bookkeeping of a completed sign-in; every other half-finished sign-in of the account ends."""
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = utcnow()
    _bump_generation(staff)


def end_sessions(staff: Staff) -> int:
    """End every session of the account on the server (disable, reset)."""
    result = db.session.execute(
        update(AuthSession)
        .where(AuthSession.staff_id == staff.id, AuthSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount


def reset_password(staff: Staff) -> str:
    """A beheerder's reset: a new one-time password, a new second factor, every session ended."""
    password = one_time_password()
    staff.password_hash = HASHER.hash(password)
    staff.must_change_password = True
    staff.totp_secret = None
    staff.totp_last_step = None
    staff.locked_until = None
    staff.failed_logins = 0
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == staff.id))
    _bump_generation(staff)
    end_sessions(staff)
    return password


def set_disabled(staff: Staff, disabled: bool) -> None:
    """Disable (ending every session) or enable an account."""
    staff.disabled_at = utcnow() if disabled else None
    if disabled:
        _bump_generation(staff)
        end_sessions(staff)
