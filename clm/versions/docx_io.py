"""Write a Redline as a .docx with native tracked changes in every part of the package.

The output is NEW's own package. Each story (the body, notes, comments, headers and footers,
text boxes) gets the redline's revisions where it changed: ``w:ins``/``w:del`` (moves as
``w:moveFrom``/``w:moveTo``), inserted and deleted paragraph marks and table rows, and property
changes (``w:rPrChange``, ``w:pPrChange``, ``w:tblPrChange``, ``w:trPrChange``, ``w:tcPrChange``,
``w:sectPrChange``). What only OLD has (deleted text, rows, tables, images, fields, notes,
comments) is copied from OLD's package with what it needs (images and links, styles, list
definitions), so rejecting every change gives OLD back and accepting every change gives NEW.
Revision ids are unique across the whole package.

A NEW file that carries tracked changes of its own is first taken as its accept-all view (what
the file means); a change of the redline that the file itself tracked keeps that change's
author and date.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from itertools import pairwise

from lxml import etree

from clm.documents import (
    CT_NS,
    M_NS,
    MC_NS,
    O_NS,
    PR_NS,
    R_NS,
    W_NS,
    WP_NS,
    BlockLayout,
    ControlLayout,
    Document,
    Look,
    Package,
    Paragraph,
    ParagraphLayout,
    Reader,
    StoryLayout,
    TableLayout,
    Tracked,
    canon,
    qn,
    read_revisions,
)
from clm.errors import InvalidInput
from clm.versions.diff import (
    BlockDiff,
    ControlDiff,
    Credits,
    Op,
    ParagraphDiff,
    Redline,
    Segment,
    StoryDiff,
    TableDiff,
    paragraph_blocks,
)

__all__ = ["accept_all", "read_revisions", "write_tracked"]

Format = tuple[bool, bool, bool]

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_P, _R, _PPR, _RPR, _T, _DEL_TEXT = qn("w:p"), qn("w:r"), qn("w:pPr"), qn("w:rPr"), qn("w:t"), qn("w:delText")
_INSTR, _DEL_INSTR = qn("w:instrText"), qn("w:delInstrText")
_INS, _DEL, _MOVE_FROM, _MOVE_TO = qn("w:ins"), qn("w:del"), qn("w:moveFrom"), qn("w:moveTo")
_ID, _AUTHOR, _DATE, _VAL = qn("w:id"), qn("w:author"), qn("w:date"), qn("w:val")
_TBL, _TR, _TC, _TR_PR, _TC_PR, _TBL_PR = qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:trPr"), qn("w:tcPr"), qn("w:tblPr")
_SDT, _SDT_CONTENT, _SECT_PR, _BODY = qn("w:sdt"), qn("w:sdtContent"), qn("w:sectPr"), qn("w:body")
_TXBX = qn("w:txbxContent")
_FMT_TAGS = (qn("w:b"), qn("w:i"), qn("w:u"))
_SPECIAL = re.compile(r"([\t\v])")
#: pPr children that must stay after w:rPr (schema order of CT_PPr).
_PPR_TAIL = {qn("w:sectPr"), qn("w:pPrChange")}
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
#: Containers of runs inside a paragraph: a revision wraps their runs, never them.
_RUN_CONTAINERS = {qn("w:hyperlink"), qn("w:fldSimple"), qn("w:smartTag"), qn("w:customXml"), qn("w:bdo"),
                   qn("w:dir"), _SDT_CONTENT}
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = {"footnotes": "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
       "endnotes": "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
       "comments": "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml",
       "numbering": "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml",
       "styles": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
       "header": "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml",
       "footer": "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"}


# ---------------------------------------------------------------------------------------------
# accept all: what a file with tracked changes means
# ---------------------------------------------------------------------------------------------

_REMOVED_WITH_CONTENT = {_DEL, _MOVE_FROM}
_UNWRAPPED = {_INS, _MOVE_TO}
_PROPERTY_CHANGES = {qn(f"w:{x}") for x in ("rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange",
                                             "tcPrChange", "tblGridChange", "numberingChange", "cellIns",
                                             "cellMerge", "moveFromRangeStart", "moveFromRangeEnd",
                                             "moveToRangeStart", "moveToRangeEnd", "customXmlDelRangeStart",
                                             "customXmlDelRangeEnd", "customXmlInsRangeStart",
                                             "customXmlInsRangeEnd", "customXmlMoveFromRangeStart",
                                             "customXmlMoveFromRangeEnd", "customXmlMoveToRangeStart",
                                             "customXmlMoveToRangeEnd")}
_TRACKED = re.compile(rb"<(?:\w+:)?(?:ins|del|moveFrom|moveTo|rPrChange|pPrChange|sectPrChange|tblPrChange|"
                      rb"trPrChange|tcPrChange|tblGridChange|numberingChange|cellIns|cellDel|cellMerge)[\s/>]")


def has_tracked_changes(xml: bytes) -> bool:
    """Return whether a part's XML may hold tracked changes (a quick byte search)."""
    return _TRACKED.search(xml) is not None


def accept_all(root: etree._Element) -> None:
    """Accept every tracked change under ``root`` in place, as Word's "Accept All" does.

    Inserted content stays, deleted content goes, a deleted paragraph mark joins its text to
    the next paragraph of the same story, deleted rows and cells go, and property changes are
    dropped (the current properties are the accepted ones).
    """
    # Rows and cells first: their paragraphs go with them and join nothing.
    for trpr in list(root.iter(_TR_PR)):
        if trpr.find(_DEL) is not None or trpr.find(_MOVE_FROM) is not None:
            tr = trpr.getparent()
            if tr is not None and tr.getparent() is not None:
                tr.getparent().remove(tr)
    for mark in list(root.iter(qn("w:cellDel"))):
        tc = mark.getparent().getparent() if mark.getparent() is not None else None
        if tc is not None and tc.tag == _TC and tc.getparent() is not None:
            tc.getparent().remove(tc)
    marks = []
    for el in list(root.iter(_DEL, _MOVE_FROM, _INS, _MOVE_TO)):
        parent = el.getparent()
        if parent is None:
            continue
        if parent.tag == _RPR or parent.tag == _TR_PR or parent.tag == f"{{{M_NS}}}rPr" or \
                parent.tag == qn("w:numberingChange"):
            owner = parent.getparent()
            if parent.tag == _RPR and owner is not None and owner.tag == _PPR:
                if el.tag in _REMOVED_WITH_CONTENT:
                    marks.append(owner.getparent())
                parent.remove(el)
            elif el.tag in _REMOVED_WITH_CONTENT and parent.tag != _TR_PR and owner is not None \
                    and owner.getparent() is not None:
                owner.getparent().remove(owner)  # a math run or a run marked deleted
            else:
                parent.remove(el)
        elif el.tag in _REMOVED_WITH_CONTENT:
            parent.remove(el)
        else:
            _unwrap(el)
    for el in list(root.iter(*_PROPERTY_CHANGES)):
        if el.getparent() is not None:
            el.getparent().remove(el)
    _join_marks(root, [m for m in marks if m is not None])


def _unwrap(el: etree._Element) -> None:
    """Replace ``el`` by its children (keeping the text that follows it)."""
    parent = el.getparent()
    if parent is None:
        return
    index = parent.index(el)
    for k, child in enumerate(list(el)):
        parent.insert(index + k, child)
    parent.remove(el)


def _story_paragraphs(root: etree._Element) -> list[etree._Element]:
    """Return the paragraphs of ``root``'s story in order, text boxes' own paragraphs left out."""
    out = []
    for p in root.iter(_P):
        box = next(p.iterancestors(_TXBX), None)
        if box is None or box is root or (root.tag == _TXBX and box is root):
            out.append(p)
    return out


def _join_marks(root: etree._Element, joined: list[etree._Element]) -> None:
    """Move the text of each paragraph whose mark was deleted into the next paragraph."""
    if not joined:
        return
    stories: dict[int, list[etree._Element]] = {}
    for p in reversed(joined):
        box = next(p.iterancestors(_TXBX), None)
        story_root = box if box is not None else root
        paras = stories.get(id(story_root))
        if paras is None:
            paras = stories[id(story_root)] = _story_paragraphs(story_root)
        try:
            k = paras.index(p)
        except ValueError:
            continue
        if k + 1 >= len(paras) or p.getparent() is None:
            continue  # the last paragraph keeps its text as a paragraph of its own
        nxt = paras[k + 1]
        content = [c for c in p if c.tag != _PPR]
        ppr = nxt.find(_PPR)
        at = 1 if ppr is not None else 0
        for n, c in enumerate(content):
            nxt.insert(at + n, c)
        p.getparent().remove(p)


# ---------------------------------------------------------------------------------------------
# the output package
# ---------------------------------------------------------------------------------------------


class _Output(Package):
    """NEW's package being turned into the redline: parsed parts are changed in place and written
    back; parts and relationships can be added."""

    def __init__(self, data: bytes) -> None:
        self.added: dict[str, bytes] = {}
        self.changed: set[str] = set()
        self._ct: etree._Element | None = None
        super().__init__(data)

    # reading sees added parts too
    def read(self, name: str) -> bytes:
        if name in self.added:
            return self.added[name]
        return super().read(name)

    def root(self, name: str) -> etree._Element:
        """Return a part's root to change it (it is written back)."""
        self.changed.add(name)
        return self.xml(name)

    def content_types(self) -> etree._Element:
        if self._ct is None:
            self._ct = etree.fromstring(self.read("[Content_Types].xml"))
        return self._ct

    def content_type_of(self, name: str) -> str | None:
        return _type_in(self.content_types(), name)

    def add_part(self, name: str, data: bytes | etree._Element, content_type: str | None) -> None:
        """Add a part (bytes, or a root written back at the end) with its content type."""
        self.names.add(name)
        if isinstance(data, bytes):
            self.added[name] = data
        else:
            self._xml[name] = data
            self.changed.add(name)
            self.added[name] = b""
        if content_type and self.content_type_of(name) != content_type:
            o = etree.SubElement(self.content_types(), f"{{{CT_NS}}}Override")
            o.set("PartName", "/" + name)
            o.set("ContentType", content_type)

    def free_name(self, name: str) -> str:
        """Return ``name`` or, if taken, a free name beside it."""
        if name not in self.names:
            return name
        folder, base = posixpath.split(name)
        stem, dot, ext = base.rpartition(".")
        k = 1
        while True:
            candidate = posixpath.join(folder, f"{stem or base}-old{k}{dot}{ext if dot else ''}")
            if candidate not in self.names:
                return candidate
            k += 1

    def add_rel(self, part: str, rel_type: str, target: str, external: bool) -> str:
        """Return the id of a relationship of ``part`` to ``target`` (added if missing)."""
        rels = self.rels(part)
        for rid, rel in rels.items():
            if rel.type == rel_type and rel.target == target and rel.external == external:
                return rid
        from clm.documents import Relationship

        n = 1
        while f"rIdClm{n}" in rels:
            n += 1
        rid = f"rIdClm{n}"
        rels[rid] = Relationship(rel_type, target, external)
        self.changed.add(self._rels_name(part))
        return rid

    @staticmethod
    def _rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def _rels_xml(self, part: str) -> bytes:
        root = etree.Element(f"{{{PR_NS}}}Relationships", nsmap={None: PR_NS})
        folder = posixpath.dirname(part)
        for rid, rel in self.rels(part).items():
            el = etree.SubElement(root, f"{{{PR_NS}}}Relationship")
            el.set("Id", rid)
            el.set("Type", rel.type)
            if rel.external:
                el.set("Target", rel.target)
                el.set("TargetMode", "External")
            else:
                el.set("Target", posixpath.relpath(rel.target, folder or "."))
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))

    def save(self) -> bytes:
        """Return the package with every change written."""
        out: dict[str, bytes] = {}
        rel_parts = {self._rels_name(p): p for p in self._rels}
        for name in self.changed:
            if name in rel_parts:
                out[name] = self._rels_xml(rel_parts[name])
            elif name in self._xml:
                out[name] = etree.tostring(self._xml[name], xml_declaration=True, encoding="UTF-8", standalone=True)
        if self._ct is not None:
            out["[Content_Types].xml"] = etree.tostring(self._ct, xml_declaration=True, encoding="UTF-8",
                                                        standalone=True)
        buf = io.BytesIO()
        written = set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in self.zip.infolist():
                name = info.filename
                data = out.get(name)
                zout.writestr(info, data if data is not None else self.zip.read(name), compress_type=zipfile.ZIP_DEFLATED)
                written.add(name)
            for name in sorted(set(out) | set(self.added)):
                if name in written:
                    continue
                data = out.get(name)
                zout.writestr(name, data if data is not None else self.added[name])
        return buf.getvalue()


def _blank_package() -> bytes:
    """Return the bytes of python-docx's default (empty) document."""
    import docx  # imported here: only text-to-text redlines need it

    buf = io.BytesIO()
    docx.Document().save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# copying what only OLD has into the output
# ---------------------------------------------------------------------------------------------


class _Merger:
    """Copies OLD's elements into the output: relationships, parts, styles, lists and ids follow."""

    def __init__(self, out: _Output, old: Package | None) -> None:
        self.out = out
        self.old = old
        self.parts: dict[str, str] = {}  # OLD part -> output part
        self.nums: dict[str, str] = {}  # OLD numId -> output numId
        self.styles_done: set[str] = set()
        self.bookmarks: dict[str, str] = {}
        self.ids = {"bookmark": self._max_id(qn("w:bookmarkStart")), "docPr": self._max_doc_pr()}
        #: OLD note / comment id -> output id, per kind, for references copied from OLD
        self.refs: dict[str, dict[str, str]] = {"footnote": {}, "endnote": {}, "comment": {}}
        self.copied_notes: dict[str, etree._Element] = {}  # OLD story id -> its copy in the output

    def _story_roots(self) -> list[etree._Element]:
        roots = []
        for name in [self.out.main, *self.out.related(self.out.main, "header"),
                     *self.out.related(self.out.main, "footer"), *self.out.related(self.out.main, "footnotes"),
                     *self.out.related(self.out.main, "endnotes"), *self.out.related(self.out.main, "comments")]:
            try:
                roots.append(self.out.xml(name))
            except InvalidInput:
                continue
        return roots

    def _max_id(self, tag: str) -> int:
        best = 0
        for root in self._story_roots():
            for el in root.iter(tag):
                v = el.get(_ID) or ""
                if v.lstrip("-").isdigit():
                    best = max(best, int(v))
        return best

    def _max_doc_pr(self) -> int:
        best = 0
        for root in self._story_roots():
            for el in root.iter(f"{{{WP_NS}}}docPr"):
                v = el.get("id") or ""
                if v.isdigit():
                    best = max(best, int(v))
        return best

    def copy(self, el: etree._Element, old_part: str, out_part: str) -> etree._Element:
        """Return a copy of OLD's ``el`` fit for the output part ``out_part``."""
        c = copy.deepcopy(el)
        if self.old is None:
            return c
        for node in c.iter():
            if not isinstance(node.tag, str):
                continue
            for k in (f"{{{_W14}}}paraId", f"{{{_W14}}}textId"):
                if k in node.attrib:
                    del node.attrib[k]
            for k, v in list(node.attrib.items()):
                if k.startswith(f"{{{R_NS}}}") or k == f"{{{O_NS}}}relid":
                    new = self.rel(old_part, v, out_part)
                    if new is not None:
                        node.set(k, new)
            tag = node.tag
            if tag in (qn("w:bookmarkStart"), qn("w:bookmarkEnd")):
                old_id = node.get(_ID) or ""
                if old_id not in self.bookmarks:
                    self.ids["bookmark"] += 1
                    self.bookmarks[old_id] = str(self.ids["bookmark"])
                node.set(_ID, self.bookmarks[old_id])
            elif tag == f"{{{WP_NS}}}docPr":
                self.ids["docPr"] += 1
                node.set("id", str(self.ids["docPr"]))
            elif tag in (qn("w:footnoteReference"), qn("w:endnoteReference"), qn("w:commentReference"),
                         qn("w:commentRangeStart"), qn("w:commentRangeEnd")):
                kind = "footnote" if "footnote" in tag else "endnote" if "endnote" in tag else "comment"
                new = self.note(kind, node.get(_ID) or "")
                if new is not None:
                    node.set(_ID, new)
            elif tag in (qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle")):
                self.style(node.get(_VAL) or "")
            elif tag == qn("w:numId"):
                node.set(_VAL, self.num(node.get(_VAL) or ""))
        return c

    # -- relationships and parts -------------------------------------------------------------

    def rel(self, old_part: str, rid: str, out_part: str) -> str | None:
        assert self.old is not None
        rel = self.old.rels(old_part).get(rid)
        if rel is None:
            return None
        if rel.external:
            return self.out.add_rel(out_part, rel.type, rel.target, True)
        target = self.part(rel.target)
        return self.out.add_rel(out_part, rel.type, target, False) if target else None

    def part(self, name: str) -> str | None:
        """Return the output name of OLD's part ``name``, copying it (and what it refers to)."""
        assert self.old is not None
        if name in self.parts:
            return self.parts[name]
        if name not in self.old.names:
            return None
        data = self.old.read(name)
        if name in self.out.names and name not in self.out.added:
            try:
                if self.out.read(name) == data:
                    self.parts[name] = name
                    return name
            except InvalidInput:
                pass
        target = self.out.free_name(name)
        self.parts[name] = target
        ctype = _content_type(self.old, name)
        self.out.add_part(target, data, ctype)
        for rid, rel in self.old.rels(name).items():
            if rel.external:
                self.out.rels(target)[rid] = rel
            else:
                inner = self.part(rel.target)
                if inner:
                    from clm.documents import Relationship

                    self.out.rels(target)[rid] = Relationship(rel.type, inner, False)
            self.out.changed.add(self.out._rels_name(target))
        return target

    # -- styles and lists --------------------------------------------------------------------

    def _styles_part(self, pkg: Package) -> str | None:
        found = pkg.related(pkg.main, "styles")
        return found[0] if found else ("word/styles.xml" if "word/styles.xml" in pkg.names else None)

    def style(self, sid: str) -> None:
        """Copy OLD's style ``sid`` (and the styles it is based on) when the output lacks it."""
        if not sid or sid in self.styles_done or self.old is None:
            return
        self.styles_done.add(sid)
        old_name, out_name = self._styles_part(self.old), self._styles_part(self.out)
        if old_name is None or out_name is None:
            return
        try:
            out_root = self.out.xml(out_name)
            old_root = self.old.xml(old_name)
        except InvalidInput:
            return
        if any(s.get(qn("w:styleId")) == sid for s in out_root.iterchildren(qn("w:style"))):
            return
        found = next((s for s in old_root.iterchildren(qn("w:style")) if s.get(qn("w:styleId")) == sid), None)
        if found is None:
            return
        out_root.append(copy.deepcopy(found))
        self.out.changed.add(out_name)
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = found.find(qn(tag))
            if ref is not None:
                self.style(ref.get(_VAL) or "")

    def num(self, num_id: str) -> str:
        """Return the output's numId for OLD's list ``num_id`` (its definition copied if needed)."""
        if self.old is None or num_id in ("", "0"):
            return num_id
        if num_id in self.nums:
            return self.nums[num_id]
        old_name = next(iter(self.old.related(self.old.main, "numbering")), None)
        if old_name is None:
            self.nums[num_id] = num_id
            return num_id
        try:
            old_root = self.old.xml(old_name)
        except InvalidInput:
            return num_id
        old_num = next((n for n in old_root.iterchildren(qn("w:num")) if n.get(qn("w:numId")) == num_id), None)
        if old_num is None:
            self.nums[num_id] = num_id
            return num_id
        old_abs = _abstract(old_root, old_num)
        out_name = next(iter(self.out.related(self.out.main, "numbering")), None)
        if out_name is None:
            out_name = self.out.free_name("word/numbering.xml")
            root = etree.Element(qn("w:numbering"), nsmap={"w": W_NS})
            self.out.add_part(out_name, root, _CT["numbering"])
            self.out.add_rel(self.out.main, _REL_TYPE + "numbering", out_name, False)
        out_root = self.out.root(out_name)
        same = next((n for n in out_root.iterchildren(qn("w:num")) if n.get(qn("w:numId")) == num_id), None)
        if same is not None and old_abs is not None and \
                _canon_abstract(_abstract(out_root, same)) == _canon_abstract(old_abs):
            self.nums[num_id] = num_id
            return num_id
        ids = [int(n.get(qn("w:numId"), "0")) for n in out_root.iterchildren(qn("w:num"))
               if (n.get(qn("w:numId")) or "").isdigit()]
        abs_ids = [int(a.get(qn("w:abstractNumId"), "0")) for a in out_root.iterchildren(qn("w:abstractNum"))
                   if (a.get(qn("w:abstractNumId")) or "").isdigit()]
        new_abs_id = str(max(abs_ids, default=-1) + 1)
        new_num_id = str(max(ids, default=0) + 1)
        if old_abs is not None:
            a = copy.deepcopy(old_abs)
            a.set(qn("w:abstractNumId"), new_abs_id)
            for nsid in a.findall(qn("w:nsid")):
                a.remove(nsid)
            # abstractNum elements come before every num element.
            first_num = out_root.find(qn("w:num"))
            if first_num is not None:
                first_num.addprevious(a)
            else:
                out_root.append(a)
        n = copy.deepcopy(old_num)
        n.set(qn("w:numId"), new_num_id)
        ref = n.find(qn("w:abstractNumId"))
        if ref is not None:
            ref.set(_VAL, new_abs_id)
        cleanup = out_root.find(qn("w:numIdMacAtCleanup"))
        if cleanup is not None:
            cleanup.addprevious(n)
        else:
            out_root.append(n)
        self.nums[num_id] = new_num_id
        return new_num_id

    # -- notes and comments --------------------------------------------------------------------

    def note(self, kind: str, old_id: str) -> str | None:
        """Return the output id of OLD's note (comment) ``old_id``, copying it into the output."""
        if self.old is None:
            return None
        done = self.refs[kind]
        if old_id in done:
            return done[old_id]
        rel = {"footnote": "footnotes", "endnote": "endnotes", "comment": "comments"}[kind]
        old_part = next(iter(self.old.related(self.old.main, rel)), None)
        if old_part is None:
            return None
        try:
            old_root = self.old.xml(old_part)
        except InvalidInput:
            return None
        found = next((n for n in old_root.iterchildren(qn(f"w:{kind}")) if n.get(_ID) == old_id), None)
        if found is None:
            return None
        out_part = next(iter(self.out.related(self.out.main, rel)), None)
        if out_part is None:
            out_part = self.out.free_name(f"word/{rel}.xml")
            root = etree.Element(qn(f"w:{rel}"), nsmap={"w": W_NS, "r": R_NS})
            if kind != "comment":  # notes parts start with Word's two separators
                for k, t in ((-1, "separator"), (0, "continuationSeparator")):
                    sep = etree.SubElement(root, qn(f"w:{kind}"))
                    sep.set(qn("w:type"), t)
                    sep.set(_ID, str(k))
                    r = etree.SubElement(etree.SubElement(sep, _P), _R)
                    etree.SubElement(r, qn(f"w:{t}"))
            self.out.add_part(out_part, root, _CT[rel])
            self.out.add_rel(self.out.main, _REL_TYPE + rel, out_part, False)
        out_root = self.out.root(out_part)
        ids = [int(n.get(_ID)) for n in out_root.iterchildren(qn(f"w:{kind}")) if (n.get(_ID) or "").lstrip("-").isdigit()]
        new_id = str(max(ids, default=0) + 1)
        done[old_id] = new_id
        c = self.copy(found, old_part, out_part)
        c.set(_ID, new_id)
        out_root.append(c)
        self.copied_notes[f"{kind}:{old_id}"] = c
        return new_id


def _abstract(root: etree._Element, num: etree._Element) -> etree._Element | None:
    ref = num.find(qn("w:abstractNumId"))
    aid = ref.get(_VAL) if ref is not None else None
    return next((a for a in root.iterchildren(qn("w:abstractNum")) if a.get(qn("w:abstractNumId")) == aid), None)


def _canon_abstract(a: etree._Element | None) -> str:
    return canon(a, {qn("w:nsid"), qn("w:tmpl")}) if a is not None else ""


def _content_type(pkg: Package, name: str) -> str | None:
    try:
        ct = etree.fromstring(pkg.read("[Content_Types].xml"))
    except (etree.XMLSyntaxError, InvalidInput):
        return None
    return _type_in(ct, name)


def _type_in(ct: etree._Element, name: str) -> str | None:
    """Return the content type [Content_Types].xml gives a part (by name, else by extension)."""
    for o in ct.iterchildren(f"{{{CT_NS}}}Override"):
        if (o.get("PartName") or "").lstrip("/") == name:
            return str(o.get("ContentType") or "") or None
    ext = name.rpartition(".")[2].lower()
    for d in ct.iterchildren(f"{{{CT_NS}}}Default"):
        if (d.get("Extension") or "").lower() == ext:
            return str(d.get("ContentType") or "") or None
    return None


# ---------------------------------------------------------------------------------------------
# run properties
# ---------------------------------------------------------------------------------------------

#: Schema order of w:rPr children (CT_RPr); Word rejects files with children out of order.
_RPR_ORDER = {qn(f"w:{x}"): k for k, x in enumerate((
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
    "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
    "em", "lang", "eastAsianLayout", "specVanish", "oMath", "rPrChange"))}
_REVISION_MARKS = {_INS, _DEL, _MOVE_FROM, _MOVE_TO, qn("w:rPrChange")}


def _copy_rpr(template: etree._Element | None) -> etree._Element | None:
    """Return a copy of a run's w:rPr without the revision marks it may carry."""
    if template is None:
        return None
    rpr = copy.deepcopy(template)
    for c in list(rpr):
        if c.tag in _REVISION_MARKS or not isinstance(c.tag, str):
            rpr.remove(c)
    return rpr


def _insert_ordered(rpr: etree._Element, child: etree._Element) -> None:
    rank = _RPR_ORDER.get(child.tag, len(_RPR_ORDER))
    for k, c in enumerate(rpr):
        if _RPR_ORDER.get(c.tag, len(_RPR_ORDER)) > rank:
            rpr.insert(k, child)
            return
    rpr.append(child)


def _force_format(rpr: etree._Element, fmt: Format) -> None:
    """Set bold/italic/underline of a copied w:rPr to ``fmt``, keeping its other properties."""
    for tag in (*_FMT_TAGS, qn("w:bCs"), qn("w:iCs")):
        for c in rpr.findall(tag):
            rpr.remove(c)
    styled = rpr.find(qn("w:rStyle")) is not None
    for tag, on in zip(_FMT_TAGS, fmt, strict=True):
        if on or styled:  # "off" only needs saying when a character style could turn it on
            el = etree.Element(tag)
            if tag == _FMT_TAGS[2]:
                el.set(_VAL, "single" if on else "none")
            elif not on:
                el.set(_VAL, "0")
            _insert_ordered(rpr, el)


def _format_rpr(fmt: Format) -> etree._Element | None:
    if not any(fmt):
        return None
    rpr = etree.Element(_RPR)
    _force_format(rpr, fmt)
    return rpr


def _ensure_ppr(p: etree._Element) -> etree._Element:
    ppr = p.find(_PPR)
    if ppr is None:
        ppr = etree.Element(_PPR)
        p.insert(0, ppr)
    return ppr


def _deleted(el: etree._Element) -> None:
    """Turn the text of copied runs into deleted text (w:t -> w:delText, field codes likewise)."""
    for node in el.iter(_T, _INSTR):
        node.tag = _DEL_TEXT if node.tag == _T else _DEL_INSTR


# ---------------------------------------------------------------------------------------------
# sources: where the runs and atoms of a paragraph come from
# ---------------------------------------------------------------------------------------------


class _Source:
    """One paragraph of OLD or NEW as the writer copies from it: text with its run properties,
    and atoms with their elements. From the package's layout when there is one, else from the
    Document's runs (a text file, or a layout that did not match)."""

    def __init__(self, para: Paragraph, layout: ParagraphLayout | None = None, story: StoryLayout | None = None,
                 part: str = "", old: bool = False) -> None:
        self.para = para
        self.layout = layout
        self.story = story
        self.part = part
        self.old = old
        self._atoms: list[int] | None = None

    def text(self, start: int, end: int) -> list[tuple[str, etree._Element | None, Format | None]]:
        """Return the text ``[start, end)`` as pieces: (text, w:rPr to copy or None, format)."""
        out: list[tuple[str, etree._Element | None, Format | None]] = []
        if self.layout is None:
            pos = 0
            for r in self.para.runs:
                a, b = max(start, pos), min(end, pos + len(r.text))
                if a < b:
                    out.append((r.text[a - pos:b - pos], None, r.format))
                pos += len(r.text)
            return out
        pos = 0
        for text, look, _, rpr, _, atom in self.layout.pieces:
            if atom is None:
                a, b = max(start, pos), min(end, pos + len(text))
                if a < b:
                    out.append((text[a - pos:b - pos], rpr, (look[0], look[1], look[2])))
            pos += len(text)
            if pos >= end and atom is None:
                break
        return out

    def looks(self, start: int, end: int) -> list[tuple[int, int, Look, etree._Element | None]]:
        """Return (start, end, look, w:rPr) spans of the text ``[start, end)`` (absolute offsets)."""
        out: list[tuple[int, int, Look, etree._Element | None]] = []
        if self.layout is None:
            pos = 0
            for r in self.para.runs:
                a, b = max(start, pos), min(end, pos + len(r.text))
                if a < b:
                    out.append((a, b, r.look, None))
                pos += len(r.text)
            return out
        pos = 0
        for text, look, _, rpr, _, atom in self.layout.pieces:
            a, b = max(start, pos), min(end, pos + len(text))
            if a < b and atom is None:
                out.append((a, b, look, rpr))
            pos += len(text)
        return out

    def atom(self, k: int) -> list[tuple[etree._Element | None, list[etree._Element]]] | None:
        """Return the element groups of the paragraph's k-th atom (None: no layout to copy from)."""
        if self.layout is None or self.story is None:
            return None
        if self._atoms is None:
            seen: list[int] = []
            for *_, atom in self.layout.pieces:
                if atom is not None and (not seen or seen[-1] != atom):
                    seen.append(atom)
            self._atoms = seen
        if k >= len(self._atoms):
            return None
        return self.story.atoms[self._atoms[k]].groups

    def ppr(self) -> etree._Element | None:
        return self.layout.element.find(_PPR) if self.layout is not None else None


# ---------------------------------------------------------------------------------------------
# the writer
# ---------------------------------------------------------------------------------------------


class _Writer:
    """Writes revisions into the output package; holds the author, date and revision ids."""

    def __init__(self, redline: Redline, out: _Output, merger: _Merger, author: str, date: datetime,
                 keep_authors: bool) -> None:
        self.red = redline
        self.out = out
        self.merger = merger
        self.author = author
        if date.tzinfo is not None:
            date = date.astimezone(UTC)
        self.date = date.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.keep_authors = keep_authors
        ids = [0]
        for root in merger._story_roots():
            ids.extend(int(v) for v in root.xpath("//@w:id", namespaces={"w": W_NS}) if v.lstrip("-").isdigit())
        self.next_id = max(ids) + 1
        # per story being written
        self.credits = Credits(())
        self.new_story: StoryLayout | None = None
        self.old_story: StoryLayout | None = None
        self.new_paras: Sequence[Paragraph] = ()
        self.old_paras: Sequence[Paragraph] = ()
        self.new_part = out.main
        self.old_part = ""
        self.new_tables: list[TableLayout] = []
        self.old_tables: list[TableLayout] = []
        self.new_controls: list[ControlLayout] = []
        self.old_controls: list[ControlLayout] = []
        self._new_flat: dict[int, int] | None = None

    def revision(self, tag: str, parent: etree._Element | None = None, who: Tracked | None = None) -> etree._Element:
        """Return a new revision element (w:ins, w:del, ...) with a unique id, author and date.

        ``who`` is the tracked change of NEW's own file that made this change: its author and
        date are kept (a counterparty's edit stays theirs).
        """
        el = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
        el.set(_ID, str(self.next_id))
        if who is not None and self.keep_authors:
            el.set(_AUTHOR, who.author or "Unknown")
            if who.date is not None:
                date = who.date.astimezone(UTC) if who.date.tzinfo is not None else who.date
                el.set(_DATE, date.strftime("%Y-%m-%dT%H:%M:%SZ"))
        else:
            el.set(_AUTHOR, self.author)
            el.set(_DATE, self.date)
        self.next_id += 1
        return el

    # -- stories -----------------------------------------------------------------------------

    def story(self, new_layout: StoryLayout | None, old_layout: StoryLayout | None, new_paras: Sequence[Paragraph],
              old_paras: Sequence[Paragraph], credits: Credits) -> None:
        """Set the story being written: its layouts, paragraphs and the file's own changes."""
        self.new_story, self.old_story = new_layout, old_layout
        self.new_paras, self.old_paras = new_paras, old_paras
        self.new_part = new_layout.part if new_layout is not None else self.out.main
        self.old_part = old_layout.part if old_layout is not None else ""
        self.credits = credits
        self.new_tables, self.new_controls = _preorder(new_layout.blocks if new_layout else [])
        self._new_flat: dict[int, int] | None = None
        self.old_tables, self.old_controls = _preorder(old_layout.blocks if old_layout else [])

    def new_source(self, j: int) -> _Source:
        layout = self.new_story.paras[j] if self.new_story is not None and j < len(self.new_story.paras) else None
        return _Source(self.new_paras[j], layout, self.new_story, self.new_part)

    def old_source(self, i: int) -> _Source:
        layout = self.old_story.paras[i] if self.old_story is not None and i < len(self.old_story.paras) else None
        return _Source(self.old_paras[i], layout, self.old_story, self.old_part, old=True)

    def from_old(self, el: etree._Element) -> etree._Element:
        """Return a copy of an OLD element fit for the output."""
        return self.merger.copy(el, self.old_part, self.new_part)

    # -- containers of blocks ------------------------------------------------------------------

    def container(self, diffs: Sequence[BlockDiff], el: etree._Element, new_blocks: Sequence[BlockLayout]) -> None:
        """Write the diffs of one container (the body, a cell, a note ...) into ``el``.

        NEW's blocks keep their elements; what only OLD has is put where it was, before the next
        block NEW has (or after the last one).
        """
        new_paras = [b for b in new_blocks if isinstance(b, ParagraphLayout)]
        pending: list[etree._Element] = []
        last: list[etree._Element] = []
        k = 0

        def place(target: etree._Element) -> None:
            for p in pending:
                target.addprevious(p)
            pending.clear()
            last[:] = [target]

        old_end: list[int | None] = [None]  # OLD's paragraph whose end is still to come

        def paragraphs(run: list[ParagraphDiff]) -> None:
            nonlocal k
            for parts, mark in paragraph_blocks(run):
                olds = [pd.old_index for pd in parts if pd.old_index is not None and pd.has_old]
                if olds:
                    old_end[0] = olds[-1]
                # The OLD paragraph that ends here, if one does: its properties are the ones
                # rejecting the changes must give this paragraph back.
                ending = old_end[0] if mark in ("equal", "delete", None) else None
                if mark != "insert":
                    old_end[0] = None
                if mark != "delete" and k < len(new_paras):
                    layout = new_paras[k]
                    target = layout.element
                    k += 1
                    place(target)
                    if not _unchanged(parts, mark):
                        self.rewrite(target, list(parts), mark)
                    self.style_change(target, ending, self.new_index_of(layout))
                else:
                    # Text only OLD has whose end is nobody's (OLD's last paragraph, before a
                    # table that ends NEW): its end goes with it.
                    if mark is None and not any(pd.has_new for pd in parts):
                        mark = "delete"
                    pending.append(self.fresh(list(parts), mark))

        run: list[ParagraphDiff] = []
        for d in diffs:
            if isinstance(d, ParagraphDiff):
                run.append(d)
                continue
            if run:
                paragraphs(run)
                run = []
            if isinstance(d, TableDiff):
                if d.new_index is not None and d.new_index < len(self.new_tables):
                    tl = self.new_tables[d.new_index]
                    place(tl.element)
                    self.table(d, tl)
                elif d.old_index is not None and d.old_index < len(self.old_tables):
                    pending.append(self.gone(self.old_tables[d.old_index].element))
            elif isinstance(d, ControlDiff):
                if d.new_index is not None and d.new_index < len(self.new_controls):
                    cl = self.new_controls[d.new_index]
                    place(cl.element)
                    content = cl.element.find(_SDT_CONTENT)
                    if content is not None:
                        self.container(d.blocks, content, cl.blocks)
                elif d.old_index is not None and d.old_index < len(self.old_controls):
                    pending.append(self.gone(self.old_controls[d.old_index].element))
        if run:
            paragraphs(run)
        if pending:
            if last:
                anchor = last[0]
                for p in pending:
                    anchor.addnext(p)
                    anchor = p
            else:
                _append_blocks(el, pending)

    def gone(self, el: etree._Element) -> etree._Element:
        """Return a copy of an OLD block (a table, a content control) with all of it deleted."""
        c = self.from_old(el)
        self.mark_all(c, _DEL, marks=c.tag == _SDT)
        return c

    def mark_all(self, el: etree._Element, tag: str, who: Tracked | None = None, marks: bool = False) -> None:
        """Mark everything in ``el`` inserted (``tag`` w:ins) or deleted (w:del): each paragraph's
        content and each table row; with ``marks``, paragraph ends too (a content control whose
        paragraphs all go goes with them)."""
        for tr in el.iter(_TR):
            _mark_row(self, tr, tag)
        for p in list(el.iter(_P)):
            if next(p.iterancestors(_TXBX), None) is not None and el.tag != _TXBX:
                continue
            self.wrap_content(p, tag, who)
            if marks and next(p.iterancestors(_TC), None) is None:
                self.mark(p, "insert" if tag == _INS else "delete")

    def wrap_content(self, p: etree._Element, tag: str, who: Tracked | None = None) -> None:
        """Wrap a paragraph's inline content in one revision (revisions go inside containers)."""
        items = [c for c in p if c.tag != _PPR]
        for c in items:
            p.remove(c)
        self.wrap(p, items, tag, who)

    def wrap(self, parent: etree._Element, items: Iterable[etree._Element], tag: str, who: Tracked | None) -> None:
        """Append ``items`` to ``parent`` inside revisions ``tag``: runs and range marks in one
        w:ins/w:del, containers (hyperlinks, fields, controls) with the revision inside them."""
        deleted = tag in (_DEL, _MOVE_FROM)
        group: etree._Element | None = None
        for c in _fields_as_runs(items):
            if deleted:
                _deleted(c)
            if c.tag == _SDT:
                # A content control is allowed inside a revision: it comes and goes whole.
                if group is None:
                    group = self.revision(tag, parent, who)
                group.append(c)
                continue
            if c.tag in _RUN_CONTAINERS:
                group = None
                inner = c.find(_SDT_CONTENT) if c.tag == _SDT else c
                if inner is None:
                    parent.append(c)
                    continue
                kids = [k for k in inner if k.tag not in (qn("w:hyperlinkPr"),) and
                        k.tag != qn("w:fldData") and not (inner is c and k.tag == qn("w:sdtPr"))]
                for k in kids:
                    inner.remove(k)
                self.wrap(inner, kids, tag, who)
                parent.append(c)
                continue
            if c.tag in (_INS, _DEL, _MOVE_FROM, _MOVE_TO):
                group = None
                parent.append(c)
                continue
            if group is None:
                group = self.revision(tag, parent, who)
            group.append(c)

    # -- paragraphs ----------------------------------------------------------------------------

    def fresh(self, parts: list[ParagraphDiff], mark: Op | None) -> etree._Element:
        """Return a new w:p for an output paragraph that has no paragraph in NEW."""
        p = etree.Element(_P)
        src = self.source_ppr(parts, old_first=mark == "delete")
        if src is not None:
            p.append(src)
        for pd in parts:
            self.content(p, pd)
        self.mark(p, mark, _new_index(parts))
        return p

    def source_ppr(self, parts: list[ParagraphDiff], old_first: bool = False) -> etree._Element | None:
        """Return a copy of the paragraph properties a new paragraph takes: NEW's, else OLD's;
        OLD's first for a paragraph whose end only OLD has (its properties live in that end,
        which comes back when the changes are rejected)."""
        def new() -> etree._Element | None:
            for pd in reversed(parts):
                if pd.has_new and pd.new_index is not None:
                    src = self.new_source(pd.new_index)
                    ppr = src.ppr()
                    return _clean_ppr(copy.deepcopy(ppr)) if ppr is not None else _style_ppr(src.para.style_id)
            return None

        def old() -> etree._Element | None:
            for pd in reversed(parts):
                if pd.old_index is not None:
                    src = self.old_source(pd.old_index)
                    ppr = src.ppr()
                    return _clean_ppr(self.from_old(ppr)) if ppr is not None else _style_ppr(src.para.style_id)
            return None

        first, second = (old, new) if old_first else (new, old)
        found = first()
        return found if found is not None else second()

    def rewrite(self, p: etree._Element, parts: list[ParagraphDiff], mark: Op | None) -> None:
        """Replace the content of NEW's paragraph ``p`` with the redline, keeping its pPr."""
        for c in list(p):
            if c.tag != _PPR:
                p.remove(c)
        for pd in parts:
            self.content(p, pd)
        self.mark(p, mark, _new_index(parts))

    def mark(self, p: etree._Element, mark: Op | None, new_index: int | None = None) -> None:
        """Mark the paragraph end of ``p`` as inserted or deleted (or leave it); ``new_index``
        is NEW's paragraph it ends or joins into, whose own tracked mark keeps its author."""
        ppr = _ensure_ppr(p)
        rpr = ppr.find(_RPR)
        if rpr is not None:
            for old in rpr.findall(_INS) + rpr.findall(_DEL):
                rpr.remove(old)
        if mark not in ("insert", "delete"):
            if ppr is not None and not len(ppr) and not ppr.attrib:
                p.remove(ppr)
            return
        if rpr is None:
            rpr = etree.Element(_RPR)
            tail = next((c for c in ppr if c.tag in _PPR_TAIL), None)
            if tail is not None:
                tail.addprevious(rpr)
            else:
                ppr.append(rpr)
        rpr.insert(0, self.revision(_INS if mark == "insert" else _DEL, who=self.credits.mark_author(new_index, mark)))

    def new_index_of(self, layout: ParagraphLayout) -> int | None:
        """Return the index, in its story's paragraphs, of one of NEW's paragraphs."""
        if self.new_story is None:
            return None
        if self._new_flat is None:
            self._new_flat = {id(p): k for k, p in enumerate(self.new_story.paras)}
        return self._new_flat.get(id(layout))

    def style_change(self, p: etree._Element, old_index: int | None, new_index: int | None) -> None:
        """Record OLD's properties (style, indents, list ...) of the paragraph that ends here as a
        w:pPrChange, when they are not NEW's."""
        if old_index is None or new_index is None or old_index >= len(self.old_paras) or \
                new_index >= len(self.new_paras):
            return
        before, after = self.old_paras[old_index], self.new_paras[new_index]
        if (before.style or "Normal", before.props, before.numbering) == \
                (after.style or "Normal", after.props, after.numbering):
            return
        ppr = _ensure_ppr(p)
        for c in ppr.findall(qn("w:pPrChange")):
            ppr.remove(c)
        change = self.revision(qn("w:pPrChange"), ppr)
        src = self.old_source(old_index)
        old = src.ppr()
        if old is not None:
            old_ppr = _clean_ppr(self.from_old(old), keep_mark=False)
        else:
            old_ppr = _style_ppr(src.para.style_id) or etree.Element(_PPR)
        change.append(old_ppr)

    # -- segments ------------------------------------------------------------------------------

    def content(self, p: etree._Element, pd: ParagraphDiff) -> None:
        """Append the runs and atoms of one redline paragraph to the w:p ``p``."""
        pos = 0
        if pd.kind in ("moved_from", "moved_to"):
            name = f"move{pd.move_id}"
            start, end = ("moveFromRangeStart", "moveFromRangeEnd") if pd.kind == "moved_from" else \
                ("moveToRangeStart", "moveToRangeEnd")
            rs = self.revision(qn(f"w:{start}"), p)
            rs.set(qn("w:name"), name)
            range_id = rs.get(_ID)
            move_tag = _MOVE_FROM if pd.kind == "moved_from" else _MOVE_TO
            for seg in pd.segments:
                wrap = move_tag if seg.op == "equal" else _DEL if seg.op == "delete" else _INS
                self.segment(p, seg, pd, wrap, pos)
                if seg.new_start is not None:
                    pos = seg.new_start + len(seg.text)
            etree.SubElement(p, qn(f"w:{end}")).set(_ID, range_id or "")
            return
        for seg in pd.segments:
            self.segment(p, seg, pd, None if seg.op == "equal" else _INS if seg.op == "insert" else _DEL, pos)
            if seg.new_start is not None:
                pos = seg.new_start + len(seg.text)

    def segment(self, parent: etree._Element, seg: Segment, pd: ParagraphDiff, wrap: str | None,
                new_pos: int) -> None:
        """Append one segment to ``parent``, wrapped in ``wrap`` (w:ins, w:moveTo...) if set.

        ``new_pos`` is where in NEW's paragraph the segment sits (for text only OLD has). An
        insertion or deletion that NEW's file itself tracks keeps that change's author.
        """
        if wrap in (_INS, _DEL) and self.credits.tracked:
            for piece, who in self.credits.attribute(pd, seg, new_pos):
                self.pieces(parent, piece, pd, wrap, who)
        else:
            self.pieces(parent, seg, pd, wrap, None)

    def pieces(self, parent: etree._Element, seg: Segment, pd: ParagraphDiff, wrap: str | None,
               who: Tracked | None) -> None:
        """Append the elements of one segment, wrapped in ``wrap`` attributed to ``who``."""
        deleted = wrap in (_DEL, _MOVE_FROM)
        from_old = seg.op == "delete" or (seg.op == "equal" and deleted)
        items = self.atom_items(seg, pd, from_old) if seg.is_atom else self.text_items(seg, pd, from_old)
        if wrap is None:
            for it in items:
                parent.append(it)
        else:
            self.wrap(parent, items, wrap, who)

    def atom_items(self, seg: Segment, pd: ParagraphDiff, from_old: bool) -> list[etree._Element]:
        """Return copies of the elements of an atom segment (OLD's when it is OLD's text)."""
        if from_old and pd.old_index is not None and seg.old_atom is not None:
            src = self.old_source(pd.old_index)
            groups = src.atom(seg.old_atom)
            copier: Callable[[etree._Element], etree._Element] = self.from_old
        elif pd.new_index is not None and seg.new_atom is not None:
            src = self.new_source(pd.new_index)
            groups = src.atom(seg.new_atom)
            copier = copy.deepcopy
        else:
            return []
        if groups is None:  # no layout to copy from: the atom's text, if it has any
            return [self.run_el(seg.text, None, (False, False, False), from_old)] if seg.text else []
        out: list[etree._Element] = []
        for run, children in groups:
            if run is None:
                out.extend(copier(c) for c in children)
                continue
            r = etree.Element(_R)
            rpr = _copy_rpr(run.find(_RPR))
            if rpr is not None:
                r.append(copier(rpr) if from_old else rpr)
            for c in children:
                r.append(copier(c))
            out.append(r)
        return out

    def text_items(self, seg: Segment, pd: ParagraphDiff, from_old: bool) -> list[etree._Element]:
        """Return runs of a text segment with the run properties of the version it comes from."""
        out: list[etree._Element] = []
        if from_old:
            if pd.old_index is None or seg.old_start is None:
                return [self.run_el(seg.text, None, (False, False, False), True)]
            src = self.old_source(pd.old_index)
            for text, rpr, fmt in src.text(seg.old_start, seg.old_start + len(seg.text)):
                if rpr is None and src.layout is None:
                    rpr = self.borrowed(pd, seg, fmt)
                    out.append(self.run_el(text, rpr, None, True))
                else:
                    out.append(self.run_el(text, _copy_rpr(self.from_old(rpr)) if rpr is not None else None, fmt,
                                           True))
            return out
        if pd.new_index is None or seg.new_start is None:
            return [self.run_el(seg.text, None, (False, False, False), False)]
        src = self.new_source(pd.new_index)
        old_src = self.old_source(pd.old_index) if (seg.op == "equal" and pd.old_index is not None
                                                    and pd.format_changed and seg.old_start is not None) else None
        start = seg.new_start
        for text, rpr, fmt in src.text(start, start + len(seg.text)):
            if old_src is not None and seg.old_start is not None:
                offset = start - seg.new_start
                out.extend(self.format_runs(text, rpr, fmt, old_src, seg.old_start + offset, src, start))
            else:
                out.append(self.run_el(text, _copy_rpr(rpr) if rpr is not None else None, fmt, False))
            start += len(text)
        return out

    def format_runs(self, text: str, rpr: etree._Element | None, fmt: Format | None, old_src: _Source,
                    old_start: int, new_src: _Source, new_start: int) -> list[etree._Element]:
        """Return runs of unchanged text whose formatting may have changed: a w:rPrChange holds
        OLD's run properties where they differ."""
        out = []
        new_looks = new_src.looks(new_start, new_start + len(text))
        old_looks = old_src.looks(old_start, old_start + len(text))
        cuts = sorted({0, len(text)} | {a - new_start for a, _, _, _ in new_looks} | {b - new_start for _, b, _, _ in new_looks}
                      | {a - old_start for a, _, _, _ in old_looks} | {b - old_start for _, b, _, _ in old_looks})
        for a, b in pairwise(cuts):
            if a >= b or a < 0 or b > len(text):
                continue
            nl = next((x for x in new_looks if x[0] <= new_start + a < x[1]), None)
            ol = next((x for x in old_looks if x[0] <= old_start + a < x[1]), None)
            new_rpr = _copy_rpr(nl[3]) if nl is not None and nl[3] is not None else \
                (_copy_rpr(rpr) if rpr is not None else _format_rpr(nl[2][:3] if nl else fmt or (False, False, False)))
            if nl is not None and ol is not None and nl[2] != ol[2]:
                if ol[3] is not None:
                    old_rpr = _copy_rpr(self.from_old(ol[3]))
                else:  # no OLD layout: NEW's properties with OLD's bold/italic/underline
                    old_rpr = _copy_rpr(new_rpr) if new_rpr is not None else etree.Element(_RPR)
                    assert old_rpr is not None
                    _force_format(old_rpr, ol[2][:3])
                if new_rpr is None:
                    new_rpr = etree.Element(_RPR)
                change = self.revision(qn("w:rPrChange"), new_rpr)
                change.append(old_rpr if old_rpr is not None else etree.Element(_RPR))
            out.append(self.run_el(text[a:b], new_rpr, None, False))
        return out

    def borrowed(self, pd: ParagraphDiff, seg: Segment, fmt: Format | None) -> etree._Element | None:
        """Return run properties for OLD text that has no layout: NEW's nearby run properties,
        with OLD's bold/italic/underline (so fonts and sizes match the text around)."""
        rpr = None
        if pd.new_index is not None:
            src = self.new_source(pd.new_index)
            if src.layout is not None:
                pos = seg.new_start if seg.new_start is not None else 0
                looks = src.looks(0, len(src.para.text))
                hit = next((x for x in looks if x[0] <= pos < x[1]), looks[-1] if looks else None)
                if hit is not None and hit[3] is not None:
                    rpr = _copy_rpr(hit[3])
        if rpr is None:
            return _format_rpr(fmt or (False, False, False))
        _force_format(rpr, fmt or (False, False, False))
        return rpr

    def run_el(self, text: str, rpr: etree._Element | None, fmt: Format | None, deleted: bool) -> etree._Element:
        """Return a w:r with ``text`` (tabs and line breaks as their elements)."""
        r = etree.Element(_R)
        if rpr is None and fmt is not None:
            rpr = _format_rpr(fmt)
        if rpr is not None and len(rpr):
            r.append(rpr)
        for piece in _SPECIAL.split(text):
            if not piece:
                continue
            if piece == "\t":
                etree.SubElement(r, qn("w:tab"))
            elif piece == "\v":
                etree.SubElement(r, qn("w:br"))
            else:
                t = etree.SubElement(r, _DEL_TEXT if deleted else _T)
                t.text = piece
                if piece[0] == " " or piece[-1] == " ":
                    t.set(_XML_SPACE, "preserve")
        return r

    # -- tables --------------------------------------------------------------------------------

    def table(self, d: TableDiff, tl: TableLayout) -> None:
        """Write a table's diff into NEW's table: rows kept, inserted or deleted as rows."""
        old = self.old_tables[d.old_index] if d.old_index is not None and d.old_index < len(self.old_tables) else None
        if d.props_changed and old is not None:
            self.property_change(tl.element, old.element, _TBL_PR, qn("w:tblPrChange"), first=True)
            new_grid, old_grid = tl.element.find(qn("w:tblGrid")), old.element.find(qn("w:tblGrid"))
            if new_grid is not None and old_grid is not None and canon(new_grid) != canon(old_grid):
                change = self.revision(qn("w:tblGridChange"), new_grid)
                change.attrib.pop(_AUTHOR, None)
                change.attrib.pop(_DATE, None)
                g = self.from_old(old_grid)
                for c in g.findall(qn("w:tblGridChange")):
                    g.remove(c)
                change.append(g)
        pending: list[etree._Element] = []
        last: etree._Element | None = None
        for rd in d.rows:
            if rd.new_index is not None and rd.new_index < len(tl.rows):
                row = tl.rows[rd.new_index]
                for p in pending:
                    row.element.addprevious(p)
                pending = []
                last = row.element
                if rd.kind == "inserted":
                    _mark_row(self, row.element, _INS)
                if rd.props_changed and old is not None and rd.old_index is not None:
                    self.property_change(row.element, old.rows[rd.old_index].element, _TR_PR, qn("w:trPrChange"),
                                         first=False)
                for cd in rd.cells:
                    if cd.new_index is None or cd.new_index >= len(row.cells):
                        continue
                    cell = row.cells[cd.new_index]
                    if cd.props_changed and old is not None and rd.old_index is not None and cd.old_index is not None:
                        old_cell = old.rows[rd.old_index].cells[cd.old_index]
                        self.property_change(cell.element, old_cell.element, _TC_PR, qn("w:tcPrChange"), first=True)
                    if cd.changed:
                        self.container(cd.blocks, cell.element, cell.blocks)
            elif rd.old_index is not None and old is not None and rd.old_index < len(old.rows):
                c = self.from_old(old.rows[rd.old_index].element)
                self.mark_all(c, _DEL)
                pending.append(c)
        if pending:
            if last is not None:
                for p in pending:
                    last.addnext(p)
                    last = p
            else:
                grid = tl.element.find(qn("w:tblGrid"))
                anchor = grid if grid is not None else tl.element.find(_TBL_PR)
                for p in pending:
                    if anchor is not None:
                        anchor.addnext(p)
                        anchor = p
                    else:
                        tl.element.append(p)

    def property_change(self, new_el: etree._Element, old_el: etree._Element, tag: str, change_tag: str,
                        first: bool) -> None:
        """Record OLD's properties ``tag`` (w:tblPr, w:trPr, w:tcPr) of a block as a ``change_tag``."""
        props = new_el.find(tag)
        if props is None:
            props = etree.Element(tag)
            if first:
                new_el.insert(0, props)
            else:
                prex = new_el.find(qn("w:tblPrEx"))
                if prex is not None:
                    prex.addnext(props)
                else:
                    new_el.insert(0, props)
        for c in props.findall(change_tag):
            props.remove(c)
        old_props = old_el.find(tag)
        copied = self.from_old(old_props) if old_props is not None else etree.Element(tag)
        for c in list(copied):
            if c.tag in (change_tag, _INS, _DEL, qn("w:cellIns"), qn("w:cellDel"), qn("w:cellMerge")):
                copied.remove(c)
        change = self.revision(change_tag, props)
        change.append(copied)


def _fields_as_runs(items: Iterable[etree._Element]) -> list[etree._Element]:
    """Return ``items`` with simple fields (w:fldSimple) written as the runs of a complex field,
    so a revision can hold the whole field (a revision cannot hold a w:fldSimple)."""
    out: list[etree._Element] = []
    for c in items:
        if c.tag != qn("w:fldSimple"):
            out.append(c)
            continue
        runs = [k for k in c if k.tag == _R]
        first = runs[0].find(_RPR) if runs else None

        def run(*children: etree._Element, rpr: etree._Element | None = first) -> etree._Element:
            r = etree.Element(_R)
            if rpr is not None:
                r.append(copy.deepcopy(rpr))
            for ch in children:
                r.append(ch)
            return r

        begin = etree.Element(qn("w:fldChar"))
        begin.set(qn("w:fldCharType"), "begin")
        instr = etree.Element(_INSTR)
        instr.text = c.get(qn("w:instr")) or ""
        instr.set(_XML_SPACE, "preserve")
        sep = etree.Element(qn("w:fldChar"))
        sep.set(qn("w:fldCharType"), "separate")
        end = etree.Element(qn("w:fldChar"))
        end.set(qn("w:fldCharType"), "end")
        out.extend([run(begin), run(instr), run(sep), *runs, run(end)])
    return out


def _mark_row(writer: _Writer, tr: etree._Element, tag: str) -> None:
    """Mark a table row inserted or deleted (w:trPr/w:ins or w:del)."""
    trpr = tr.find(_TR_PR)
    if trpr is None:
        trpr = etree.Element(_TR_PR)
        prex = tr.find(qn("w:tblPrEx"))
        if prex is not None:
            prex.addnext(trpr)
        else:
            tr.insert(0, trpr)
    for c in trpr.findall(_INS) + trpr.findall(_DEL):
        trpr.remove(c)
    change = trpr.find(qn("w:trPrChange"))
    el = writer.revision(tag)
    if change is not None:
        change.addprevious(el)
    else:
        trpr.append(el)


def _append_blocks(container: etree._Element, blocks: list[etree._Element]) -> None:
    """Append blocks to a container that has none of NEW's: before a body's sectPr, after a cell's
    properties."""
    tail = container.find(_SECT_PR) if container.tag == _BODY else None
    for b in blocks:
        if tail is not None:
            tail.addprevious(b)
        else:
            container.append(b)


def _clean_ppr(ppr: etree._Element, keep_mark: bool = True) -> etree._Element:
    """Return paragraph properties fit for another paragraph: no section, no revisions."""
    for c in list(ppr):
        if c.tag in (_SECT_PR, qn("w:pPrChange")) or (c.tag == _RPR and not keep_mark):
            ppr.remove(c)
        elif c.tag == _RPR:
            for m in c.findall(_INS) + c.findall(_DEL) + c.findall(_MOVE_FROM) + c.findall(_MOVE_TO) + \
                    c.findall(qn("w:rPrChange")):
                c.remove(m)
    return ppr


def _style_ppr(style_id: str | None) -> etree._Element | None:
    if not style_id:
        return None
    ppr = etree.Element(_PPR)
    etree.SubElement(ppr, qn("w:pStyle")).set(_VAL, style_id)
    return ppr


def _new_index(parts: Sequence[ParagraphDiff]) -> int | None:
    """Return NEW's paragraph an output paragraph ends in (None: only OLD has it)."""
    return next((pd.new_index for pd in reversed(parts) if pd.has_new and pd.new_index is not None), None)


def _unchanged(parts: Sequence[ParagraphDiff], mark: Op | None) -> bool:
    return (len(parts) == 1 and parts[0].kind == "equal" and not parts[0].format_changed
            and mark in ("equal", None))


def _preorder(blocks: Sequence[BlockLayout]) -> tuple[list[TableLayout], list[ControlLayout]]:
    """Return the tables and controls of a story in the order the diff numbers them."""
    tables: list[TableLayout] = []
    controls: list[ControlLayout] = []

    def walk(bs: Sequence[BlockLayout]) -> None:
        for b in bs:
            if isinstance(b, TableLayout):
                tables.append(b)
                for row in b.rows:
                    for cell in row.cells:
                        walk(cell.blocks)
            elif isinstance(b, ControlLayout):
                controls.append(b)
                walk(b.blocks)

    walk(blocks)
    return tables, controls


# ---------------------------------------------------------------------------------------------
# the whole package
# ---------------------------------------------------------------------------------------------


def _texts(doc: Document) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Return every story's paragraphs as (text, atom keys), to check a re-read layout."""
    out = {"body": [(p.text, tuple(a.key for a in p.atoms)) for p in doc.paragraphs]}
    for s in doc.stories:
        out[s.id] = [(p.text, tuple(a.key for a in p.atoms)) for p in s.paragraphs]
    return out


def _prepare(pkg: Package) -> bool:
    """Accept every tracked change of a package's stories in place (what the file means);
    return whether there were any."""
    main = pkg.main
    found = False
    for name in [main, *pkg.related(main, "header"), *pkg.related(main, "footer"), *pkg.related(main, "footnotes"),
                 *pkg.related(main, "endnotes"), *pkg.related(main, "comments")]:
        try:
            data = pkg.read(name)
        except InvalidInput:
            continue
        if has_tracked_changes(data):
            try:
                root = pkg.xml(name)
            except InvalidInput:
                continue
            accept_all(root)
            found = True
            if isinstance(pkg, _Output):
                pkg.changed.add(name)
    return found


def _layouts(reader: Reader, doc: Document, rewritten: bool) -> dict[str, StoryLayout]:
    """Return the stories' layouts that read back as ``doc`` does (only those can be edited in
    place). A package whose tracked changes were just accepted is read back and compared; one
    read as it was only needs to hold as many paragraphs."""
    layouts = reader.layouts()
    counts = {"body": len(doc.paragraphs), **{s.id: len(s.paragraphs) for s in doc.stories}}
    if not rewritten and all(len(lay.paras) == counts.get(sid) for sid, lay in layouts.items()):
        return layouts
    seen, want = _texts(reader.document()), _texts(doc)
    return {sid: lay for sid, lay in layouts.items() if seen.get(sid) == want.get(sid)}


def write_tracked(redline: Redline, new_docx: bytes | None, *, author: str, date: datetime,
                  old_docx: bytes | None = None, keep_authors: bool = True) -> bytes:
    """Return NEW as a .docx whose tracked changes turn it back into OLD when all are rejected.

    When ``new_docx`` is given, its package (styles, numbering, sections, headers, notes) is
    kept and only what changed is rewritten; otherwise a blank document is used. ``old_docx``
    (OLD's bytes, when OLD is a .docx) lets deleted text keep its formatting and deleted
    objects (images, fields, notes, rows ...) come back on rejection. With ``keep_authors``, a
    change NEW's file already tracked keeps its author and date; otherwise every change is
    ``author``'s.
    """
    try:
        out = _Output(new_docx if new_docx is not None else _blank_package())
    except InvalidInput as e:
        raise InvalidInput("The new version is not a Word document that clm can write changes into.") from e
    old_pkg: Package | None = None
    old_layouts: dict[str, StoryLayout] = {}
    if old_docx is not None:
        try:
            old_pkg = Package(old_docx)
            rewritten_old = _prepare(old_pkg)
            old_layouts = _layouts(Reader(old_pkg), redline.old, rewritten_old)
        except InvalidInput:
            old_pkg, old_layouts = None, {}
    rewritten = _prepare(out)
    try:
        reader = Reader(out)
    except InvalidInput as e:
        raise InvalidInput("The new version's Word file has no document body.") from e
    new_layouts = _layouts(reader, redline.new, rewritten) if new_docx is not None else {}
    merger = _Merger(out, old_pkg if old_layouts else None)
    writer = _Writer(redline, out, merger, author, date, keep_authors)

    body_el = out.root(out.main).find(_BODY)
    if body_el is None:
        raise InvalidInput("The new version's Word file has no document body.")
    body_new = new_layouts.get("body")
    writer.story(body_new, old_layouts.get("body"), redline.new.paragraphs, redline.old.paragraphs,
                 redline.credits(None))
    if body_new is not None:
        writer.container(redline.body, body_el, body_new.blocks)
    else:
        # NEW's body cannot be edited in place (a text file, or a layout that did not read back):
        # a fresh body of plain paragraphs, tables flattened.
        for c in list(body_el):
            if c.tag != _SECT_PR:
                body_el.remove(c)
        writer.container(tuple(redline.paragraphs), body_el, [])

    new_stories = redline.new.story_index
    old_stories = redline.old.story_index
    for sd in redline.stories:
        _write_story(writer, sd, new_layouts, old_layouts, new_stories, old_stories, reader)
    for sec in redline.sections:
        if sec.props_changed and sec.new_index is not None and sec.old_index is not None:
            _section_change(writer, reader, old_pkg, sec.old_index, sec.new_index)
    from clm.versions.external_links import strip_external_relationships

    # The package is the counterparty's: nothing in what clm hands out may fetch from elsewhere.
    return strip_external_relationships(out.save())


def _write_story(writer: _Writer, sd: StoryDiff, new_layouts: dict[str, StoryLayout],
                 old_layouts: dict[str, StoryLayout], new_stories: dict, old_stories: dict,  # type: ignore[type-arg]
                 reader: Reader) -> None:
    """Write one story's diff: in place when both versions have it; a story only NEW has is
    marked inserted; one only OLD has (a note whose reference was deleted) is copied in, deleted."""
    new_layout = new_layouts.get(sd.new_id) if sd.new_id else None
    old_layout = old_layouts.get(sd.old_id) if sd.old_id else None
    if sd.new_id and sd.old_id:
        if new_layout is None or not sd.changed:
            return
        root = new_layout.root
        writer.out.changed.add(new_layout.part)
        writer.story(new_layout, old_layout, new_stories[sd.new_id].paragraphs, old_stories[sd.old_id].paragraphs,
                     writer.red.credits(sd.new_id))
        writer.container(sd.blocks, root, new_layout.blocks)
        if sd.kind == "textbox":
            _drop_fallback(root)
        return
    if sd.new_id and new_layout is not None and sd.kind in ("footnote", "endnote", "comment", "header", "footer"):
        writer.out.changed.add(new_layout.part)
        writer.story(new_layout, None, new_stories[sd.new_id].paragraphs, (), writer.red.credits(sd.new_id))
        writer.mark_all(new_layout.root, _INS)
        return
    if sd.old_id and old_layout is not None:
        copied = writer.merger.copied_notes.get(sd.old_id)
        if copied is not None:
            writer.story(None, old_layout, (), old_stories[sd.old_id].paragraphs, Credits(()))
            writer.mark_all(copied, _DEL)
        elif sd.kind in ("header", "footer"):
            _deleted_header(writer, sd, old_layout)


def _drop_fallback(txbx: etree._Element) -> None:
    """Remove the VML copy of a rewritten text box (Word shows the DrawingML one)."""
    alt = next(txbx.iterancestors(f"{{{MC_NS}}}AlternateContent"), None)
    if alt is None:
        return
    for fb in alt.findall(f"{{{MC_NS}}}Fallback"):
        alt.remove(fb)


def _deleted_header(writer: _Writer, sd: StoryDiff, old_layout: StoryLayout) -> None:
    """Give NEW's section the header (footer) only OLD had, its content deleted."""
    out, old = writer.out, writer.merger.old
    if old is None or not sd.old_id:
        return
    kind = sd.kind
    old_part = sd.old_id.partition(":")[2]
    sections = [(k, t) for k, s in enumerate(writer.red.old.sections) for kk, t, sid in s.parts
                if sid == sd.old_id and kk == kind]
    if not sections:
        return
    name = out.free_name(old_part)
    root = writer.merger.copy(old.xml(old_part), old_part, name)
    writer.story(None, old_layout, (), (), Credits(()))
    writer.mark_all(root, _DEL)
    out.add_part(name, root, _CT[kind])
    rid = out.add_rel(out.main, _REL_TYPE + kind, name, False)
    body = out.root(out.main).find(_BODY)
    new_sects = [s for s in body.iter(_SECT_PR)] if body is not None else []
    for k, t in sections:
        if k >= len(new_sects):
            continue
        sect = new_sects[k]
        ref = etree.Element(qn(f"w:{kind}Reference"))
        ref.set(qn("w:type"), t)
        ref.set(f"{{{R_NS}}}id", rid)
        refs = [c for c in sect if c.tag in (qn("w:headerReference"), qn("w:footerReference"))]
        if refs:
            refs[-1].addnext(ref)
        else:
            sect.insert(0, ref)


def _section_change(writer: _Writer, reader: Reader, old_pkg: Package | None, old_index: int, new_index: int) -> None:
    """Record OLD's page setup of a section as a w:sectPrChange in NEW's sectPr."""
    if old_pkg is None:
        return
    new_sects = reader.body.sections
    try:
        old_sects = Reader(old_pkg).body.sections
    except InvalidInput:
        return
    if new_index >= len(new_sects) or old_index >= len(old_sects):
        return
    sect = new_sects[new_index]
    for c in sect.findall(qn("w:sectPrChange")):
        sect.remove(c)
    old = writer.merger.copy(old_sects[old_index], old_pkg.main, writer.out.main)
    for c in list(old):
        if c.tag in (qn("w:headerReference"), qn("w:footerReference"), qn("w:sectPrChange")):
            old.remove(c)
    for k in list(old.attrib):
        del old.attrib[k]
    change = writer.revision(qn("w:sectPrChange"), sect)
    change.append(old)
    writer.out.changed.add(writer.out.main)
