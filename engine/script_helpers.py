"""The whitelist of functions diagram code may call. Each takes and returns JSON-native values."""
from __future__ import annotations

from engine import calendar
from engine.bpmn.sandbox import is_json_native, trusted
from engine.errors import NoWaitingCase, ScriptError
from engine.events import record_event


def _require_json(name: str, value) -> None:
    if not is_json_native(value):
        raise ScriptError(f"{name}: värdet måste vara JSON (text, tal, listor, objekt).")


# Helpers that need nothing of the command: wrapped for the sandbox once, not on every command.
_CALENDAR = {name: trusted(getattr(calendar, name))
             for name in ("add_days", "add_months", "add_years", "days_between", "end_of_day", "next_working_day",
                          "monthly_report_deadline", "anniversary")}


def build_helpers(runtime, case=None) -> dict:
    """The helper functions for one command; `case` is the case whose code is running."""
    clock = runtime.clock

    def today() -> str:
        return clock.today().isoformat()

    def now() -> str:
        return clock.now().astimezone(calendar.STOCKHOLM).isoformat()

    def age_on(pnr: str, on: str | None = None) -> int:
        return calendar.age_on(pnr, on, today=clock.today())

    def start_case(process_key: str, data: dict | None = None, business_key: str | None = None) -> None:
        _require_json("start_case", data or {})
        from engine.cases import start_case as _start  # the commands module imports this one

        parent = case.id if case is not None else None
        runtime.defer(lambda: _start(runtime.session, process_key, dict(data or {}), user=runtime.actor,
                                     clock=clock, business_key=business_key, parent_case_id=parent,
                                     _runtime=runtime))

    def send_message(name: str, correlation_key: str, payload: dict | None = None) -> None:
        _require_json("send_message", payload or {})
        from engine.cases import correlate_message

        def deliver():
            try:
                correlate_message(runtime.session, name, correlation_key, dict(payload or {}),
                                  user=runtime.actor, clock=clock, _runtime=runtime)
            except NoWaitingCase:
                # A diagram telling others "this happened" must not fail because nobody listens.
                record_event(runtime.session, clock, actor=runtime.actor, kind="message_undelivered",
                             case_id=case.id if case is not None else None,
                             data={"name": name, "correlation_key": correlation_key})

        runtime.defer(deliver)

    def notify(recipient: str, subject: str, body: str) -> None:
        from engine.notify import queue_notification

        case_id = case.id if case is not None else None
        runtime.defer(lambda: queue_notification(runtime.session, clock, recipient=str(recipient),
                                                 subject=str(subject), body=str(body), case_id=case_id))

    def registry():
        from engine.registry import Registry

        return Registry(runtime.session, clock, runtime.actor, case.id if case is not None else None)

    def rank_volunteers(client_id: int) -> list:
        from engine.matching import rank_volunteers as rank

        return rank(runtime.session, client_id, clock.today())

    def create_agreement_pdf(assignment_id, terms: dict) -> int:
        """Render the agreement with every term, keep it with the case; returns the document id."""
        from engine.documents import agreement_pdf, store_document

        _require_json("create_agreement_pdf", terms)
        case_id = case.id if case is not None else None
        content = agreement_pdf(terms, assignment_id=assignment_id, case_id=case_id, today=today())
        document = store_document(runtime.session, clock, kind="agreement", content=content, actor=runtime.actor,
                                  filename=f"uppdragsavtal-{assignment_id}.pdf", case_id=case_id,
                                  assignment_id=int(assignment_id) if str(assignment_id).isdigit() else None)
        return document.id

    domain = {
        name: (lambda name: lambda *args: getattr(registry(), name)(*args))(name)
        for name in ("register_volunteer", "set_volunteer_status", "register_client", "create_assignment",
                     "update_assignment", "set_assignment_status", "record_payment_basis")
    }

    return {
        **domain, "rank_volunteers": rank_volunteers, "create_agreement_pdf": create_agreement_pdf,
        "today": today, "now": now, "age_on": age_on, **_CALENDAR,
        "start_case": start_case, "send_message": send_message, "notify": notify,
    }
