"""The models, one module per aggregate; importing this package registers them all."""

from .auth import AuthSession, LoginChallenge
from .intake import IntakeSession
from .message import DevSms, OutboundMessage
from .municipality import Municipality
from .newcomer import Invitation, Newcomer

__all__ = [
    "AuthSession",
    "DevSms",
    "IntakeSession",
    "Invitation",
    "LoginChallenge",
    "Municipality",
    "Newcomer",
    "OutboundMessage",
]
