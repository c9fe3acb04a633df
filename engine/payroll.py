"""The monthly payment basis as CSV for payroll: one row per assignment and month."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidData
from engine.models import Assignment, PaymentBasis, Volunteer

COLUMNS = ("manad", "uppdrag", "personnummer", "namn", "arvode_kr", "omkostnad_kr", "rapportstatus", "utbetalas")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def payment_basis_csv(session: Session, month: str) -> str:
    """CSV (semicolon-separated, as Swedish payroll systems import it) of every assignment's basis
    for `month` ('YYYY-MM'); rows held back say 'nej' in the last column."""
    if not _MONTH.match(month or ""):
        raise InvalidData("Ange månaden som ÅÅÅÅ-MM.", {"month": ["Ange månaden som ÅÅÅÅ-MM."]})
    rows = session.execute(
        select(PaymentBasis, Volunteer).join(Assignment, Assignment.id == PaymentBasis.assignment_id)
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(PaymentBasis.month == month).order_by(PaymentBasis.assignment_id)).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for basis, volunteer in rows:
        writer.writerow((basis.month, basis.assignment_id, volunteer.personnummer or "", volunteer.name, basis.fee,
                         basis.expenses, basis.report_status, "nej" if basis.held_back else "ja"))
    return out.getvalue()
