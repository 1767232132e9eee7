"""Parse uploaded XML with entity resolution and network access off."""
from __future__ import annotations

from lxml import etree

from ..errors import SpecProblem

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                       huge_tree=False, remove_comments=False)


def parse_xml(data: bytes, filename: str) -> tuple[etree._Element | None, list[SpecProblem]]:
    """The document root, or the reasons it is refused (malformed, or carrying a DTD at all).

    A DOCTYPE is refused outright: BPMN and DMN never need one, and it is how XXE and
    entity-expansion ("billion laughs") payloads arrive.
    """
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return None, [SpecProblem(filename, None, "a DOCTYPE or ENTITY declaration is not allowed (XXE / entity expansion)",
                                  code="doctype")]
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        return None, [SpecProblem(filename, None, f"malformed XML: {exc.msg}", line=exc.lineno, code="malformed")]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None, [SpecProblem(filename, None, "a DOCTYPE is not allowed", code="doctype")]
    return root, []
