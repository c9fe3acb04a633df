"""A bundle as the editor sends it (files, main file, note), read and checked before the engine
validates it, and the forms its user tasks name."""
from __future__ import annotations

import json

from flask import request
from flask_babel import gettext as _

from engine.bpmn.validation import BPMN_NS, CAMUNDA_NS, executable_process_ids
from engine.bpmn.xml import parse_xml
from engine.errors import ElementError, InvalidModel
from engine.runtime import default_forms
from web.modeler.blueprint import NOTE_LIMIT, body_limit, file_limit
from web.modeler.errors import BadBundle


def form_keys(xml: str, file_name: str) -> list[str]:
    """camunda:formKey of every user task of a BPMN file (none when it cannot be read)."""
    try:
        tree = parse_xml(xml, file_name)
    except InvalidModel:
        return []
    keys = {node.get(f"{{{CAMUNDA_NS}}}formKey") for node in tree.getroot().iter(f"{{{BPMN_NS}}}userTask")}
    return sorted(k for k in keys if k)


def store_form_text(key: str) -> str | None:
    store = default_forms()
    path = store.path_of(key) if hasattr(store, "path_of") else None
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def read_bundle() -> tuple[dict[str, str], str, str]:
    """{"files": {name: text}, "main_file": name, "note": str} from the request, or BadBundle."""
    if request.content_length is not None and request.content_length > body_limit():
        raise BadBundle(413, _("Begäran är för stor (högst %(limit)s byte).", limit=body_limit()))
    raw = request.get_data(cache=True)
    if len(raw) > body_limit():
        raise BadBundle(413, _("Begäran är för stor (högst %(limit)s byte).", limit=body_limit()))
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadBundle(400, _("Begäran är inte giltig JSON.")) from None
    if not isinstance(body, dict):
        raise BadBundle(400, _("Begäran måste vara ett JSON-objekt med files och main_file."))
    files, main_file, note = body.get("files"), body.get("main_file"), body.get("note", "")
    if not isinstance(files, dict) or not files:
        raise BadBundle(400, _("files måste vara ett objekt med minst en fil (namn: text)."))
    for name, text in files.items():
        if not isinstance(text, str) or not name or len(name) > 300 or "\0" in name or "\0" in text:
            raise BadBundle(400, _("Filen %(name)s: varje fil måste ha ett namn och vara text.", name=name[:300]))
    if not isinstance(main_file, str) or main_file not in files:
        raise BadBundle(400, _("main_file måste vara namnet på en av filerna."))
    if not isinstance(note, str):
        raise BadBundle(400, _("note måste vara text."))
    for name, text in files.items():
        size = len(text.encode("utf-8"))
        if size > file_limit():
            raise BadBundle(413, _("Filen %(name)s är för stor (%(size)s byte; högst %(limit)s).",
                                   name=name, size=size, limit=file_limit()),
                            [ElementError(None, None, _("Filen är större än gränsen på %(limit)s byte.",
                                                        limit=file_limit()), name)])
    return files, main_file, note.strip()[:NOTE_LIMIT]


def key_problem(key: str, files: dict[str, str], main_file: str) -> ElementError | None:
    """The main file must be this process (its id is the key in the address)."""
    try:
        ids = executable_process_ids(parse_xml(files[main_file], main_file))
    except InvalidModel:
        return None  # validation reports why the file cannot be read
    if len(ids) == 1 and ids[0] != key:
        return ElementError(ids[0], None, _("Processens id är '%(found)s' men sidan gäller '%(key)s': byt "
                                            "processens id till '%(key)s'.", found=ids[0], key=key), main_file)
    return None


def as_dicts(errors: list[ElementError]) -> list[dict]:
    return [e.as_dict() for e in errors]
