"""All tables, imported once so that Base.metadata knows every one of them."""
from engine.models.cases import Case
from engine.models.clock import ClockState
from engine.models.deployments import Deployment
from engine.models.documents import Document
from engine.models.events import Event
from engine.models.migrations import MigrationItem, MigrationRun
from engine.models.notifications import Notification
from engine.models.registry import Assignment, Client, PaymentBasis, Volunteer
from engine.models.users import ApiToken, User
from engine.models.tasks import OpenTask
from engine.models.waits import WaitingMessage, WaitingTimer

__all__ = ["ApiToken", "MigrationItem", "MigrationRun", "Document", "User", "Assignment", "Client", "PaymentBasis", "Volunteer", "Case", "ClockState", "Deployment", "Event", "Notification", "OpenTask", "WaitingMessage", "WaitingTimer"]
