"""Safe XML parsing: no entities, no DTD, no network, and no <!DOCTYPE at all."""
from __future__ import annotations

import re

from lxml import etree

from engine.errors import ElementError, InvalidModel

MAX_MODEL_BYTES = 2 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=False)


def parse_xml(content: bytes | str, file_name: str = "", max_bytes: int = MAX_MODEL_BYTES) -> etree._ElementTree:
    """Parse model XML or raise InvalidModel with a plain reason (too big, DOCTYPE, malformed)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if len(data) > max_bytes:
        raise InvalidModel(
            f"{file_name or 'filen'} är för stor ({len(data)} byte; högst {max_bytes})",
            [ElementError(None, None, f"Filen är större än gränsen på {max_bytes} byte.", file_name)])
    match = _DOCTYPE.search(data) or _ENTITY.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise InvalidModel(
            "DOCTYPE och entiteter är inte tillåtna i modellfiler",
            [ElementError(None, line, "<!DOCTYPE> och <!ENTITY> är inte tillåtna i modellfiler.", file_name)])
    try:
        return etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise InvalidModel(
            f"Felaktig XML i {file_name or 'filen'}: {exc.msg}",
            [ElementError(None, line, f"Felaktig XML: {exc.msg}", file_name)]) from None


def line_of(tree: etree._ElementTree, element_id: str | None) -> int | None:
    """The source line of the element with this id, or None."""
    if not element_id:
        return None
    found = tree.xpath("//*[@id=$i]", i=element_id)
    return found[0].sourceline if found else None
