"""The models, one module per aggregate; importing this package registers them all."""

from .appointment import Appointment, Attendee, CalendarFeed, HoursEntry, RouteProgress
from .audit import AuditEvent
from .auth import AuthSession, LoginChallenge
from .casefile import Note, StatusChange
from .conversation import ConversationMessage, UnknownSenderCount, WebhookReceipt
from .filling import Filling, FillingReply
from .imports import ImportJob as ImportJob
from .message import DevSms, OutboundEvent, OutboundMessage, SmsOptOut, WorkerHeartbeat
from .municipality import Municipality
from .newcomer import Invitation, Newcomer
from .partner import Partner, Region, RoutePartner
from .pip import Pip, TermExtension
from .records import Complaint, HouseholdMember, ParticipationActivity, ReliefTrajectory
from .staff import OneTimeReveal, Staff, StaffRecoveryCode, StaffSignIn
from .survey import SurveyInvitation, SurveyResponse

__all__ = [
    "Complaint",
    "HouseholdMember",
    "ParticipationActivity",
    "Partner",
    "Region",
    "ReliefTrajectory",
    "RoutePartner",
    "SurveyInvitation",
    "SurveyResponse",
    "Appointment",
    "Attendee",
    "CalendarFeed",
    "HoursEntry",
    "RouteProgress",
    "AuditEvent",
    "AuthSession",
    "ConversationMessage",
    "DevSms",
    "Filling",
    "FillingReply",
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
