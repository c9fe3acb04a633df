"""Rank pool volunteers for a client: shared interests, age against the wish, gender, area,
language and time waited, each with its reason; conflicts exclude a volunteer and say why."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.se import personnummer as pnr

from engine.models.registry import Client, Volunteer

_RANGE = re.compile(r"(\d{2})\s*[-–]\s*(\d{2})")
_OVER = re.compile(r"(?:över|minst|från)\s*(\d{2})|(\d{2})\s*\+")
_UNDER = re.compile(r"(?:under|högst|max)\s*(\d{2})")


def wished_age_range(text: str) -> tuple[int, int] | None:
    """'20-40' -> (20, 40); 'över 30' / '30+' -> (30, 120); 'under 50' -> (18, 50)."""
    text = (text or "").lower()
    if match := _RANGE.search(text):
        return int(match.group(1)), int(match.group(2))
    if match := _OVER.search(text):
        return int(match.group(1) or match.group(2)), 120
    if match := _UNDER.search(text):
        return 18, int(match.group(1))
    return None


def _age(volunteer: Volunteer, today: date) -> int | None:
    try:
        born = pnr.get_birth_date(pnr.compact(volunteer.personnummer or ""))
    except Exception:  # noqa: BLE001 - no or odd personnummer: age is unknown, not an error
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def conflicts_of(volunteer: Volunteer, client: Client) -> list[str]:
    """Why this volunteer must not be this client's contact person (empty when none)."""
    found = []
    people = _norm(client.representatives)
    compact = (volunteer.personnummer or "").replace("-", "")
    if people and ((volunteer.name and _norm(volunteer.name) in people) or (compact and compact in people.replace("-", ""))):
        found.append("Nämns som den enskildes god man, förvaltare eller personal; "
                     "får inte vara kontaktperson (LSS 9 § 4).")
    work, place = _norm(volunteer.workplace), _norm(client.daily_activity_place)
    if work and place and (work in place or place in work):
        found.append(f"Arbetar där den enskilde bor eller har sin dagliga verksamhet ({client.daily_activity_place}).")
    return found


def score_of(volunteer: Volunteer, client: Client, today: date) -> tuple[int, list[str]]:
    score, reasons = 0, []
    wishes = client.wishes or {}
    shared = sorted(set(volunteer.interests or []) & set(wishes.get("interests") or []))
    if shared:
        score += 10 * len(shared)
        reasons.append(f"Delade intressen: {', '.join(shared)} (+{10 * len(shared)})")
    age, wished = _age(volunteer, today), wished_age_range(wishes.get("age", ""))
    if age is not None and wished:
        if wished[0] <= age <= wished[1]:
            score += 10
            reasons.append(f"Ålder {age} passar önskemålet {wished[0]}–{wished[1]} (+10)")
        else:
            score -= 10
            reasons.append(f"Ålder {age} utanför önskemålet {wished[0]}–{wished[1]} (−10)")
    gender = wishes.get("gender") or "any"
    if gender != "any" and volunteer.gender:
        if volunteer.gender == gender:
            score += 5
            reasons.append("Kön enligt önskemål (+5)")
        else:
            score -= 15
            reasons.append("Kön enligt önskemål saknas (−15)")
    if volunteer.area and client.area and _norm(volunteer.area) == _norm(client.area):
        score += 15
        reasons.append(f"Samma område: {client.area} (+15)")
    language = _norm(wishes.get("language"))
    if language and language in (volunteer.languages or []):
        score += 10
        reasons.append(f"Talar {wishes.get('language')} (+10)")
    if volunteer.waiting_since:
        days = (today - volunteer.waiting_since).days
        bonus = min(12, days // 30)
        score += bonus
        reasons.append(f"Har väntat {days} dagar (+{bonus})")
    return score, reasons


def rank_volunteers(session: Session, client_id: int, today: date) -> list[dict]:
    """Pool volunteers best first; those with conflicts last, with score 0 and their reasons."""
    client = session.get(Client, int(client_id))
    if client is None:
        return []
    pool = session.scalars(select(Volunteer).where(Volunteer.status == "approved_waiting")
                           .order_by(Volunteer.waiting_since, Volunteer.id)).all()
    ranked, excluded = [], []
    for volunteer in pool:
        conflicts = conflicts_of(volunteer, client)
        score, reasons = score_of(volunteer, client, today)
        entry = {"volunteer_id": volunteer.id, "name": volunteer.name, "score": 0 if conflicts else score,
                 "reasons": reasons, "conflicts": conflicts}
        (excluded if conflicts else ranked).append(entry)
    ranked.sort(key=lambda e: (-e["score"], e["volunteer_id"]))
    return ranked + excluded
