"""`kompis demo`: live through the last ten months on a simulated clock, running the real processes:
volunteers recruited (and some turned away), clients matched, agreements signed, monthly reports in
(some late or missing, one with a concern), so every inbox tab and registry page has content."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

import engine
from engine.bpmn.state import load_state
from engine.calendar import add_months
from engine.clock import STOCKHOLM, Clock, SimulatedClock, SystemClock
from engine.demo.people import People
from engine.deployments import compiled_model
from engine.errors import KompisError
from engine.models import Assignment, Case, Client, OpenTask, Volunteer
from engine.registry import Registry
from engine.simulation import advance_clock
from engine.users import create_user

USERS = (("anna", "caseworker", ("handlaggare",), "Anna Handläggare"),
         ("bertil", "caseworker", ("handlaggare",), "Bertil Handläggare"),
         ("erik", "unit_manager", ("enhetschef", "handlaggare"), "Erik Enhetschef"),
         ("petra", "process_owner", (), "Petra Processägare"),
         ("admin", "admin", ("handlaggare", "enhetschef"), "Administratör"))


class DemoRefused(KompisError):
    code = "demo_refused"


@dataclass
class DemoReport:
    passwords: dict[str, str] = field(default_factory=dict)
    volunteers: int = 0
    clients: int = 0
    active_assignments: int = 0
    open_tasks: int = 0


class Demo:
    def __init__(self, sessions: sessionmaker, clock: Clock, people: People):
        self.sessions, self.clock, self.people = sessions, clock, people
        self._payloads: dict[int, dict] = {}  # interest registrations by case, for the screening form

    # -- driving the engine ------------------------------------------------------------------
    def complete(self, case_id: int, title: str, data: dict, user: str = "anna") -> None:
        with self.sessions.begin() as session:
            task = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.title == title)).first()
            if task is None:
                open_ = session.scalars(select(OpenTask.title).where(OpenTask.case_id == case_id)).all()
                raise RuntimeError(f"case {case_id}: no open task '{title}' (open: {open_})")
            engine.complete_task(session, task.id, data, user=task.assignee or user, clock=self.clock)

    def message(self, name: str, key: str, payload: dict) -> list[int]:
        with self.sessions.begin() as session:
            return [c.id for c in engine.correlate_message(session, name, key, payload, user="e-tjanst",
                                                           clock=self.clock)]

    def start(self, process_key: str, data: dict | None = None) -> int:
        with self.sessions.begin() as session:
            return engine.start_case(session, process_key, data or {}, user="anna", clock=self.clock).id

    def wait(self, duration: str) -> None:
        advance_clock(self.sessions, self.clock, duration)

    def data_of(self, case_id: int, key: str):
        with self.sessions() as session:
            return getattr(session.get(Case, case_id), key)

    def day(self, offset_days: int = 0) -> str:
        return (self.clock.today() + timedelta(days=offset_days)).isoformat()

    def at(self, offset_days: int, hour: int = 10) -> str:
        when = datetime.combine(self.clock.today() + timedelta(days=offset_days), time(hour), tzinfo=STOCKHOLM)
        return when.strftime("%Y-%m-%dT%H:%M")

    # -- recruitment --------------------------------------------------------------------------
    def register_interest(self, person: dict) -> int:
        payload = {**{k: person[k] for k in ("first_name", "last_name", "personnummer", "email", "phone")},
                   "street_address": "Storgatan 1", "postal_code": "434 30", "city": person["area"],
                   "home_municipality": "Kungsbacka", "interests": self.people.interests(),
                   "languages": self.people.languages(), "workplace": self.people.workplace(),
                   "about_me": "Jag vill göra något meningsfullt på fritiden.", "channel": "e-tjanst"}
        [case_id] = self.message("interest_registration", "e-tjanst:" + person["personnummer"], payload)
        self._payloads[case_id] = payload
        return case_id

    def screen(self, case_id: int, decision: str = "proceed") -> None:
        payload = self._payloads[case_id]
        data = {k: payload[k] for k in ("first_name", "last_name", "email", "phone", "street_address", "postal_code",
                                        "city", "home_municipality", "interests", "languages", "workplace")}
        data["screening_decision"] = decision
        if decision == "reject":
            data["screening_comment"] = "Har inte möjlighet att åta sig uppdraget i ett år."
        self.complete(case_id, "Granska intresseanmälan", data)

    def interview(self, case_id: int) -> None:
        self.complete(case_id, "Boka intervju", {"interview_at": self.at(2), "interview_place": "Stadshuset, rum 3"})
        self.wait("P2D")
        self.complete(case_id, "Håll intervju", {
            "background": "Har arbetat inom vården.", "about_person": "Lugn och lyhörd.",
            "interests": self._payloads[case_id]["interests"], "motivation": "Vill göra skillnad för någon.",
            "view_on_disabilities": "Alla har rätt till en meningsfull fritid.", "can_commit_one_year": True,
            "availability": "weekly", "meetings_per_month_possible": 4, "preferred_activities": "Promenader, kafé",
            "languages": self._payloads[case_id]["languages"], "has_driving_license": True,
            "interview_notes": "", "interview_decision": "continue"})

    def checks(self, case_id: int, remarks: bool = False) -> None:
        self.complete(case_id, "Registrera samtycke",
                      {"consent_decision": "signed", "consent_date": self.day(), "consent_method": "paper"})
        self.complete(case_id, "Begär uppgifter ur socialregistret",
                      {"home_municipality": "Kungsbacka", "social_services_email": "socialtjansten@kungsbacka.se"})
        self.wait("P1D")
        volunteer_id = self.data_of(case_id, "volunteer_id")
        self.message("social_register_answer", str(volunteer_id),
                     {"has_remarks": remarks, "summary": "Pågående ärende." if remarks else "Inga uppgifter.",
                      "answered_by": "Socialtjänsten Kungsbacka", "answer_date": self.day()})
        self.complete(case_id, "Kontrollera utdrag ur belastningsregistret",
                      {"police_extract_shown": True, "police_extract_date": self.day(-20),
                       "police_extract_checked_by": "anna"})

    def decide(self, case_id: int, approved: bool = True) -> None:
        self.complete(case_id, "Gör individuell bedömning",
                      {"assessment_summary": "Lämplig som kontaktperson." if approved else "Inte lämplig nu.",
                       "recommendation": "approve" if approved else "reject",
                       "recommendation_motivation": "Helhetsbedömning."})
        self.complete(case_id, "Besluta om godkännande",
                      {"approved": approved, "decision_motivation": "Helhetsbedömning.", "decision_date": self.day()},
                      user="erik")

    def recruit(self, approved: bool = True) -> int:
        case_id = self.register_interest(self.people.person(self.clock.today()))
        self.screen(case_id)
        self.interview(case_id)
        self.checks(case_id, remarks=not approved)
        self.decide(case_id, approved)
        return self.data_of(case_id, "volunteer_id")

    # -- matching and agreement -------------------------------------------------------------
    def client_decision(self) -> dict:
        person = self.people.person(self.clock.today(), youngest=12, oldest=60)
        return {"client_first_name": person["first_name"], "client_last_name": person["last_name"],
                "client_personnummer": person["personnummer"], "client_address": "Lillgatan 4, 434 30 Kungsbacka",
                "client_phone": person["phone"], "guardian_name": "", "guardian_phone": "", "legal_basis": "LSS",
                "decision_date": self.day(-10), "meetings_per_month": self.people.random.choice([2, 4, 4, 6]),
                "goals": "Bryta isolering och komma ut mer.", "wish_interests": self.people.interests(2),
                "wish_age": self.people.random.choice(["20-40", "30-60", "över 25", ""]), "wish_gender": "any",
                "wish_language": "", "area": person["area"], "daily_activity_place": "",
                "representatives": "God man: Gunilla Ek"}

    def match(self, sign: bool = True) -> int:
        case_id = self.start("matching")
        self.complete(case_id, "Registrera beslut om kontaktperson", self.client_decision())
        if not sign:
            return case_id
        self.complete(case_id, "Välj kontaktperson", {"pick_action": "offer", "selected_volunteer_id": self._best(case_id),
                                                      "pick_motivation": "Bäst rankad: delade intressen."})
        self.complete(case_id, "Ring och erbjud uppdraget", {"offer_date": self.day(), "offer_answer": "yes",
                                                            "offer_comment": ""})
        self.complete(case_id, "Boka introduktionsmöte", {"intro_at": self.at(3), "intro_place": "Hemma hos den enskilde"})
        self.wait("P3D")
        self.complete(case_id, "Håll introduktionsmöte", {"client_positive": True, "volunteer_positive": True,
                                                         "intro_notes": "Bra stämning."})
        with self.sessions() as session:
            agreement = session.scalars(select(Case).where(Case.process_key == "agreement", Case.status == "running")
                                        .order_by(Case.id.desc())).first()
            volunteer = session.get(Volunteer, agreement.volunteer_id)
        self.complete(agreement.id, "Upprätta uppdragsavtal", {
            "agreement_start_date": self.day(7), "meetings_per_month": 4, "hours_per_meeting": 3,
            "goals": "Bryta isolering och komma ut mer.", "volunteer_address": "Storgatan 1, 434 30 Kungsbacka",
            "volunteer_phone": volunteer.phone or "070-000 00 00", "volunteer_email": volunteer.email or "",
            "emergency_contact": "Anhörig 070-111 22 33", "risk_abuse": False, "risk_violence": False,
            "risk_self_harm": False, "other_terms": ""})
        self.complete(agreement.id, "Underteckna avtalet", {"sign_outcome": "signed", "signed_by_volunteer": True,
                                                           "signed_by_client": True, "signed_date": self.day()})
        return agreement.id

    def _best(self, case_id: int):
        with self.sessions() as session:
            task = session.scalars(select(OpenTask).where(OpenTask.case_id == case_id,
                                                          OpenTask.title == "Välj kontaktperson")).one()
            case = session.get(Case, case_id)
        model = compiled_model(case.deployment)
        workflow = load_state(case.state, case.serializer_version, model.spec, model.subprocess_specs)
        candidates = workflow.get_task_from_id(UUID(task.id)).data.get("candidates") or []
        allowed = [c for c in candidates if not c.get("conflicts")]
        return allowed[0]["volunteer_id"]

    # -- follow-up ----------------------------------------------------------------------------
    def monthly_reports(self, skip_every: int = 7, concern_once: bool = True) -> None:
        """For every assignment, the report of the month that just ended (some skipped)."""
        period = add_months(self.clock.today().isoformat(), -1)[:7]
        with self.sessions() as session:
            ids = session.scalars(select(Assignment.id).where(Assignment.status == "active").order_by(Assignment.id)).all()
        for n, assignment_id in enumerate(ids):
            if (n + int(period[5:7])) % skip_every == 0:
                continue  # this one forgot: the reminder and the caseworker task follow
            concern = concern_once and n == 0 and period.endswith("-09")
            try:
                self.message("monthly_report", f"{assignment_id}:{period}", {
                    "period": period, "meetings_held": 4, "hours": 12.0, "activities": "Promenader och kafé",
                    "concerns": "Verkar nedstämd, vill prata med handläggaren." if concern else "",
                    "wants_contact": concern})
            except KompisError:
                continue  # the assignment's year has not reached this period

    def handle_old_missing_reports(self) -> None:
        """A caseworker phones the contact persons whose report has been missing for over a week."""
        week_ago = self.clock.now() - timedelta(days=7)
        with self.sessions() as session:
            rows = session.execute(select(OpenTask.case_id).where(OpenTask.title == "Följ upp utebliven månadsrapport",
                                                                  OpenTask.created_at < week_ago)).all()
        for (case_id,) in rows:
            self.complete(case_id, "Följ upp utebliven månadsrapport", {
                "missing_outcome": "reported_by_phone", "manual_meetings_held": 3, "manual_hours": 8,
                "manual_activities": "Promenader", "manual_concerns": ""})


# What the "Pågående ärenden" phase waits in simulated time (six interviews of two days), with room.
_ONGOING_PHASE = timedelta(days=14)


def run_demo(sessions: sessionmaker, *, end: datetime | None = None, months: int = 14, seed: int = 17,
             progress=None) -> tuple[DemoReport, datetime]:
    """Fill an empty database with demo data; returns the report and the time it ends at.
    Raises DemoRefused if the registry already holds people."""
    end = end or SystemClock().now()
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(Volunteer)) or \
                session.scalar(select(func.count()).select_from(Client)):
            raise DemoRefused("Databasen innehåller redan kontaktpersoner eller enskilda; demodata skapas bara i en tom databas.")
    clock = SimulatedClock(end - timedelta(days=30 * months))
    demo = Demo(sessions, clock, People(seed))
    report = DemoReport()
    with sessions.begin() as session:
        for username, role, groups, name in USERS:
            _, password = create_user(session, username, role=role, groups=groups, clock=clock, display_name=name)
            report.passwords[username] = password
    step = (lambda text: progress(text)) if progress else (lambda text: None)
    step("Rekryterar kontaktpersoner")
    for n in range(32):
        demo.recruit(approved=n % 9 != 4)
        demo.wait("P1D")
    step("Matchar enskilda och skriver avtal")
    for _ in range(15):
        demo.match(sign=True)
        demo.wait("P1D")
    step("Månadsrapporter och uppföljning")
    while True:
        local = clock.now().astimezone(STOCKHOLM)
        third = datetime(local.year + local.month // 12, local.month % 12 + 1, 3, 9, tzinfo=STOCKHOLM)
        if third + _ONGOING_PHASE >= end:
            break  # the cases still under way (below) need their days before the end
        demo.wait(f"PT{int((third - clock.now()).total_seconds())}S")
        demo.monthly_reports()
        demo.handle_old_missing_reports()
    step("Pågående ärenden")
    for _ in range(10):
        demo.match(sign=False)
    for stage in range(14):
        case_id = demo.register_interest(demo.people.person(clock.today()))
        if stage % 4 >= 1:
            demo.screen(case_id, decision="reject" if stage == 5 else "proceed")
        if stage % 4 >= 2 and stage != 5:
            demo.interview(case_id)
    with sessions.begin() as session:
        registry = Registry(session, clock, "demo")
        pool = session.scalars(select(Volunteer.id).where(Volunteer.status == "approved_waiting")).all()
        for volunteer_id in pool[:2]:
            registry.set_volunteer_status(volunteer_id, "paused")
        for volunteer_id in pool[2:4]:
            registry.set_volunteer_status(volunteer_id, "left")
        for model in (Volunteer, Client, Assignment):
            session.execute(update(model).values(is_demo=True))
    if clock.now() > end:
        raise RuntimeError("demo data ran past the end time; give it more months")
    advance_clock(sessions, clock, f"PT{max(1, int((end - clock.now()).total_seconds()))}S")
    with sessions() as session:
        report.volunteers = session.scalar(select(func.count()).select_from(Volunteer))
        report.clients = session.scalar(select(func.count()).select_from(Client))
        report.active_assignments = session.scalar(select(func.count()).where(Assignment.status == "active"))
        report.open_tasks = session.scalar(select(func.count()).select_from(OpenTask))
    return report, clock.now()
