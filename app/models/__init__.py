"""The models, one module per aggregate; importing this package registers them all."""

from .appointment import Appointment, Attendee, CalendarFeed, HoursEntry, RouteProgress
from .audit import AuditEvent
from .auth import AuthSession, LoginChallenge
from .casefile import Note, StatusChange
from .conversation import ConversationMessage, UnknownSenderCount, WebhookReceipt
from .imports import ImportJob as ImportJob
from .intake import IntakeSession
from .message import DevSms, OutboundEvent, OutboundMessage, SmsOptOut, WorkerHeartbeat
from .municipality import Municipality
from .newcomer import Invitation, Newcomer
from .pip import Pip, TermExtension
from .staff import OneTimeReveal, Staff, StaffRecoveryCode, StaffSignIn

__all__ = [
    "Appointment",
    "Attendee",
    "CalendarFeed",
    "HoursEntry",
    "RouteProgress",
    "AuditEvent",
    "AuthSession",
    "ConversationMessage",
    "DevSms",
    "IntakeSession",
    "Invitation",
    "LoginChallenge",
    "Municipality",
    "Newcomer",
    "Note",
    "OneTimeReveal",
    "OutboundEvent",
    "OutboundMessage",
    "Pip",
    "Staff",
    "StaffRecoveryCode",
    "StaffSignIn",
    "SmsOptOut",
    "StatusChange",
    "TermExtension",
    "UnknownSenderCount",
    "WebhookReceipt",
    "WorkerHeartbeat",
]
