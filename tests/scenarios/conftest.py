"""Fixtures for the scenarios that run the repository's own processes (see lifecycle.py)."""
from __future__ import annotations

import pytest

from engine.deployments import deploy_builtin_processes
from tests.scenarios.caseworker import Caseworker

PROCESS_KEYS = {"recruitment", "matching", "agreement", "follow_up", "follow_up_period", "incident", "termination"}


@pytest.fixture
def kompis(sessions, clock, forms):
    """Every process in processes/ deployed; returns the deployed process keys."""
    with sessions.begin() as session:
        deployed = deploy_builtin_processes(session, clock=clock, forms=forms)
        keys = {d.process_key for d in deployed}
    assert keys == PROCESS_KEYS
    return keys


@pytest.fixture
def anna(sessions, clock, kompis):
    """A caseworker (handläggare)."""
    return Caseworker(sessions, clock, name="anna", group="handlaggare")


@pytest.fixture
def erik(sessions, clock, kompis):
    """A unit manager (enhetschef): decides on approval, investigates lex Sarah reports."""
    return Caseworker(sessions, clock, name="erik", group="enhetschef")
