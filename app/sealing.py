"""Secrets kept on the server but readable only with a token that one browser holds.

A one-time password, the recovery codes and the TOTP secret during enrolment are stored in the
database sealed (Fernet: AES with an HMAC) under a key derived from a random token; the browser's
cookie holds the token, the database only its hash. Neither the database nor the cookie alone
reveals the secret, and deleting the row makes the cookie worthless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def new_token() -> str:
    """A fresh random token for a browser to hold."""
    return secrets.token_urlsafe(32)


def _fernet(token: str) -> Fernet:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"seal:" + token.encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(token: str, plaintext: str) -> str:
    """``plaintext`` sealed under ``token``."""
    return _fernet(token).encrypt(plaintext.encode()).decode()


def unseal(token: str, sealed: str) -> str | None:
    """The plaintext, or ``None`` when ``token`` is not the one it was sealed with."""
    try:
        return _fernet(token).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
