"""The payroll CSV: every assignment's month, and months without a report held back."""
from __future__ import annotations

import pytest

from engine.errors import InvalidData
from engine.payroll import payment_basis_csv
from engine.registry import Registry


def test_month_without_an_approved_report_is_held_back(sessions, clock):
    with sessions.begin() as session:
        reg = Registry(session, clock, "anna")
        volunteer = reg.register_volunteer({"first_name": "Sara", "last_name": "Lind",
                                            "personnummer": "19811218-9876"})
        client = reg.register_client({"first_name": "Kim", "personnummer": "20000101-0008"})
        assignment = reg.create_assignment(volunteer, client, {})
        reg.record_payment_basis(assignment, "2026-03", 986.67, 493.3, "received")
        reg.record_payment_basis(assignment, "2026-04", 987, 493, "missing")
    with sessions() as session:
        march = payment_basis_csv(session, "2026-03").splitlines()
        april = payment_basis_csv(session, "2026-04").splitlines()
    assert march[0] == "manad;uppdrag;personnummer;namn;arvode_kr;omkostnad_kr;rapportstatus;utbetalas"
    assert march[1] == f"2026-03;{assignment};19811218-9876;Sara Lind;987;493;received;ja"
    assert april[1].endswith(";missing;nej")


def test_a_bad_month_is_explained(sessions):
    with sessions() as session, pytest.raises(InvalidData, match="ÅÅÅÅ-MM"):
        payment_basis_csv(session, "mars")
