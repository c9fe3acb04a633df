"""Registry changes made by process steps: volunteers, clients, assignments, payment basis.

Diagram scripts call these through whitelisted helpers (script_helpers.py); every status change
is written to the event log of the case that made it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import calendar, personnummer
from engine.clock import Clock
from engine.errors import InvalidData
from engine.events import record_event
from engine.models.registry import (
    ASSIGNMENT_STATUSES,
    VOLUNTEER_STATUSES,
    Assignment,
    Client,
    PaymentBasis,
    Volunteer,
)

VOLUNTEER_COLUMNS = ("first_name", "last_name", "email", "phone", "workplace", "gender")
# A month is paid when its report came in (from the contact person or taken by phone); otherwise held back.
PAYABLE_REPORT_STATUSES = ("approved", "received", "manual", "final")
CLIENT_COLUMNS = ("first_name", "last_name", "area", "daily_activity_place", "guardian_name", "guardian_phone")


def split_list(value) -> list[str]:
    """'Fiske, bowling; musik' or a list -> ['fiske', 'bowling', 'musik']."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    return [str(item).strip().lower() for item in items if str(item).strip()]


def _normal_pnr(value) -> str | None:
    if not value:
        return None
    try:
        return personnummer.canonical(value)
    except ValueError:
        raise InvalidData(f"Personnumret {value} är inte giltigt.", {"personnummer": ["Ogiltigt personnummer."]}) \
            from None


class Registry:
    """Registry operations for one command: its session, clock, actor and case (for the log)."""

    def __init__(self, session: Session, clock: Clock, actor: str, case_id: int | None = None):
        self.session, self.clock, self.actor, self.case_id = session, clock, actor, case_id

    def _log(self, kind: str, data: dict) -> None:
        record_event(self.session, self.clock, actor=self.actor, kind=kind, case_id=self.case_id, data=data)

    # -- volunteers ---------------------------------------------------------------------------
    def register_volunteer(self, data: dict) -> int:
        """Create a volunteer, or update the one with this id or personnummer; return its id."""
        data = dict(data or {})
        number = _normal_pnr(data.get("personnummer"))
        volunteer = None
        if data.get("volunteer_id"):
            volunteer = self.session.get(Volunteer, int(data["volunteer_id"]))
        if volunteer is None and number:
            volunteer = self.session.scalars(select(Volunteer).where(Volunteer.personnummer == number)).first()
        now = self.clock.now()
        if volunteer is None:
            volunteer = Volunteer(status="applicant", status_changed_at=now, created_at=now, details={},
                                  interests=[], languages=[])
            self.session.add(volunteer)
        if number:
            volunteer.personnummer = number
        for column in VOLUNTEER_COLUMNS:
            if data.get(column) not in (None, ""):
                setattr(volunteer, column, str(data[column]))
        if data.get("city") or data.get("area"):
            volunteer.area = str(data.get("area") or data.get("city"))
        if "interests" in data:
            volunteer.interests = split_list(data["interests"])
        if "languages" in data:
            volunteer.languages = split_list(data["languages"])
        extra = {k: v for k, v in data.items()
                 if k not in VOLUNTEER_COLUMNS + ("volunteer_id", "personnummer", "interests", "languages")}
        volunteer.details = {**(volunteer.details or {}), **extra}
        self.session.flush()
        self._log("volunteer_registered", {"volunteer_id": volunteer.id})
        return volunteer.id

    def set_volunteer_status(self, volunteer_id: int, status: str) -> None:
        """Move a volunteer to a status; entering the pool starts the waiting time."""
        if status not in VOLUNTEER_STATUSES:
            raise InvalidData(f"Okänd status för kontaktperson: {status}")
        volunteer = self._volunteer(volunteer_id)
        previous = volunteer.status
        if previous == status:
            return
        if previous == "assigned" and status != "paused" and self._has_active_assignment(volunteer.id):
            # A new application or a turned-down one must not unseat someone who has a running assignment;
            # ending the assignment (termination) is what frees her.
            self._log("volunteer_status_kept", {"volunteer_id": volunteer.id, "status": previous,
                                                "refused": status, "reason": "active assignment"})
            return
        volunteer.status, volunteer.status_changed_at = status, self.clock.now()
        if status == "approved_waiting":
            volunteer.waiting_since = self.clock.today()
        elif status != "paused":
            volunteer.waiting_since = None
        self._log("volunteer_status", {"volunteer_id": volunteer.id, "from": previous, "to": status})

    def _has_active_assignment(self, volunteer_id: int) -> bool:
        return self.session.scalar(select(Assignment.id).where(Assignment.volunteer_id == volunteer_id,
                                                               Assignment.status == "active").limit(1)) is not None

    def _volunteer(self, volunteer_id) -> Volunteer:
        volunteer = self.session.get(Volunteer, int(volunteer_id)) if volunteer_id is not None else None
        if volunteer is None:
            raise InvalidData(f"Kontaktperson {volunteer_id} finns inte.")
        return volunteer

    # -- clients ------------------------------------------------------------------------------
    def register_client(self, data: dict) -> int:
        """Create (or update, by personnummer) a client with the decision and wishes; return its id."""
        data = dict(data or {})
        number = _normal_pnr(data.get("personnummer"))
        client = self.session.scalars(select(Client).where(Client.personnummer == number)).first() if number else None
        if client is None:
            client = Client(created_at=self.clock.now(), wishes={}, decision={}, details={})
            self.session.add(client)
        client.personnummer = number
        for column in CLIENT_COLUMNS:
            if data.get(column) not in (None, ""):
                setattr(client, column, str(data[column]))
        client.representatives = str(data.get("representatives") or "")
        client.wishes = {"interests": split_list(data.get("wish_interests")), "age": data.get("wish_age") or "",
                         "gender": data.get("wish_gender") or "any", "language": data.get("wish_language") or ""}
        client.decision = {k: data.get(k) for k in ("legal_basis", "decision_date", "meetings_per_month", "goals")}
        client.details = {k: data.get(k) for k in ("address", "phone") if data.get(k)}
        self.session.flush()
        self._log("client_registered", {"client_id": client.id})
        return client.id

    # -- assignments --------------------------------------------------------------------------
    def create_assignment(self, volunteer_id: int, client_id: int, terms: dict) -> int:
        self._volunteer(volunteer_id)
        if self.session.get(Client, int(client_id)) is None:
            raise InvalidData(f"Den enskilde {client_id} finns inte.")
        assignment = Assignment(volunteer_id=int(volunteer_id), client_id=int(client_id), status="planned",
                                terms=dict(terms or {}), created_at=self.clock.now())
        self.session.add(assignment)
        self.session.flush()
        self._log("assignment_created", {"assignment_id": assignment.id, "volunteer_id": int(volunteer_id),
                                         "client_id": int(client_id)})
        return assignment.id

    def update_assignment(self, assignment_id: int, terms: dict) -> None:
        """Merge agreement terms; fee/expenses per month and dates are read from them."""
        assignment = self._assignment(assignment_id)
        assignment.terms = {**(assignment.terms or {}), **dict(terms or {})}
        for key, column in (("monthly_fee", "fee_per_month"), ("monthly_expenses", "expenses_per_month")):
            if isinstance(assignment.terms.get(key), (int, float)):
                setattr(assignment, column, int(round(assignment.terms[key])))
        for key, column in (("start_date", "started_on"), ("next_review", "next_review_on")):
            if assignment.terms.get(key):
                setattr(assignment, column, calendar.to_date(assignment.terms[key]))
        if assignment.terms.get("next_report_due"):
            assignment.next_report_due = datetime.fromisoformat(assignment.terms["next_report_due"])
        self._log("assignment_updated", {"assignment_id": assignment.id, "terms": dict(terms or {})})

    def set_assignment_status(self, assignment_id: int, status: str) -> None:
        if status not in ASSIGNMENT_STATUSES:
            raise InvalidData(f"Okänd status för uppdrag: {status}")
        assignment = self._assignment(assignment_id)
        previous, assignment.status = assignment.status, status
        if status == "active" and assignment.started_on is None:
            assignment.started_on = self.clock.today()
        if status == "ended":
            assignment.ended_on = self.clock.today()
        self._log("assignment_status", {"assignment_id": assignment.id, "from": previous, "to": status})

    def _assignment(self, assignment_id) -> Assignment:
        assignment = self.session.get(Assignment, int(assignment_id)) if assignment_id is not None else None
        if assignment is None:
            raise InvalidData(f"Uppdrag {assignment_id} finns inte.")
        return assignment

    def record_payment_basis(self, assignment_id: int, month: str, fee, expenses, report_status: str) -> None:
        """The month's payment basis; held back unless the month's report is approved."""
        self._assignment(assignment_id)
        row = self.session.scalars(select(PaymentBasis).where(PaymentBasis.assignment_id == int(assignment_id),
                                                              PaymentBasis.month == str(month)[:7])).first()
        if row is None:
            row = PaymentBasis(assignment_id=int(assignment_id), month=str(month)[:7], created_at=self.clock.now())
            self.session.add(row)
        row.fee, row.expenses = int(round(fee or 0)), int(round(expenses or 0))
        row.report_status, row.held_back = str(report_status), report_status not in PAYABLE_REPORT_STATUSES
        self._log("payment_basis", {"assignment_id": int(assignment_id), "month": row.month, "fee": row.fee,
                                    "expenses": row.expenses, "report_status": row.report_status})


def days_waiting(volunteer: Volunteer, today: date) -> int | None:
    return (today - volunteer.waiting_since).days if volunteer.waiting_since else None
