"""Task forms as HTML: a JSON Schema (draft 2020-12) form becomes Swedish form fields, and the browser's
strings become JSON again. Pure functions; validation stays in engine.forms."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

# More options than this do not fit as radio buttons; they become a <select>.
RADIO_LIMIT = 5
# Matching marks a candidate who must not be chosen with a non-empty list under this key.
EXCLUDING_KEY = "conflicts"
# 10 or 12 digits, optional - or +; engine.personnummer does the real check (date, Luhn).
PERSONNUMMER_PATTERN = r"([0-9]{2})?[0-9]{6}[\-+]?[0-9]{4}"
PERSONNUMMER_HINT = "ÅÅÅÅMMDD-NNNN"
EMPTY = "–"

_OMIT = object()
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})")


# ---------------------------------------------------------------- rendering

def render_form(schema: dict, values: dict, errors: dict[str, list[str]] | None = None, *,
                field_prefix: str = "") -> Markup:
    """HTML fields for every property of `schema`, prefilled from `values`, with `errors` per field path."""
    errors = dict(errors or {})
    paths = set(_field_paths(schema))
    per_field: dict[str, list[str]] = {}
    stray: list[tuple[str, list[str]]] = []
    for key, messages in errors.items():
        owner = _owner(key, paths)
        if owner is None:
            stray.append((key, list(messages)))
        else:
            per_field.setdefault(owner, []).extend(messages)
    parts = [_stray_errors(stray)] if stray else []
    parts += _fields(schema, values or {}, "", field_prefix, per_field)
    return Markup("\n").join(parts)


@dataclass
class _Field:
    path: str                # dotted, as engine.forms reports errors
    schema: dict
    value: Any
    required: bool
    prefix: str
    errors: list[str] = field(default_factory=list)
    siblings: dict = field(default_factory=dict)   # values at the same level, for x-options

    @property
    def name(self) -> str:
        return self.prefix + self.path

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_\-]", "-", self.name)

    @property
    def title(self) -> str:
        return self.schema.get("title") or self.path.rsplit(".", 1)[-1]

    @property
    def help_id(self) -> str | None:
        return self.id + "-help" if self.schema.get("description") else None

    @property
    def error_id(self) -> str | None:
        return self.id + "-error" if self.errors else None

    @property
    def described_by(self) -> str | None:
        return " ".join(i for i in (self.help_id, self.error_id) if i) or None


def _fields(schema: dict, values: dict, base: str, prefix: str, errors: dict) -> list[Markup]:
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        path = base + name
        value = values[name] if name in values else prop.get("default")
        item = _Field(path, prop, value, name in required and not _may_be_empty(prop), prefix,
                      errors.get(path, []), values)
        out.append(_field(item, errors))
    return out


def _field(f: _Field, errors: dict) -> Markup:
    s = f.schema
    if s.get("x-readonly"):
        return _readonly(f)
    if _is_object(s):
        return _object(f, errors)
    if "x-options" in s:
        return _single_choice(f, _options_from_source(f))
    if "array" in _types(s):
        options = _options(s.get("items", {}))
        return _checkboxes(f, options) if options else _lines(f)
    options = _options(s)
    if options:
        return _single_choice(f, options)
    if set(_types(s)) - {"null"} == {"boolean"}:
        return _yes_no(f)
    return _single_control(f)


def _single_control(f: _Field) -> Markup:
    s = f.schema
    widget, fmt, types = s.get("x-widget"), s.get("format"), _types(s)
    if widget in ("textarea", "address"):
        control = _textarea(f, rows=3 if widget == "address" else 5)
    elif widget == "personnummer":
        control = _input(f, "text", inputmode="numeric", pattern=PERSONNUMMER_PATTERN,
                         placeholder=PERSONNUMMER_HINT, title=PERSONNUMMER_HINT, autocomplete="off")
    elif widget == "phone":
        control = _input(f, "tel")
    elif fmt == "email":
        control = _input(f, "email")
    elif fmt == "date":
        control = _input(f, "date")
    elif fmt == "date-time":
        control = _input(f, "datetime-local", value=_local_date_time(f.value))
    elif types and set(types) - {"null"} <= {"integer", "number"}:
        step = s.get("multipleOf", 1 if "number" not in types else "any")
        control = _input(f, "number", min=s.get("minimum"), max=s.get("maximum"), step=step,
                         inputmode="numeric" if step == 1 else "decimal")
    else:
        control = _input(f, "text", minlength=s.get("minLength"), maxlength=s.get("maxLength"))
    return _labelled(f, control)


def _labelled(f: _Field, control: Markup, help_: Markup | None = None) -> Markup:
    """One control with its <label for>, help text and errors."""
    label = _tag("label", _title(f), for_=f.id)
    help_ = _help(f) if help_ is None else help_
    return _tag("div", Markup("").join([label, help_, _error(f), control]), class_=_classes(f), data_field=f.path)


def _input(f: _Field, kind: str, **attrs) -> Markup:
    attrs.setdefault("value", _form_value(f.value))
    return _tag("input", None, type=kind, id=f.id, name=f.name, required=f.required,
                aria_describedby=f.described_by, aria_invalid=_invalid(f), **attrs)


def _textarea(f: _Field, rows: int, text: str | None = None) -> Markup:
    text = _form_value(f.value) if text is None else text
    # A browser drops one newline right after <textarea>; this one keeps a leading newline in the value.
    return _tag("textarea", Markup("\n") + escape(text), id=f.id, name=f.name, rows=rows,
                required=f.required, minlength=f.schema.get("minLength"), maxlength=f.schema.get("maxLength"),
                aria_describedby=f.described_by, aria_invalid=_invalid(f))


def _lines(f: _Field) -> Markup:
    """A writable list of plain values: one per line."""
    items = f.value if isinstance(f.value, list) else []
    control = _textarea(f, rows=4, text="\n".join(_form_value(v) for v in items))
    return _labelled(f, control, _help(f) or _tag("p", "En per rad.", class_="help"))


@dataclass(frozen=True)
class _Option:
    value: str
    label: str
    disabled: bool = False


def _options(schema: dict) -> list[_Option] | None:
    if "oneOf" in schema and all(isinstance(o, dict) and "const" in o for o in schema["oneOf"]):
        return [_Option(_form_value(o["const"]), str(o.get("title", o["const"]))) for o in schema["oneOf"]]
    if "enum" in schema:
        return [_Option(_form_value(v), _form_value(v)) for v in schema["enum"]]
    return None


def _options_from_source(f: _Field) -> list[_Option]:
    """Choices taken from another field's list, e.g. the ranked candidates in matching_pick."""
    spec = f.schema["x-options"]
    source = f.siblings.get(spec.get("source"))
    options = []
    for item in source if isinstance(source, list) else []:
        if isinstance(item, dict) and spec.get("value") in item:
            label = str(item.get(spec.get("label"), item[spec["value"]]))
            excluded = bool(item.get(EXCLUDING_KEY))
            options.append(_Option(_form_value(item[spec["value"]]),
                                   label + (" (kan inte väljas)" if excluded else ""), excluded))
    return options


def _single_choice(f: _Field, options: list[_Option]) -> Markup:
    if not options:
        note = _tag("p", "Det finns inget att välja.", class_="readonly-value")
        return _group(f, note)
    if len(options) <= RADIO_LIMIT:
        return _group(f, _boxes(f, "radio", options, {_form_value(f.value)}))
    current = _form_value(f.value)
    rows = [_tag("option", "Välj…", value="")]
    rows += [_tag("option", o.label, value=o.value, selected=o.value == current, disabled=o.disabled)
             for o in options]
    control = _tag("select", Markup("").join(rows), id=f.id, name=f.name, required=f.required,
                   aria_describedby=f.described_by, aria_invalid=_invalid(f))
    return _labelled(f, control)


def _checkboxes(f: _Field, options: list[_Option]) -> Markup:
    chosen = {_form_value(v) for v in f.value} if isinstance(f.value, list) else set()
    return _group(f, _boxes(f, "checkbox", options, chosen, required=False))


def _yes_no(f: _Field) -> Markup:
    options = [_Option("true", "Ja"), _Option("false", "Nej")]
    return _group(f, _boxes(f, "radio", options, {_form_value(f.value)}))


def _boxes(f: _Field, kind: str, options: list[_Option], chosen: set[str], required: bool | None = None) -> Markup:
    required = f.required if required is None else required
    rows = []
    for i, o in enumerate(options):
        box = _tag("input", None, type=kind, id=f"{f.id}-{i}", name=f.name, value=o.value,
                   checked=o.value in chosen, disabled=o.disabled, required=required,
                   aria_invalid=_invalid(f))
        rows.append(_tag("label", box + " " + escape(o.label), class_="choice"))
    return _tag("div", Markup("").join(rows), class_="choices")


def _group(f: _Field, body: Markup) -> Markup:
    legend = _tag("legend", _title(f))
    return _tag("fieldset", Markup("").join([legend, _help(f), _error(f), body]), id=f.id,
                class_=_classes(f, "choice-group"), data_field=f.path, aria_describedby=f.described_by)


def _object(f: _Field, errors: dict) -> Markup:
    values = f.value if isinstance(f.value, dict) else {}
    inner = _fields(f.schema, values, f.path + ".", f.prefix, errors)
    legend = _tag("legend", _title(f))
    return _tag("fieldset", Markup("").join([legend, _help(f), _error(f), *inner]), id=f.id,
                class_=_classes(f, "object"), data_field=f.path, aria_describedby=f.described_by)


def _readonly(f: _Field) -> Markup:
    """Shown as text, not as a control, so the browser never sends it back."""
    label_id = f.id + "-label"
    label = _tag("span", f.title, class_="form-label", id=label_id)
    value = _tag("div", _display(f.value, f.schema), class_="readonly-value", id=f.id)
    return _tag("div", Markup("").join([label, _help(f), _error(f), value]), class_=_classes(f, "readonly"),
                data_field=f.path, role="group", aria_labelledby=label_id, aria_describedby=f.described_by)


def _display(value: Any, schema: dict) -> Markup:
    if value is None or value == "" or value == []:
        return Markup(EMPTY)
    if isinstance(value, bool):
        return Markup("Ja" if value else "Nej")
    options = _options(schema)
    if options:
        titles = {o.value: o.label for o in options}
        if isinstance(value, list):
            return _list([titles.get(_form_value(v), _form_value(v)) for v in value])
        return escape(titles.get(_form_value(value), _form_value(value)))
    if isinstance(value, list):
        items = schema.get("items", {})
        if all(isinstance(v, dict) for v in value):
            return _table(value, items)
        return _list([_display(v, items) for v in value])
    if isinstance(value, dict):
        props = schema.get("properties", {})
        rows = [_tag("dt", props.get(k, {}).get("title", k)) + _tag("dd", _display(v, props.get(k, {})))
                for k, v in value.items()]
        return _tag("dl", Markup("").join(rows))
    if isinstance(value, (int, float)):
        return escape(_number(value))
    text = str(value)
    if schema.get("format") == "date-time" and _DATE_TIME.match(text):
        day, time = _DATE_TIME.match(text).groups()
        text = f"{day} kl. {time}"
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def _table(rows: list[dict], items: dict) -> Markup:
    """A read-only list of objects, e.g. ranked candidates; rows with conflicts are marked excluded."""
    props = items.get("properties") or {k: {} for row in rows for k in row}
    head = Markup("").join(_tag("th", p.get("title", k), scope="col") for k, p in props.items())
    body = []
    for row in rows:
        cells = []
        for key, prop in props.items():
            shown = _display(row.get(key), prop)
            if key == EXCLUDING_KEY and row.get(key):
                shown = _list(row[key], class_="conflicts excluded")
            cells.append(_tag("td", shown))
        body.append(_tag("tr", Markup("").join(cells), class_="excluded" if row.get(EXCLUDING_KEY) else None))
    return _tag("table", _tag("thead", _tag("tr", head)) + _tag("tbody", Markup("").join(body)),
                class_="readonly-list")


def _list(items: list, class_: str | None = None) -> Markup:
    return _tag("ul", Markup("").join(_tag("li", i) for i in items), class_=class_)


def _title(f: _Field) -> Markup:
    title = escape(f.title)
    if f.required:
        title += Markup(' <abbr class="required-mark" title="obligatoriskt">*</abbr>')
    return title


def _help(f: _Field) -> Markup:
    return _tag("p", f.schema["description"], class_="help", id=f.help_id) if f.help_id else Markup("")


def _error(f: _Field) -> Markup:
    if not f.errors:
        return Markup("")
    return _tag("p", " ".join(f.errors), class_="form-error", id=f.error_id, role="alert")


def _stray_errors(stray: list[tuple[str, list[str]]]) -> Markup:
    """Errors for no field on the page (the whole form, or a field the form lacks) still reach the user."""
    lines = [(f"{key}: " if key else "") + " ".join(messages) for key, messages in stray]
    return _tag("div", _list(lines), class_="form-error form-errors", role="alert")


def _classes(f: _Field, extra: str | None = None) -> str:
    return " ".join(c for c in ("form-field", extra, "has-error" if f.errors else None) if c)


def _invalid(f: _Field) -> str | None:
    return "true" if f.errors else None


def _field_paths(schema: dict, base: str = ""):
    for name, prop in schema.get("properties", {}).items():
        yield base + name
        if _is_object(prop) and not prop.get("x-readonly"):
            yield from _field_paths(prop, base + name + ".")


def _owner(key: str, paths: set[str]) -> str | None:
    """The deepest field an error path belongs to ('kids.0' belongs to 'kids')."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in paths:
            return candidate
    return None


def _tag(element: str, content: Any = None, /, **attrs) -> Markup:
    """One element; attribute values are escaped, True gives a bare attribute, None and False none."""
    rendered = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        rendered.append(f" {attr}" if value is True else f' {attr}="{escape(str(value))}"')
    opening = Markup(f"<{element}{''.join(rendered)}>")
    if content is None and element == "input":
        return opening
    return opening + escape("" if content is None else content) + Markup(f"</{element}>")


def _form_value(value: Any) -> str:
    """How a JSON value is written in an HTML value attribute (booleans as the yes/no radios send them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _local_date_time(value: Any) -> str:
    # <input type="datetime-local"> shows nothing for seconds-with-offset values; keep date and minutes.
    match = _DATE_TIME.match(str(value or ""))
    return f"{match.group(1)}T{match.group(2)}" if match else _form_value(value)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",")


# ---------------------------------------------------------------- parsing

def parse_submission(schema: dict, form, *, field_prefix: str = "") -> dict:
    """The submitted strings as JSON data for `schema`; read-only fields, unknown keys and csrf_token left out."""
    return _parse_object(schema, form, field_prefix)


def _parse_object(schema: dict, form, base: str) -> dict:
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-readonly"):
            continue
        key = base + name
        if _is_object(prop):
            value = _parse_object(prop, form, key + ".") or _OMIT
        elif "array" in _types(prop):
            value = _parse_array(prop, form, key)
        else:
            value = _parse_scalar(prop, form.get(key))
        if value is not _OMIT:
            data[name] = value
    return data


def _parse_array(schema: dict, form, key: str) -> Any:
    items = schema.get("items", {})
    if _options(items):
        # Unchecked boxes send nothing, so a missing key means "none chosen".
        raw = form.getlist(key)
    else:
        text = form.get(key)
        if text is None:
            return _OMIT
        raw = _text(text).split("\n")
    values = (_parse_scalar(items, r) for r in raw)
    return [v for v in values if v is not _OMIT and v != ""]


def _parse_scalar(schema: dict, raw: str | None) -> Any:
    if raw is None:
        return _OMIT
    text = _text(raw)
    types = _types(schema)
    if text == "":
        if "null" in types:
            return None
        if schema.get("default") == "" and "string" in types:
            return ""
        return _OMIT
    options = _options(schema)
    if options:
        consts = _option_consts(schema)
        if text in consts:
            return consts[text]
    return _convert(text, types)


def _option_consts(schema: dict) -> dict[str, Any]:
    if "oneOf" in schema:
        return {_form_value(o["const"]): o["const"] for o in schema["oneOf"]}
    return {_form_value(v): v for v in schema.get("enum", [])}


def _convert(text: str, types: list[str]) -> Any:
    """The first type the text reads as; otherwise the text itself, so validation can name the type error."""
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if ("integer" in types or "number" in types) and _INTEGER.fullmatch(text):
        return int(text)
    if "string" in types:
        return text
    if "integer" in types or "number" in types:
        number = _float(text)
        if number is not None and ("number" in types or number.is_integer()):
            return int(number) if "number" not in types else number
    return text


def _float(text: str) -> float | None:
    try:
        number = float(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _text(raw: str) -> str:
    # Browsers send textarea line breaks as CRLF.
    return str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()


# ---------------------------------------------------------------- schema helpers

def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return list(kind)
    if kind:
        return [kind]
    consts = [o.get("const") for o in schema.get("oneOf", []) if isinstance(o, dict)] + schema.get("enum", [])
    if consts and all(isinstance(c, str) for c in consts):
        return ["string"]
    return []


def _is_object(schema: dict) -> bool:
    return "object" in _types(schema) and "properties" in schema


def _may_be_empty(schema: dict) -> bool:
    """Required by the schema but fine left blank: default "" or null allowed."""
    return schema.get("default") == "" or "null" in _types(schema)
