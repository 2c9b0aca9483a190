"""Strip what Word fetches from elsewhere when it opens a package clm writes.

A counterparty's .docx may carry relationships to outside resources: a remote template
(``w:attachedTemplate`` to http or a UNC path, which Word downloads on open and which leaks the
reader's NTLM hash or tracks them), linked pictures (``a:blip r:link``), linked OLE objects,
frames and sub-documents, and ``file:`` hyperlinks. A redline is written into the
counterparty's own package, so every document clm generates goes through
:func:`strip_external_relationships` last. Web and mail hyperlinks (http, https, mailto) stay:
they are part of the contract's text and Word follows them only when clicked.

Pure: bytes in, bytes out (zipfile and lxml, no Flask, no database).
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree

_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HYPERLINK_TYPE = _OFFICE_REL + "/hyperlink"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Hyperlink targets that stay.
SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")
#: Elements that exist only to point at an external resource: removed with their relationship.
_REMOVE_ELEMENT = {f"{{{_W}}}attachedTemplate", f"{{{_W}}}subDoc"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _source_part(rels_name: str) -> str | None:
    """Return the part a .rels file describes ("word/_rels/document.xml.rels" -> "word/document.xml")."""
    folder, name = posixpath.split(rels_name)
    if posixpath.basename(folder) != "_rels" or not name.endswith(".rels"):
        return None
    base = posixpath.dirname(folder)
    part = name[: -len(".rels")]
    return posixpath.join(base, part) if part else None


def _kept(rel: etree._Element) -> bool:
    if rel.get("TargetMode") != "External":
        return True
    target = (rel.get("Target") or "").strip().lower()
    return rel.get("Type") == _HYPERLINK_TYPE and target.startswith(SAFE_LINK_SCHEMES)


def _drop_references(part: bytes, removed: set[str]) -> bytes:
    root = etree.fromstring(part, _PARSER)
    for element in list(root.iter()):
        for name, value in list(element.attrib.items()):
            if not name.startswith(f"{{{_OFFICE_REL}}}") or value not in removed:
                continue
            if element.tag in _REMOVE_ELEMENT and element.getparent() is not None:
                element.getparent().remove(element)
                break
            del element.attrib[name]  # a hyperlink keeps its text; a linked picture its embedded copy, if any
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def strip_external_relationships(package: bytes) -> bytes:
    """Return ``package`` (an OOXML zip) without relationships to outside resources, and without
    the references to them; the same bytes when it has none."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile:
        return package
    with zin:
        names = zin.namelist()
        changed: dict[str, bytes] = {}
        for name in names:
            if not name.endswith(".rels"):
                continue
            root = etree.fromstring(zin.read(name), _PARSER)
            removed = {rel.get("Id", "") for rel in root.findall(f"{{{_PKG_REL}}}Relationship") if not _kept(rel)}
            if not removed:
                continue
            for rel in root.findall(f"{{{_PKG_REL}}}Relationship"):
                if rel.get("Id") in removed:
                    root.remove(rel)
            changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            source = _source_part(name)
            if source is not None and source in names:
                changed[source] = _drop_references(changed.get(source) or zin.read(source), removed)
        if not changed:
            return package
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, changed.get(info.filename) or zin.read(info.filename),
                              compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
