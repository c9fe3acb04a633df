"""Server-side form validation with Swedish messages per field."""
from __future__ import annotations

import pytest

from engine.errors import InvalidData, UnknownForm
from engine.forms import Form, FormStore


def form(**properties):
    return Form("t", {"type": "object", "properties": properties, "required": ["name"]})


def errors_of(f, data):
    with pytest.raises(InvalidData) as caught:
        f.validate(data)
    return caught.value.errors


def test_messages_are_swedish_and_per_field():
    f = form(name={"type": "string", "minLength": 1}, born={"type": "string", "format": "date"},
             email={"type": "string", "format": "email"}, hours={"type": "number", "minimum": 0})
    assert errors_of(f, {"born": "31/12", "email": "nej", "hours": -1}) == {
        "name": ["Fältet måste fyllas i."],
        "born": ["Ange ett datum som ÅÅÅÅ-MM-DD."],
        "email": ["Ange en giltig e-postadress."],
        "hours": ["Värdet måste vara minst 0."],
    }


def test_unknown_fields_are_refused_and_read_only_fields_are_ignored():
    f = form(name={"type": "string"}, case_no={"type": "string", "x-readonly": True})
    assert errors_of(f, {"name": "A", "is_admin": True}) == {"is_admin": ["Fältet finns inte i formuläret."]}
    assert f.validate({"name": "A", "case_no": "forged"}) == {"name": "A"}


def test_personnummer_is_checked_and_normalised():
    f = form(name={"type": "string"}, pnr={"type": "string", "x-widget": "personnummer"})
    assert errors_of(f, {"name": "A", "pnr": "811218-9877"})["pnr"][0].startswith("Personnumret är inte giltigt")
    assert f.validate({"name": "A", "pnr": "8112189876"})["pnr"] == "19811218-9876"
    assert f.validate({"name": "A", "pnr": "198112189876"})["pnr"] == "19811218-9876"


def test_phone_numbers_need_digits():
    f = form(name={"type": "string"}, phone={"type": "string", "x-widget": "phone"})
    assert "telefonnummer" in errors_of(f, {"name": "A", "phone": "ring mig"})["phone"][0]
    assert f.validate({"name": "A", "phone": "070-123 45 67"})


def test_store_reports_missing_and_broken_forms(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "badschema.json").write_text('{"type": 12}')
    store = FormStore([tmp_path])
    with pytest.raises(UnknownForm, match="finns inte"):
        store.get("nosuch")
    with pytest.raises(UnknownForm, match="inte giltig JSON"):
        store.get("broken")
    with pytest.raises(UnknownForm, match="JSON Schema"):
        store.get("badschema")
    with pytest.raises(UnknownForm):
        store.get("../etc/passwd")


def test_every_repository_form_is_a_valid_schema_with_swedish_titles():
    from engine.forms import REPO_FORMS

    store = FormStore([REPO_FORMS])
    for path in REPO_FORMS.glob("*.json"):
        loaded = store.get(path.stem)
        for name, prop in loaded.properties.items():
            assert prop.get("title"), f"{path.name}: {name} saknar title"
