"""The agreement PDF holds every term both parties signed."""
from __future__ import annotations

import io

from pypdf import PdfReader

from engine.documents import agreement_pdf, store_document
from engine.models import Document

TERMS = {
    "start_date": "2026-02-01", "meetings_per_month": 4, "hours_per_meeting": 3,
    "goals": "Bryta isolering genom fiske och promenader", "other_terms": "Resor med kollektivtrafik",
    "volunteer_name": "Sara Lind", "volunteer_address": "Storgatan 1, 434 30 Kungsbacka",
    "volunteer_phone": "070-123 45 67", "volunteer_email": "sara@example.se",
    "client_name": "Kim Berg", "client_address": "Lillgatan 2", "client_phone": "0300-123 45",
    "guardian_name": "Eva Berg", "guardian_phone": "070-765 43 21", "emergency_contact": "Boendet 0300-111 11",
    "scope_level": 1, "scope_label": "Nivå 1", "pbb_year": 2026, "price_base_amount": 59200,
    "fee_percent": 20, "expense_percent": 10, "monthly_fee": 987, "monthly_expenses": 493,
    "risk_abuse": False, "risk_violence": True, "risk_self_harm": False,
    "action_plan_situations": "Konflikt vid busshållplats", "action_plan_actions": "Avbryt träffen och ring",
    "action_plan_contacts": "Handläggare 0300-222 22", "action_plan_review_date": "2026-08-01",
    "signed_date": "2026-01-20",
}


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_agreement_pdf_holds_every_term():
    pdf = agreement_pdf(TERMS, assignment_id=7, case_id=3, today="2026-01-20")
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    for expected in ("Uppdragsavtal", "Sara Lind", "Kim Berg", "Eva Berg", "2026-02-01", "fiske och promenader",
                     "987 kr per månad", "493 kr per månad", "59 200 kr", "Prisbasbelopp 2026",
                     "Individuell handlingsplan", "våld", "Konflikt vid busshållplats", "Tystnadsplikt",
                     "Resor med kollektivtrafik", "undertecknat 2026-01-20"):
        assert expected in text, expected


def test_no_action_plan_section_without_known_risks():
    pdf = agreement_pdf({**TERMS, "risk_violence": False}, assignment_id=7, case_id=3, today="2026-01-20")
    assert "Individuell handlingsplan" not in text_of(pdf)


def test_stored_document_keeps_content_and_hash(sessions, clock):
    pdf = agreement_pdf(TERMS, assignment_id=7, case_id=None, today="2026-01-20")
    with sessions.begin() as session:
        document_id = store_document(session, clock, kind="agreement", filename="uppdragsavtal-7.pdf",
                                     content=pdf, actor="anna", case_id=None, assignment_id=7).id
    with sessions() as session:
        stored = session.get(Document, document_id)
        assert stored.content == pdf and len(stored.sha256) == 64 and stored.media_type == "application/pdf"
