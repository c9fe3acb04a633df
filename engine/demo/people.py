"""Invented people: Swedish names, valid (Luhn-checked) personnummer, areas and interests.
Nobody here exists; every row made from these is marked as demo."""
from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum import luhn

FIRST = ["Sara", "Ali", "Maja", "Erik", "Fatima", "Johan", "Elin", "Omar", "Linnea", "Karl", "Amina", "Oskar",
         "Ida", "Yusuf", "Hanna", "Nils", "Leila", "Gustav", "Emma", "Mohammed", "Frida", "Lars", "Sofia", "Viktor",
         "Zeynep", "Axel", "Klara", "Hassan", "Alma", "Anders", "Ebba", "Samir", "Wilma", "Per", "Tove", "Daniel"]
LAST = ["Lind", "Nur", "Berg", "Andersson", "Hassan", "Johansson", "Karlsson", "Ali", "Nilsson", "Eriksson",
        "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
        "Bengtsson", "Lindberg", "Axelsson", "Holm", "Sandberg", "Ek", "Strand", "Wallin", "Lundqvist"]
AREAS = ["Centrum", "Hede", "Kolla", "Åsa", "Onsala", "Fjärås", "Vallda", "Frillesås", "Särö", "Anneberg"]
INTERESTS = ["fiske", "fotboll", "bowling", "promenader", "musik", "matlagning", "bio", "konst", "friluftsliv",
             "djur", "spel", "simning", "kafé", "teater", "trädgård", "cykling"]
LANGUAGES = ["svenska", "engelska", "arabiska", "somaliska", "persiska", "finska", "bosniska", "spanska"]
WORKPLACES = ["ICA Maxi", "Kungsbacka sjukhus", "Hede förskola", "Volvo Torslanda", "Kommunhuset",
              "Solgårdens dagliga verksamhet", "Elevhemmet", "Pensionär", "Student", "Bibliotek"]


class People:
    """Deterministic for a seed, and never the same personnummer twice."""

    def __init__(self, seed: int = 17):
        self.random = random.Random(seed)
        self.used: set[str] = set()

    def personnummer(self, born: date) -> str:
        while True:
            serial = f"{self.random.randint(0, 999):03d}"
            number = f"{born:%Y%m%d}-{serial}{luhn.calc_check_digit(born.strftime('%y%m%d') + serial)}"
            if number not in self.used:
                self.used.add(number)
                return number

    def birth_date(self, today: date, youngest: int, oldest: int) -> date:
        return today - timedelta(days=self.random.randint(youngest * 365 + 30, oldest * 365))

    def person(self, today: date, youngest: int = 20, oldest: int = 70) -> dict:
        first, last = self.random.choice(FIRST), self.random.choice(LAST)
        born = self.birth_date(today, youngest, oldest)
        return {"first_name": first, "last_name": last, "personnummer": self.personnummer(born),
                "email": f"{first.lower()}.{last.lower()}{self.random.randint(1, 99)}@example.se".translate(
                    str.maketrans("åäö", "aao")),
                "phone": f"07{self.random.randint(0, 9)}-{self.random.randint(100, 999)} "
                         f"{self.random.randint(10, 99)} {self.random.randint(10, 99)}",
                "area": self.random.choice(AREAS)}

    def interests(self, count: int = 3) -> str:
        return ", ".join(self.random.sample(INTERESTS, count))

    def languages(self) -> str:
        extra = self.random.sample(LANGUAGES[1:], self.random.randint(0, 1))
        return ", ".join(["svenska", *extra])

    def workplace(self) -> str:
        return self.random.choice(WORKPLACES)
