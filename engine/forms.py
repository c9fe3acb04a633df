"""JSON-Schema forms (draft 2020-12): load by form key, validate submitted data, Swedish messages."""
from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from engine import personnummer
from engine.errors import InvalidData, UnknownForm

REPO_FORMS = Path(__file__).resolve().parent.parent / "forms"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,99}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")

_FORMAT_MESSAGES = {
    "date": "Ange ett datum som ÅÅÅÅ-MM-DD.",
    "email": "Ange en giltig e-postadress.",
    "date-time": "Ange datum och tid.",
}


def _message(error) -> str:
    kind = error.validator
    if kind == "required":
        return "Fältet måste fyllas i."
    if kind == "type":
        wanted = {"string": "text", "integer": "ett heltal", "number": "ett tal", "boolean": "ja eller nej",
                  "array": "en lista", "object": "ett objekt"}
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return "Värdet måste vara " + " eller ".join(wanted.get(t, t) for t in types if t != "null") + "."
    if kind in ("enum", "const", "oneOf", "anyOf"):
        return "Välj ett av de tillåtna alternativen."
    if kind == "format":
        return _FORMAT_MESSAGES.get(error.validator_value, "Fel format.")
    if kind == "minLength":
        return "Fältet måste fyllas i." if error.validator_value == 1 else f"Minst {error.validator_value} tecken."
    if kind == "maxLength":
        return f"Högst {error.validator_value} tecken."
    if kind in ("minimum", "exclusiveMinimum"):
        return f"Värdet måste vara minst {error.validator_value}."
    if kind in ("maximum", "exclusiveMaximum"):
        return f"Värdet får vara högst {error.validator_value}."
    if kind == "minItems":
        return f"Välj minst {error.validator_value}."
    if kind == "maxItems":
        return f"Välj högst {error.validator_value}."
    if kind == "pattern":
        return "Fel format."
    if kind == "additionalProperties":
        return "Fältet finns inte i formuläret."
    return error.message


class Form:
    def __init__(self, key: str, schema: dict):
        self.key = key
        self.schema = schema
        self.validator = Draft202012Validator(schema, format_checker=FormatChecker())

    @property
    def title(self) -> str:
        return self.schema.get("title", self.key)

    @property
    def properties(self) -> dict:
        return self.schema.get("properties", {})

    def field_names(self) -> set[str]:
        return set(self.properties)

    def validate(self, data: dict) -> dict:
        """Return the data the task may store; raise InvalidData with messages per field."""
        if not isinstance(data, dict):
            raise InvalidData("Formulärdata måste vara ett objekt.", {"": ["Formulärdata måste vara ett objekt."]})
        errors: dict[str, list[str]] = {}
        for name in data:
            if name not in self.properties:
                errors.setdefault(name, []).append("Fältet finns inte i formuläret.")
        # Read-only fields are shown, never taken from the browser.
        cleaned = {k: v for k, v in data.items()
                   if k in self.properties and not self.properties[k].get("x-readonly")}
        for error in self.validator.iter_errors(cleaned):
            if error.validator == "additionalProperties":
                continue  # reported per field above
            path = [str(p) for p in error.absolute_path]
            if error.validator == "required":
                missing = re.findall(r"'([^']+)' is a required property", error.message)
                path = path + missing[:1]
            field = ".".join(path)
            if field.split(".")[0] in self.properties and self.properties[field.split(".")[0]].get("x-readonly"):
                continue
            errors.setdefault(field, []).append(_message(error))
        for name, value in cleaned.items():
            widget = self.properties[name].get("x-widget")
            if widget == "personnummer" and isinstance(value, str) and value:
                if not personnummer.is_valid(value):
                    errors.setdefault(name, []).append("Personnumret är inte giltigt (kontrollera datum och kontrollsiffra).")
                else:
                    cleaned[name] = personnummer.canonical(value)
            if widget == "phone" and isinstance(value, str) and value and not _PHONE.match(value):
                errors.setdefault(name, []).append("Ange ett telefonnummer med siffror, t.ex. 070-123 45 67.")
        if errors:
            raise InvalidData("Formuläret innehåller fel.", errors)
        return cleaned


class FormStore:
    """Finds `<key>.json` in a search path of folders; caches each schema until its file changes."""

    def __init__(self, directories: list[Path] | None = None):
        if directories is None:
            env = os.environ.get("KOMPIS_FORMS_DIR")
            directories = [Path(p) for p in env.split(os.pathsep)] if env else [REPO_FORMS]
        self.directories = [Path(d) for d in directories]
        self._cache: dict[str, tuple[float, Form]] = {}
        self._lock = threading.Lock()

    def path_of(self, key: str) -> Path | None:
        if not _KEY.match(key or ""):
            return None
        for directory in self.directories:
            candidate = directory / f"{key}.json"
            if candidate.is_file():
                return candidate
        return None

    def exists(self, key: str) -> bool:
        return self.path_of(key) is not None

    def get(self, key: str) -> Form:
        """The form, or UnknownForm with the reason (missing file, bad JSON, bad schema)."""
        path = self.path_of(key)
        if path is None:
            raise UnknownForm(f"Formuläret '{key}' finns inte.")
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] == mtime:
                return cached[1]
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
        except json.JSONDecodeError as exc:
            raise UnknownForm(f"Formuläret '{key}' är inte giltig JSON: {exc.msg} (rad {exc.lineno}).") from None
        except SchemaError as exc:
            raise UnknownForm(f"Formuläret '{key}' är inte ett giltigt JSON Schema: {exc.message}") from None
        form = Form(key, schema)
        with self._lock:
            self._cache[key] = (mtime, form)
        return form


FORMS_FOLDER = "forms/"


def bundle_form_name(key: str) -> str:
    """The file name a form has inside a deployed bundle."""
    return f"{FORMS_FOLDER}{key}.json"


def is_bundle_form(file_name: str) -> bool:
    return file_name.startswith(FORMS_FOLDER) and file_name.endswith(".json")


def _form_from_text(key: str, text: str) -> Form:
    try:
        schema = json.loads(text)
        if not isinstance(schema, dict):
            raise UnknownForm(f"Formuläret '{key}' måste vara ett JSON-objekt.")
        Draft202012Validator.check_schema(schema)
    except json.JSONDecodeError as exc:
        raise UnknownForm(f"Formuläret '{key}' är inte giltig JSON: {exc.msg} (rad {exc.lineno}).") from None
    except SchemaError as exc:
        raise UnknownForm(f"Formuläret '{key}' är inte ett giltigt JSON Schema: {exc.message}") from None
    return Form(key, schema)


def form_in_bundle(files: dict, key: str) -> dict | None:
    """The schema a bundle carries for `key`, or None when the bundle leaves it to the forms folder."""
    text = files.get(bundle_form_name(key))
    return None if text is None else json.loads(text)


class BundleForms:
    """Forms as a deployed version sees them: the ones it carries first, then the forms folder.

    A process owner's edited form travels inside the bundle, so cases on older versions keep the
    form they were started with.
    """

    def __init__(self, files: dict, fallback: FormStore):
        self._texts = {name[len(FORMS_FOLDER):-len(".json")]: text
                       for name, text in files.items() if is_bundle_form(name)}
        self._fallback = fallback
        self._parsed: dict[str, Form] = {}

    @property
    def keys(self) -> set[str]:
        return set(self._texts)

    def exists(self, key: str) -> bool:
        return key in self._texts or self._fallback.exists(key)

    def get(self, key: str) -> Form:
        """The form, or UnknownForm with the reason."""
        if key not in self._texts:
            return self._fallback.get(key)
        form = self._parsed.get(key)
        if form is None:
            form = self._parsed[key] = _form_from_text(key, self._texts[key])
        return form


def forms_for_bundle(files: dict, store: FormStore) -> BundleForms:
    return BundleForms(files, store)
