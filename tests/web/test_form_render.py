"""Task forms as HTML (web.task_forms): every real form renders a field per property, each widget gives its
control, and what a browser would send back from the rendered page parses into data engine.forms accepts."""
from __future__ import annotations

import json

import lxml.html
import pytest
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidData
from engine.forms import REPO_FORMS, Form
from web.task_forms import parse_submission, render_form

FORM_KEYS = sorted(path.stem for path in REPO_FORMS.glob("*.json"))


def schema_of(key: str) -> dict:
    return json.loads((REPO_FORMS / f"{key}.json").read_text(encoding="utf-8"))


def page(html) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(f"<form>{html}</form>")


def field(doc, name: str):
    (wrapper,) = doc.xpath("//*[@data-field=$name]", name=name)
    return wrapper


def controls(doc, name: str) -> list:
    return doc.xpath("//*[self::input or self::select or self::textarea][@name=$name]", name=name)


def checked(doc, name: str) -> list[str]:
    return [el.get("value") for el in controls(doc, name) if el.get("checked") is not None]


def browser_submission(html) -> MultiDict:
    """What a browser sends for the rendered fields: checked boxes, selected options, textarea text."""
    pairs = []
    for el in page(html).iter("input", "select", "textarea"):
        name = el.get("name")
        if not name or el.get("disabled") is not None:
            continue
        if el.tag == "textarea":
            text = el.text or ""
            text = text.removeprefix("\n")  # a browser's HTML parser drops that newline
            pairs.append((name, text.replace("\n", "\r\n")))  # browsers send CRLF
        elif el.tag == "select":
            options = el.xpath(".//option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            pairs.append((name, chosen[0].get("value")))
        elif el.get("type") in ("radio", "checkbox"):
            if el.get("checked") is not None:
                pairs.append((name, el.get("value", "on")))
        else:
            pairs.append((name, el.get("value", "")))
    return MultiDict(pairs)


def writable(schema: dict, values: dict) -> dict:
    return {k: v for k, v in values.items() if not schema["properties"][k].get("x-readonly")}


# ------------------------------------------------------------ every real form

@pytest.mark.parametrize("key", FORM_KEYS)
def test_every_form_has_a_field_for_every_property(key):
    schema = schema_of(key)
    doc = page(render_form(schema, {}))
    for name, prop in schema["properties"].items():
        wrapper = field(doc, name)
        if prop.get("x-readonly"):
            assert wrapper.xpath(".//*[contains(@class, 'readonly-value')]"), name
            assert controls(doc, name) == [], f"{name} is read-only and must never be submitted"
        elif "x-options" in prop:
            assert wrapper.tag == "fieldset", name  # the choices come from the case data
        else:
            assert controls(doc, name), name
        title = wrapper.xpath("./label | ./legend | ./span[@class='form-label']")[0].text_content()
        assert prop["title"] in title


@pytest.mark.parametrize("key", FORM_KEYS)
def test_every_form_is_well_linked(key):
    schema = schema_of(key)
    doc = page(render_form(schema, {}))
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "ids must be unique"
    for label in doc.xpath("//label[@for]"):
        assert label.get("for") in ids
    for described in doc.xpath("//@aria-describedby"):
        assert set(described.split()) <= set(ids)
    required = set(schema["required"])
    for name, prop in schema["properties"].items():
        if prop.get("x-readonly"):
            continue
        marked = bool(field(doc, name).xpath("./label/abbr | ./legend/abbr"))
        blank_ok = prop.get("default") == "" or "null" in prop.get("type", [])
        assert marked == (name in required and not blank_ok), name


# ------------------------------------------------------------ widgets

def test_widgets_of_the_agreement_form():
    doc = page(render_form(schema_of("agreement_draft"), {}))
    (start,) = controls(doc, "agreement_start_date")
    assert start.get("type") == "date" and start.get("required") is not None
    (meetings,) = controls(doc, "meetings_per_month")
    assert (meetings.get("type"), meetings.get("min"), meetings.get("max"), meetings.get("step")) == \
        ("number", "1", "31", "1")
    (hours,) = controls(doc, "hours_per_meeting")
    assert (hours.get("type"), hours.get("min"), hours.get("step")) == ("number", "0.5", "any")
    (goals,) = controls(doc, "goals")
    assert goals.tag == "textarea"
    (address,) = controls(doc, "volunteer_address")
    assert address.tag == "textarea" and address.get("rows") == "3"
    (phone,) = controls(doc, "volunteer_phone")
    assert phone.get("type") == "tel"
    (email,) = controls(doc, "volunteer_email")
    assert email.get("type") == "email"
    assert controls(doc, "guardian_name")[0].get("type") == "text"
    assert field(doc, "emergency_contact").xpath("./p[@class='help']")[0].text.startswith("T.ex.")


def test_yes_no_is_two_radios_in_a_fieldset():
    doc = page(render_form(schema_of("agreement_draft"), {}))
    wrapper = field(doc, "risk_abuse")
    assert wrapper.tag == "fieldset"
    assert wrapper.find("legend").text_content().startswith("Känd risk: missbruk")
    radios = controls(doc, "risk_abuse")
    assert [(r.get("type"), r.get("value"), r.getparent().text_content().strip()) for r in radios] == \
        [("radio", "true", "Ja"), ("radio", "false", "Nej")]


def test_personnummer_field():
    doc = page(render_form(schema_of("matching_client_decision"), {}))
    (pnr,) = controls(doc, "client_personnummer")
    assert pnr.get("type") == "text" and pnr.get("inputmode") == "numeric"
    assert pnr.get("placeholder") == "ÅÅÅÅMMDD-NNNN" and pnr.get("pattern")


def test_date_time_field_is_local_date_time():
    doc = page(render_form(schema_of("recruitment_book_interview"), {"interview_at": "2025-03-04T13:30:00+01:00"}))
    (at,) = controls(doc, "interview_at")
    assert (at.get("type"), at.get("value")) == ("datetime-local", "2025-03-04T13:30")


def test_few_choices_are_radios_many_a_select():
    doc = page(render_form(schema_of("termination_register"), {}))
    initiated = controls(doc, "initiated_by")  # 4 options
    assert [r.get("type") for r in initiated] == ["radio"] * 4
    assert field(doc, "initiated_by").tag == "fieldset"
    assert initiated[2].getparent().text_content().strip() == "Handläggaren"
    (select,) = controls(doc, "end_reason_category")  # 6 options
    assert select.tag == "select"
    options = select.xpath("./option")
    assert (options[0].get("value"), options[0].text) == ("", "Välj…")
    assert [o.text for o in options[1:3]] == ["Den enskilde vill avsluta", "Kontaktpersonen vill avsluta"]


SYNTHETIC = {
    "type": "object",
    "properties": {
        "activities": {"type": "array", "title": "Aktiviteter",
                       "items": {"type": "string", "oneOf": [{"const": "sport", "title": "Idrott"},
                                                             {"const": "music", "title": "Musik"},
                                                             {"const": "cafe", "title": "Fika"}]}},
        "sizes": {"type": "array", "title": "Storlekar", "items": {"type": "integer", "enum": [1, 2, 3]}},
        "home": {"type": "object", "title": "Bostad", "required": ["street"],
                 "properties": {"street": {"type": "string", "title": "Gata"},
                                "rooms": {"type": "integer", "title": "Rum"}}},
        "note": {"type": "string", "title": "Notering", "default": "ingen"},
    },
    "required": ["activities"],
}


def test_multiple_choice_is_a_checkbox_group():
    doc = page(render_form(SYNTHETIC, {"activities": ["music", "cafe"], "sizes": [2]}))
    boxes = controls(doc, "activities")
    assert [b.get("type") for b in boxes] == ["checkbox"] * 3
    assert checked(doc, "activities") == ["music", "cafe"]
    assert checked(doc, "sizes") == ["2"]
    assert field(doc, "activities").tag == "fieldset"


def test_nested_object_is_a_fieldset_with_dotted_names():
    doc = page(render_form(SYNTHETIC, {"home": {"street": "Storgatan 1", "rooms": 2}},
                           {"home.street": ["Fältet måste fyllas i."]}))
    wrapper = field(doc, "home")
    assert wrapper.tag == "fieldset" and wrapper.find("legend").text == "Bostad"
    (street,) = controls(wrapper, "home.street")
    assert street.get("value") == "Storgatan 1" and street.get("aria-invalid") == "true"
    assert street.get("required") is not None
    assert controls(wrapper, "home.rooms")[0].get("value") == "2"
    submitted = browser_submission(render_form(SYNTHETIC, {"home": {"street": "Storgatan 1", "rooms": 2}}))
    assert parse_submission(SYNTHETIC, submitted)["home"] == {"street": "Storgatan 1", "rooms": 2}


def test_read_only_fields_are_text():
    values = {"personnummer": "19811218-9876", "applicant_age": 43, "about_me": "Rad ett\nRad två"}
    doc = page(render_form(schema_of("recruitment_screening"), values))
    assert field(doc, "personnummer").xpath(".//div[@class='readonly-value']")[0].text == "19811218-9876"
    assert field(doc, "applicant_age").xpath(".//div[@class='readonly-value']")[0].text == "43"
    about = field(doc, "about_me").xpath(".//div[@class='readonly-value']")[0]
    assert about.text_content() == "Rad ettRad två" and about.find("br") is not None
    assert field(doc, "application_received").xpath(".//div[@class='readonly-value']")[0].text == "–"


CANDIDATES = [
    {"volunteer_id": 7, "name": "Anna Berg", "score": 12.5, "reasons": ["Bor nära", "Gemensamt intresse: fotboll"],
     "conflicts": []},
    {"volunteer_id": 9, "name": "Bo Ek", "score": 8, "reasons": ["Talar arabiska"], "conflicts": []},
    {"volunteer_id": 3, "name": "Cia Al", "score": 0, "reasons": [], "conflicts": ["Arbetar på den enskildes boende"]},
]


def test_candidates_are_a_table_and_the_choices():
    doc = page(render_form(schema_of("matching_pick"), {"candidates": CANDIDATES, "selected_volunteer_id": 9}))
    (table,) = field(doc, "candidates").xpath(".//table[contains(@class, 'readonly-list')]")
    assert [th.text for th in table.xpath(".//th")] == ["Id", "Namn", "Poäng", "Skäl", "Hinder och jäv"]
    rows = table.xpath("./tbody/tr")
    assert len(rows) == 3
    assert [li.text for li in rows[0].xpath("./td[4]//li")] == ["Bor nära", "Gemensamt intresse: fotboll"]
    assert rows[0].xpath("./td[3]")[0].text == "12,5"
    assert rows[2].get("class") == "excluded" and rows[0].get("class") is None
    (conflicts,) = rows[2].xpath("./td[5]/ul")
    assert "excluded" in conflicts.get("class") and conflicts.find("li").text == "Arbetar på den enskildes boende"
    choices = controls(doc, "selected_volunteer_id")
    assert [c.get("value") for c in choices] == ["7", "9", "3"]
    assert checked(doc, "selected_volunteer_id") == ["9"]
    assert choices[2].get("disabled") is not None, "a candidate with conflicts cannot be chosen"
    assert "kan inte väljas" in choices[2].getparent().text_content()


def test_police_extract_offers_no_place_for_the_content():
    doc = page(render_form(schema_of("recruitment_police_extract"), {}))
    assert doc.xpath("//textarea") == [] and doc.xpath("//select") == []
    typed = [(el.get("name"), el.get("type")) for el in doc.xpath("//input")]
    free_text = [name for name, kind in typed if kind not in ("radio", "date")]
    assert free_text == ["police_extract_checked_by"]
    assert sorted({name for name, _ in typed}) == \
        ["police_extract_checked_by", "police_extract_date", "police_extract_shown"]


# ------------------------------------------------------------ prefill, defaults, errors, escaping

def test_prefill_and_defaults():
    schema = schema_of("matching_client_decision")
    doc = page(render_form(schema, {}))
    assert checked(doc, "wish_gender") == ["any"]  # "default": "any"
    assert controls(doc, "wish_age")[0].get("value") == ""
    doc = page(render_form(schema, {"wish_gender": "woman", "client_first_name": "Lina", "meetings_per_month": 0,
                                    "goals": "Komma ut\noch träffa folk"}))
    assert checked(doc, "wish_gender") == ["woman"]
    assert controls(doc, "client_first_name")[0].get("value") == "Lina"
    assert controls(doc, "meetings_per_month")[0].get("value") == "0"
    assert controls(doc, "goals")[0].text == "\nKomma ut\noch träffa folk"


def test_false_is_a_value_not_a_blank():
    doc = page(render_form(schema_of("agreement_draft"), {"risk_abuse": False, "risk_violence": True}))
    assert checked(doc, "risk_abuse") == ["false"]
    assert checked(doc, "risk_violence") == ["true"]
    assert checked(doc, "risk_self_harm") == []


def test_selected_option_is_prefilled():
    doc = page(render_form(schema_of("termination_register"), {"end_reason_category": "moved"}))
    (select,) = controls(doc, "end_reason_category")
    assert [o.get("value") for o in select.xpath("./option[@selected]")] == ["moved"]


def test_errors_next_to_their_fields():
    errors = {"police_extract_date": ["Ange ett datum som ÅÅÅÅ-MM-DD."],
              "police_extract_shown": ["Fältet måste fyllas i."],
              "": ["Formulärdata måste vara ett objekt."]}
    doc = page(render_form(schema_of("recruitment_police_extract"), {"police_extract_date": "igår"}, errors))
    (date,) = controls(doc, "police_extract_date")
    assert date.get("aria-invalid") == "true" and date.get("value") == "igår"
    (message,) = field(doc, "police_extract_date").xpath(".//*[@role='alert']")
    assert message.text == "Ange ett datum som ÅÅÅÅ-MM-DD." and "form-error" in message.get("class")
    assert message.get("id") in date.get("aria-describedby").split()
    assert [r.get("aria-invalid") for r in controls(doc, "police_extract_shown")] == ["true", "true"]
    (checked_by,) = controls(doc, "police_extract_checked_by")
    assert checked_by.get("aria-invalid") is None
    assert field(doc, "police_extract_checked_by").xpath(".//*[@role='alert']") == []
    summary = doc.xpath("./div[contains(@class, 'form-errors')]")[0]
    assert "Formulärdata måste vara ett objekt." in summary.text_content()


def test_values_are_escaped():
    evil = '<script>alert("x")</script>'
    values = {"first_name": evil, "interests": evil, "about_me": evil, "personnummer": evil,
              "screening_comment": '"><b>fet</b>'}
    html = render_form(schema_of("recruitment_screening"), values, {"email": [evil]})
    assert "<script>" not in html and "<b>" not in html
    doc = page(html)
    assert controls(doc, "first_name")[0].get("value") == evil
    assert controls(doc, "interests")[0].text.strip() == evil
    assert controls(doc, "screening_comment")[0].text.strip() == '"><b>fet</b>'
    assert field(doc, "about_me").xpath(".//div[@class='readonly-value']")[0].text == evil
    assert doc.xpath("//script") == [] and doc.xpath("//b") == []
    pick = render_form(schema_of("matching_pick"),
                       {"candidates": [{"volunteer_id": evil, "name": evil, "score": 1, "reasons": [evil],
                                        "conflicts": []}]})
    assert "<script>" not in pick and page(pick).xpath("//script") == []


def test_field_prefix_is_used_both_ways():
    schema = schema_of("recruitment_police_extract")
    values = {"police_extract_shown": True, "police_extract_date": "2025-01-10",
              "police_extract_checked_by": "Eva Handläggare"}
    html = render_form(schema, values, field_prefix="t1-")
    assert controls(page(html), "t1-police_extract_date")
    assert parse_submission(schema, browser_submission(html), field_prefix="t1-") == values


# ------------------------------------------------------------ round trip through a browser and engine.forms

ROUND_TRIPS = {
    "recruitment_screening": {
        "first_name": "Åsa", "last_name": "Öberg", "personnummer": "19811218-9876", "applicant_age": 43,
        "application_received": "2025-02-01", "email": "asa.oberg@example.se", "phone": "070-123 45 67",
        "street_address": "Storgatan 1\nlgh 1102", "postal_code": "753 20", "city": "Uppsala",
        "home_municipality": "Uppsala", "interests": "Friluftsliv, schack", "languages": "svenska, engelska",
        "workplace": "Akademiska sjukhuset", "about_me": "Jag gillar att vara ute.",
        "screening_decision": "reject", "screening_comment": "Bor utanför kommunen.\nHänvisad till Knivsta.",
    },
    "recruitment_police_extract": {
        "police_extract_shown": True, "police_extract_date": "2025-01-10",
        "police_extract_checked_by": "Eva Handläggare",
    },
    "agreement_draft": {
        "volunteer_name": "Anna Berg", "client_name": "Kalle Ek", "agreement_start_date": "2025-04-01",
        "meetings_per_month": 4, "hours_per_meeting": 2.5, "goals": "Komma ut i naturen.\nTräffa nya människor.",
        "volunteer_address": "Sysslomansgatan 3\n753 11 Uppsala", "volunteer_phone": "070-111 22 33",
        "volunteer_email": "anna.berg@example.se", "client_address": "Gränbystigen 9", "client_phone": "018-12 34 56",
        "guardian_name": "Maria Ek", "guardian_phone": "073-999 88 77",
        "emergency_contact": "Ring Maria Ek om Kalle inte öppnar.", "risk_abuse": False, "risk_violence": False,
        "risk_self_harm": True, "other_terms": "Inga kostnader utöver avtalet.",
    },
    "follow_up_annual_review": {
        "client_name": "Kalle Ek", "volunteer_name": "Anna Berg", "year_number": 1, "meetings_per_month": 4,
        "goals": "Komma ut i naturen.", "review_held_date": "2026-04-02", "client_view": "Trivs bra.",
        "volunteer_view": "Vill träffas oftare.", "goals_followup": "Delvis.", "review_outcome": "change",
        "new_meetings_per_month": 6, "new_goals": "Börja på en idrottsförening.",
    },
    "matching_pick": {
        "client_name": "Kalle Ek", "meetings_per_month": 4, "wish_interests": "fotboll", "area": "Gränby",
        "match_round": 2, "pick_error": "", "candidates": CANDIDATES,
        "declined_volunteers": [{"volunteer_id": 5, "name": "Dan Ås", "reason": "Har inte tid",
                                 "date": "2025-03-01"}],
        "pick_action": "offer", "selected_volunteer_id": 7, "pick_motivation": "Bor nära\noch gillar fotboll.",
    },
    "matching_client_decision": {
        "client_first_name": "Kalle", "client_last_name": "Ek", "client_personnummer": "19811218-9876",
        "client_address": "", "client_phone": "", "guardian_name": "", "guardian_phone": "",
        "legal_basis": "LSS", "decision_date": "2025-01-15", "meetings_per_month": 2, "goals": "Social samvaro.",
        "wish_interests": "", "wish_age": "20–35", "wish_gender": "any", "wish_language": "", "area": "Gränby",
        "daily_activity_place": "", "representatives": "",
    },
    "termination_register": {
        "assignment_id": 12, "volunteer_id": "V-7", "client_id": 3, "volunteer_name": "Anna Berg",
        "volunteer_email": "anna.berg@example.se", "client_name": "Kalle Ek", "initiated_by": "annual_review",
        "end_reason_category": "moved", "end_reason": "", "end_date": "2026-06-30", "meetings_per_month": 4,
    },
}


@pytest.mark.parametrize("key", sorted(ROUND_TRIPS))
def test_round_trip_through_the_browser(key):
    schema, values = schema_of(key), ROUND_TRIPS[key]
    submitted = browser_submission(render_form(schema, values))
    submitted.add("csrf_token", "abc123")
    parsed = parse_submission(schema, submitted)
    assert parsed == writable(schema, values)
    assert Form(key, schema).validate(parsed) == parsed


def test_round_trip_of_multiple_choice():
    values = {"activities": ["sport", "cafe"], "sizes": [1, 3], "home": {"street": "Storgatan 1"}, "note": "x"}
    assert parse_submission(SYNTHETIC, browser_submission(render_form(SYNTHETIC, values))) == values
    blank = parse_submission(SYNTHETIC, browser_submission(render_form(SYNTHETIC, {"note": ""})))
    assert blank == {"activities": [], "sizes": []}  # nothing ticked is an empty list; empty text is left out


# ------------------------------------------------------------ parse_submission

def test_numbers():
    schema = schema_of("agreement_draft")
    form = MultiDict({"meetings_per_month": "3", "hours_per_meeting": "1,5"})
    assert parse_submission(schema, form) == {"meetings_per_month": 3, "hours_per_meeting": 1.5}
    assert parse_submission(schema, MultiDict({"meetings_per_month": "", "hours_per_meeting": " "})) == {}
    parsed = parse_submission(schema, MultiDict({"meetings_per_month": "tre", "hours_per_meeting": "nan"}))
    assert parsed == {"meetings_per_month": "tre", "hours_per_meeting": "nan"}
    with pytest.raises(InvalidData) as caught:
        Form("agreement_draft", schema).validate(parsed)
    assert caught.value.errors["meetings_per_month"] == ["Värdet måste vara ett heltal."]
    assert caught.value.errors["hours_per_meeting"] == ["Värdet måste vara ett tal."]


def test_booleans():
    schema = schema_of("agreement_draft")
    form = MultiDict({"risk_abuse": "true", "risk_violence": "false"})
    assert parse_submission(schema, form) == {"risk_abuse": True, "risk_violence": False}
    assert parse_submission(schema, MultiDict({"risk_abuse": "kanske"})) == {"risk_abuse": "kanske"}


def test_empty_strings():
    decision = parse_submission(schema_of("matching_client_decision"),
                                MultiDict({"wish_age": "", "goals": "", "client_first_name": "  Kalle "}))
    assert decision == {"wish_age": "", "client_first_name": "Kalle"}  # "default": "" keeps the blank


def test_mixed_and_nullable_types():
    register = schema_of("termination_register")
    parsed = parse_submission(register, MultiDict({"assignment_id": "12", "volunteer_id": "V-7", "client_id": "007"}))
    assert parsed == {"assignment_id": 12, "volunteer_id": "V-7", "client_id": "007"}
    pick = schema_of("matching_pick")
    assert parse_submission(pick, MultiDict({"selected_volunteer_id": ""})) == {"selected_volunteer_id": None}
    assert parse_submission(pick, MultiDict({"selected_volunteer_id": "9"})) == {"selected_volunteer_id": 9}


def test_read_only_unknown_and_csrf_are_left_out():
    form = MultiDict({"client_name": "Fejk", "candidates": "[]", "pick_action": "wait", "is_admin": "true",
                      "csrf_token": "abc123"})
    assert parse_submission(schema_of("matching_pick"), form) == {"pick_action": "wait"}


def test_unknown_choice_is_kept_for_validation():
    schema = schema_of("recruitment_screening")
    assert parse_submission(schema, MultiDict({"screening_decision": "hack"})) == {"screening_decision": "hack"}


def test_plain_list_is_one_value_per_line():
    schema = {"type": "object", "properties": {"languages": {"type": "array", "title": "Språk",
                                                             "items": {"type": "string"}}}}
    html = render_form(schema, {"languages": ["svenska", "arabiska"]})
    (box,) = controls(page(html), "languages")
    assert box.tag == "textarea"
    assert parse_submission(schema, browser_submission(html)) == {"languages": ["svenska", "arabiska"]}
