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
from sqlalchemy import select, update

from ..auth.services import digest
from ..extensions import db
from ..models import AuthSession, Municipality, Staff
from ..models.staff import ROLES
from ..models.types import utcnow

HASHER = PasswordHasher()
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
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
    """Count a failed password or code; the fifth locks the account for a while. True when locked."""
    staff.failed_logins += 1
    if staff.failed_logins < MAX_FAILURES:
        return False
    staff.locked_until = utcnow() + LOCKOUT
    staff.failed_logins = 0
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


def check_totp(staff: Staff, code: str, secret: str | None = None) -> bool:
    """Whether ``code`` is a current TOTP code of the account (or of ``secret`` when enrolling).

    A code is accepted once: its time step must be newer than the last one used.
    """
    step = _totp_step(secret or staff.totp_secret or "", code)
    if step is None or (staff.totp_last_step is not None and step <= staff.totp_last_step):
        return False
    staff.totp_last_step = step
    return True


def use_recovery_code(staff: Staff, code: str) -> bool:
    """Accept a recovery code once (it is removed)."""
    wanted = digest("recovery:" + code.strip().lower())
    if wanted not in staff.recovery_code_hashes:
        return False
    staff.recovery_code_hashes = [h for h in staff.recovery_code_hashes if h != wanted]
    return True


def new_recovery_codes(staff: Staff) -> list[str]:
    """Ten fresh recovery codes (shown once; only their hashes are kept)."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(10)]
    staff.recovery_code_hashes = [digest("recovery:" + c) for c in codes]
    return codes


def set_password(staff: Staff, password: str) -> None:
    """A new password chosen by the staff member."""
    staff.password_hash = HASHER.hash(password)
    staff.must_change_password = False


def signed_in(staff: Staff) -> None:
    """Bookkeeping of a completed sign-in."""
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = utcnow()


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
    staff.recovery_code_hashes = []
    staff.locked_until = None
    staff.failed_logins = 0
    end_sessions(staff)
    return password


def set_disabled(staff: Staff, disabled: bool) -> None:
    """Disable (ending every session) or enable an account."""
    staff.disabled_at = utcnow() if disabled else None
    if disabled:
        end_sessions(staff)
