"""Produce and keep documents: the agreement as a PDF holding every term (WeasyPrint)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.models import Document

_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))
RISK_LABELS = {"risk_abuse": "missbruk", "risk_violence": "våld", "risk_self_harm": "självskada"}


def _money(value) -> str:
    try:
        return f"{int(round(float(value))):,}".replace(",", "\u00a0")
    except (TypeError, ValueError):
        return ""


def agreement_pdf(terms: dict, *, assignment_id, case_id, today: str) -> bytes:
    """Render the agreement's terms as an A4 PDF."""
    from weasyprint import HTML  # heavy import, only when a document is made

    terms = dict(terms)
    terms.setdefault("risks", [label for key, label in RISK_LABELS.items() if terms.get(key)])
    html = _templates.get_template("agreement.html").render(
        t=terms, assignment_id=assignment_id, case_id=case_id, today=today, money=_money)
    return HTML(string=html).write_pdf()


def store_document(session: Session, clock: Clock, *, kind: str, filename: str, content: bytes, actor: str,
                   case_id: int | None, assignment_id: int | None, media_type: str = "application/pdf") -> Document:
    document = Document(case_id=case_id, assignment_id=assignment_id, kind=kind, filename=filename,
                        media_type=media_type, content=content, sha256=hashlib.sha256(content).hexdigest(),
                        created_by=actor, created_at=clock.now())
    session.add(document)
    session.flush()
    return document
