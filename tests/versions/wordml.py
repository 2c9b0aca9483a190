"""WordprocessingML fixtures written as Word writes them, and an independent reading of a .docx's
accept-all and reject-all views (every story, every object counted), for tests and benchmarks.

The reading here shares no code with ``clm.documents``: it applies tracked changes to the XML the
way the specification says (accept keeps ``w:ins`` and drops ``w:del``; reject the reverse,
property changes restored, rows and paragraph marks included), then describes each story as
paragraphs of text with its objects as tokens, so two packages can be compared story by story.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
V = "urn:schemas-microsoft-com:vml"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

NSDECL = (f'xmlns:w="{W}" xmlns:r="{R}" xmlns:m="{M}" xmlns:mc="{MC}" xmlns:wp="{WP}" xmlns:a="{A}" '
          f'xmlns:pic="{PIC}" xmlns:wps="{WPS}" xmlns:v="{V}" '
          'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" mc:Ignorable="w14"')


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def png(r: int, g: int, b: int, size: int = 4) -> bytes:
    """Return a tiny solid-colour PNG (different colours, different images)."""
    raw = b"".join(b"\x00" + bytes((r, g, b)) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# building documents
# ---------------------------------------------------------------------------------------------


class Doc:
    """A document being written: body blocks, and the notes, comments, headers and media it needs.

    Inline builders (``r``, ``fn``, ``field`` ...) return XML to pass to ``p``; block builders
    (``p``, ``table`` ...) append to the body and return self.
    """

    def __init__(self, rsid: str = "00A1B2C3") -> None:
        self.blocks: list[str] = []
        self.footnotes: list[str] = []
        self.endnotes: list[str] = []
        self.comments: list[tuple[str, str]] = []
        self.headers: dict[str, str] = {}
        self.footers: dict[str, str] = {}
        self.media: list[bytes] = []
        self.links: list[str] = []
        self.sect: dict[str, Any] = {"w": 12240, "h": 15840, "orient": None, "margin": 1440}
        self.ids = 10
        self.rsid = rsid

    def _id(self) -> int:
        self.ids += 1
        return self.ids

    # -- inline ----------------------------------------------------------------------------

    @staticmethod
    def r(text: str, b: bool = False, i: bool = False, u: bool = False, rtl: bool = False) -> str:
        props = ("<w:b/>" if b else "") + ("<w:i/>" if i else "") + ('<w:u w:val="single"/>' if u else "") + \
            ("<w:rtl/>" if rtl else "")
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        return f'<w:r>{rpr}<w:t xml:space="preserve">{esc(text)}</w:t></w:r>'

    def fn(self, text: str) -> str:
        self.footnotes.append(text)
        return f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="{len(self.footnotes)}"/></w:r>'

    def en(self, text: str) -> str:
        self.endnotes.append(text)
        return f'<w:r><w:rPr><w:rStyle w:val="EndnoteReference"/></w:rPr><w:endnoteReference w:id="{len(self.endnotes)}"/></w:r>'

    @staticmethod
    def field(instr: str, result: str) -> str:
        return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> {esc(instr)} </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                f'<w:r><w:t>{esc(result)}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')

    @staticmethod
    def simple_field(instr: str, result: str) -> str:
        return f'<w:fldSimple w:instr=" {esc(instr)} "><w:r><w:t>{esc(result)}</w:t></w:r></w:fldSimple>'

    def link(self, url: str, text: str) -> str:
        self.links.append(url)
        return (f'<w:hyperlink r:id="rIdLink{len(self.links)}" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/>'
                f'</w:rPr><w:t xml:space="preserve">{esc(text)}</w:t></w:r></w:hyperlink>')

    def bookmark(self, name: str, inner: str) -> str:
        k = self._id()
        return f'<w:bookmarkStart w:id="{k}" w:name="{esc(name)}"/>{inner}<w:bookmarkEnd w:id="{k}"/>'

    def image(self, data: bytes, cx: int = 914400, cy: int = 457200, name: str = "Logo") -> str:
        self.media.append(data)
        n, k = len(self.media), self._id()
        return (f'<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
                f'<wp:docPr id="{k}" name="{name} {k}" descr="{name}"/><a:graphic><a:graphicData '
                f'uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr>'
                f'<pic:cNvPr id="{k}" name="image{n}.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>'
                f'<a:blip r:embed="rIdImg{n}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr>'
                f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect">'
                f'<a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
                f'</w:drawing></w:r>')

    def textbox(self, *paragraphs: str) -> str:
        k = self._id()
        inner = "".join(f'<w:p>{self.r(t)}</w:p>' for t in paragraphs)
        return (f'<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:inline distT="0" distB="0" '
                f'distL="0" distR="0"><wp:extent cx="1828800" cy="457200"/><wp:docPr id="{k}" name="Text Box {k}"/>'
                f'<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
                f'<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" '
                f'cy="457200"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr><wps:txbx>'
                f'<w:txbxContent>{inner}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData>'
                f'</a:graphic></wp:inline></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape '
                f'style="width:144pt;height:36pt"><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox>'
                f'</v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>')

    @staticmethod
    def math(text: str) -> str:
        return f'<m:oMath><m:r><m:t>{esc(text)}</m:t></m:r></m:oMath>'

    def control(self, tag: str, text: str) -> str:
        k = self._id()
        return (f'<w:sdt><w:sdtPr><w:alias w:val="{esc(tag)}"/><w:tag w:val="{esc(tag)}"/><w:id w:val="{k}"/>'
                f'<w:text/></w:sdtPr><w:sdtContent>{self.r(text)}</w:sdtContent></w:sdt>')

    def comment(self, text: str, inner: str, author: str = "Dana Whitfield") -> str:
        self.comments.append((author, text))
        k = len(self.comments) - 1
        return (f'<w:commentRangeStart w:id="{k}"/>{inner}<w:commentRangeEnd w:id="{k}"/>'
                f'<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:commentReference w:id="{k}"/></w:r>')

    @staticmethod
    def page_break() -> str:
        return '<w:r><w:br w:type="page"/></w:r>'

    # -- blocks ----------------------------------------------------------------------------

    def para(self, *inline: str, style: str | None = None, num: tuple[int, int] | None = None,
             jc: str | None = None, bidi: bool = False) -> str:
        """Return a paragraph's XML (``num`` = (numId, level))."""
        ppr = ""
        if style:
            ppr += f'<w:pStyle w:val="{style}"/>'
        if num:
            ppr += f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>'
        if bidi:
            ppr += "<w:bidi/>"
        if jc:
            ppr += f'<w:jc w:val="{jc}"/>'
        body = "".join(x if x.startswith("<") else self.r(x) for x in inline)
        return f'<w:p w:rsidR="{self.rsid}" w:rsidRDefault="{self.rsid}">{f"<w:pPr>{ppr}</w:pPr>" if ppr else ""}{body}</w:p>'

    def p(self, *inline: str, **kw: Any) -> Doc:
        self.blocks.append(self.para(*inline, **kw))
        return self

    def table(self, rows: list[list[str]], header: bool = False, style: str = "TableGrid", jc: str | None = None,
              shade: tuple[int, int] | None = None) -> Doc:
        """Append a table; a cell is text or a list of paragraph XML strings."""
        cols = max(len(r) for r in rows)
        width = 9000 // cols
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for _ in range(cols))
        trs = []
        for k, row in enumerate(rows):
            trpr = "<w:trPr><w:tblHeader/></w:trPr>" if header and k == 0 else ""
            tcs = []
            for c, cell in enumerate(row):
                shd = '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>' if shade == (k, c) else ""
                content = "".join(cell) if isinstance(cell, list) else self.para(cell)
                tcs.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shd}</w:tcPr>{content}</w:tc>')
            trs.append(f"<w:tr>{trpr}{''.join(tcs)}</w:tr>")
        jc_xml = f'<w:jc w:val="{jc}"/>' if jc else ""
        self.blocks.append(f'<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:w="0" w:type="auto"/>{jc_xml}'
                           f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(trs)}</w:tbl>')
        return self

    def block_control(self, tag: str, *paragraphs: str) -> Doc:
        k = self._id()
        self.blocks.append(f'<w:sdt><w:sdtPr><w:alias w:val="{esc(tag)}"/><w:tag w:val="{esc(tag)}"/><w:id w:val="{k}"/>'
                           f'</w:sdtPr><w:sdtContent>{"".join(paragraphs)}</w:sdtContent></w:sdt>')
        return self

    def raw(self, xml: str) -> Doc:
        self.blocks.append(xml)
        return self

    def header(self, text: str, kind: str = "default") -> Doc:
        self.headers[kind] = self.para(text, style="Header")
        return self

    def footer(self, *inline: str, kind: str = "default") -> Doc:
        self.footers[kind] = self.para(*inline, style="Footer")
        return self

    # -- the package -----------------------------------------------------------------------

    def sect_xml(self) -> str:
        refs = "".join(f'<w:headerReference w:type="{k}" r:id="rIdHdr{k}"/>' for k in self.headers)
        refs += "".join(f'<w:footerReference w:type="{k}" r:id="rIdFtr{k}"/>' for k in self.footers)
        s = self.sect
        orient = f' w:orient="{s["orient"]}"' if s["orient"] else ""
        m = s["margin"]
        title = "<w:titlePg/>" if "first" in self.headers or "first" in self.footers else ""
        return (f'<w:sectPr>{refs}<w:pgSz w:w="{s["w"]}" w:h="{s["h"]}"{orient}/><w:pgMar w:top="{m}" w:right="{m}" '
                f'w:bottom="{m}" w:left="{m}" w:header="720" w:footer="720" w:gutter="0"/>'
                f'<w:cols w:space="720"/>{title}<w:docGrid w:linePitch="360"/></w:sectPr>')

    def to_docx(self) -> bytes:
        import docx

        buf = io.BytesIO()
        docx.Document().save(buf)
        src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        parts: dict[str, bytes] = {n: src.read(n) for n in src.namelist()}
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        parts["word/document.xml"] = (f'{head}<w:document {NSDECL}><w:body>{"".join(self.blocks)}'
                                      f'{self.sect_xml()}</w:body></w:document>').encode()
        parts["word/numbering.xml"] = NUMBERING.encode()
        rels = etree.fromstring(parts["word/_rels/document.xml.rels"])
        ct = etree.fromstring(parts["[Content_Types].xml"])

        def rel(rid: str, kind: str, target: str, external: bool = False) -> None:
            el = etree.SubElement(rels, f"{{{PR}}}Relationship", Id=rid, Type=REL + kind, Target=target)
            if external:
                el.set("TargetMode", "External")

        def override(name: str, kind: str) -> None:
            etree.SubElement(ct, "{http://schemas.openxmlformats.org/package/2006/content-types}Override",
                             PartName="/" + name,
                             ContentType=f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml")

        def notes(kind: str, texts: list[str]) -> None:
            if not texts:
                return
            tag = kind[:-1]
            seps = (f'<w:{tag} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{tag}>'
                    f'<w:{tag} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
                    f'</w:r></w:p></w:{tag}>')
            body = "".join(
                f'<w:{tag} w:id="{k}"><w:p><w:pPr><w:pStyle w:val="{tag.title()}Text"/></w:pPr><w:r><w:rPr>'
                f'<w:rStyle w:val="{tag.title()}Reference"/></w:rPr><w:{tag}Ref/></w:r>{self.r(" " + t)}</w:p></w:{tag}>'
                for k, t in enumerate(texts, start=1))
            parts[f"word/{kind}.xml"] = f'{head}<w:{kind} {NSDECL}>{seps}{body}</w:{kind}>'.encode()
            rel(f"rId{kind}", kind, f"{kind}.xml")
            override(f"word/{kind}.xml", kind)

        notes("footnotes", self.footnotes)
        notes("endnotes", self.endnotes)
        if self.comments:
            body = "".join(f'<w:comment w:id="{k}" w:author="{esc(a)}" w:date="2026-05-04T09:30:00Z" w:initials="DW">'
                           f'<w:p><w:r><w:annotationRef/></w:r>{self.r(t)}</w:p></w:comment>'
                           for k, (a, t) in enumerate(self.comments))
            parts["word/comments.xml"] = f'{head}<w:comments {NSDECL}>{body}</w:comments>'.encode()
            rel("rIdComments", "comments", "comments.xml")
            override("word/comments.xml", "comments")
        for kind, store, tag in (("header", self.headers, "hdr"), ("footer", self.footers, "ftr")):
            for t, xml in store.items():
                name = f"word/{kind}_{t}.xml"
                parts[name] = f'{head}<w:{tag} {NSDECL}>{xml}</w:{tag}>'.encode()
                rel(f"rId{'Hdr' if kind == 'header' else 'Ftr'}{t}", kind, f"{kind}_{t}.xml")
                override(name, kind)
        for k, data in enumerate(self.media, start=1):
            parts[f"word/media/image{k}.png"] = data
            rel(f"rIdImg{k}", "image", f"media/image{k}.png")
        if self.media and not any(d.get("Extension") == "png" for d in ct):
            etree.SubElement(ct, "{http://schemas.openxmlformats.org/package/2006/content-types}Default",
                             Extension="png", ContentType="image/png")
        for k, url in enumerate(self.links, start=1):
            rel(f"rIdLink{k}", "hyperlink", url, external=True)
        parts["word/_rels/document.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8",
                                                               standalone=True)
        parts["[Content_Types].xml"] = etree.tostring(ct, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data)
        return out.getvalue()


#: numId 1: decimal clauses (1., 1.1., (a)); numId 2: bullets; numId 3: lower letters.
NUMBERING = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:numbering {NSDECL}>'
             '<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="multilevel"/>'
             '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>'
             '<w:pPr><w:ind w:left="360" w:hanging="360"/></w:pPr></w:lvl>'
             '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2."/>'
             '<w:pPr><w:ind w:left="792" w:hanging="432"/></w:pPr></w:lvl>'
             '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%3)"/>'
             '<w:pPr><w:ind w:left="1224" w:hanging="504"/></w:pPr></w:lvl></w:abstractNum>'
             '<w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/>'
             '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="\u2022"/>'
             '<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>'
             '<w:abstractNum w:abstractNumId="2"><w:multiLevelType w:val="hybridMultilevel"/>'
             '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1)"/>'
             '<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>'
             '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
             '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
             '<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num></w:numbering>')


# ---------------------------------------------------------------------------------------------
# reading any .docx: views and what they hold
# ---------------------------------------------------------------------------------------------

_TXBX = w("txbxContent")
_MARK_PARENTS = {w("rPr"), w("trPr"), f"{{{M}}}rPr"}


def _apply(root: etree._Element, view: str) -> None:
    """Apply tracked changes under ``root`` in place: ``view`` is "accept" or "reject"."""
    gone = {w("del"), w("moveFrom")} if view == "accept" else {w("ins"), w("moveTo")}
    kept = {w("ins"), w("moveTo")} if view == "accept" else {w("del"), w("moveFrom")}
    if view == "reject":
        marks = {w("ins"), w("del"), w("moveFrom"), w("moveTo")}
        kept_children = {"rPrChange": marks, "pPrChange": {w("rPr"), w("sectPr")}, "tblPrChange": set(),
                         "trPrChange": marks, "tcPrChange": {w("cellIns"), w("cellDel"), w("cellMerge")},
                         "sectPrChange": {w("headerReference"), w("footerReference")}, "tblGridChange": set()}
        for tag, props in (("rPrChange", "rPr"), ("pPrChange", "pPr"), ("tblPrChange", "tblPr"),
                           ("trPrChange", "trPr"), ("tcPrChange", "tcPr"), ("sectPrChange", "sectPr"),
                           ("tblGridChange", "tblGrid")):
            for change in list(root.iter(w(tag))):
                owner = change.getparent()
                if owner is None:
                    continue
                old = change.find(w(props))
                for c in list(owner):
                    if c.tag not in kept_children[tag]:
                        owner.remove(c)
                for c in (list(old) if old is not None else []):
                    owner.append(c)
        for t in list(root.iter(w("delText"))):
            t.tag = w("t")
        for t in list(root.iter(w("delInstrText"))):
            t.tag = w("instrText")
    for trpr in list(root.iter(w("trPr"))):
        if any(c.tag in gone for c in trpr):
            tr = trpr.getparent()
            if tr is not None and tr.getparent() is not None:
                tr.getparent().remove(tr)
    cell_gone = w("cellDel") if view == "accept" else w("cellIns")
    for mark in list(root.iter(cell_gone)):
        tc = mark.getparent().getparent()
        if tc is not None and tc.getparent() is not None:
            tc.getparent().remove(tc)
    joined = []
    for el in list(root.iter(*gone, *kept)):
        parent = el.getparent()
        if parent is None:
            continue
        if parent.tag in _MARK_PARENTS:
            owner = parent.getparent()
            if el.tag in gone:
                if parent.tag == w("rPr") and owner is not None and owner.tag == w("pPr"):
                    joined.append(owner.getparent())
                elif parent.tag == f"{{{M}}}rPr" and owner is not None and owner.getparent() is not None:
                    owner.getparent().remove(owner)
            parent.remove(el)
        elif el.tag in gone:
            parent.remove(el)
        else:
            index = parent.index(el)
            for k, c in enumerate(list(el)):
                parent.insert(index + k, c)
            parent.remove(el)
    for tag in ("rPrChange", "pPrChange", "tblPrChange", "trPrChange", "tcPrChange", "sectPrChange", "tblGridChange",
                "cellIns", "cellDel", "cellMerge", "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart",
                "moveToRangeEnd"):
        for el in list(root.iter(w(tag))):
            el.getparent().remove(el)
    # a paragraph whose mark is gone joins the next paragraph of its story
    for p in reversed(joined):
        if p is None or p.getparent() is None:
            continue
        box = next(p.iterancestors(_TXBX), None)
        story = box if box is not None else root
        paras = [x for x in story.iter(w("p")) if next(x.iterancestors(_TXBX), None) is box]
        k = paras.index(p)
        if k + 1 >= len(paras):
            continue
        nxt = paras[k + 1]
        ppr = nxt.find(w("pPr"))
        at = 1 if ppr is not None else 0
        for n, c in enumerate(x for x in p if x.tag != w("pPr")):
            nxt.insert(at + n, c)
        p.getparent().remove(p)


def _canon(el: etree._Element | None, skip: tuple[str, ...] = ()) -> str:
    if el is None:
        return ""
    out = []
    for c in sorted((c for c in el if isinstance(c.tag, str) and etree.QName(c).localname not in skip),
                    key=lambda c: etree.QName(c).localname):
        attrs = ",".join(f"{etree.QName(k).localname}={v}" for k, v in sorted(c.attrib.items())
                         if not etree.QName(k).localname.startswith("rsid") and etree.QName(k).localname != "id")
        out.append(f"{etree.QName(c).localname}[{attrs}]{{{_canon(c)}}}")
    return ";".join(out)


@dataclass
class Story:
    """What one story holds: paragraph lines with objects as tokens, and object counts."""

    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class View:
    """Every story of a package in one view, keyed by where it is (body, notes by reference)."""

    stories: dict[str, list[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)


class _Reader:
    """Reads a (changes applied) package into a View."""

    def __init__(self, parts: dict[str, etree._Element], rels: dict[str, dict[str, tuple[str, str]]],
                 numbering: etree._Element | None, digests: dict[str, str]) -> None:
        self.parts = parts
        self.digests = digests
        self.rels = rels
        self.view = View()
        self.boxes: list[etree._Element] = []
        self.refs: dict[str, list[str]] = {"footnote": [], "endnote": [], "comment": []}
        self.nums: dict[str, dict[str, str]] = {}
        if numbering is not None:
            abstract = {a.get(w("abstractNumId")): a for a in numbering.iter(w("abstractNum"))}
            for n in numbering.iter(w("num")):
                ref = n.find(w("abstractNumId"))
                a = abstract.get(ref.get(w("val")) if ref is not None else None)
                if a is not None:
                    self.nums[n.get(w("numId"))] = {
                        lv.get(w("ilvl")): f"{lv.find(w('numFmt')).get(w('val')) if lv.find(w('numFmt')) is not None else ''}"
                                          f" {lv.find(w('lvlText')).get(w('val')) if lv.find(w('lvlText')) is not None else ''}"
                        for lv in a.iter(w("lvl"))}

    def count(self, kind: str, n: int = 1) -> None:
        self.view.counts[kind] += n

    def paragraph(self, p: etree._Element, part: str, out: list[str]) -> None:
        ppr = p.find(w("pPr"))
        style = ""
        props = ""
        if ppr is not None:
            ps = ppr.find(w("pStyle"))
            style = ps.get(w("val")) if ps is not None else ""
            num = ppr.find(w("numPr"))
            if num is not None:
                nid = num.find(w("numId"))
                lvl = num.find(w("ilvl"))
                nid_v = nid.get(w("val")) if nid is not None else "0"
                lvl_v = lvl.get(w("val")) if lvl is not None else "0"
                props += "list=" + self.nums.get(nid_v, {}).get(lvl_v, nid_v) + ";"
            props += _canon(ppr, ("pStyle", "rPr", "sectPr", "numPr", "pPrChange"))
        text: list[tuple[str, str]] = []
        self.inline(p, part, text)
        line = " ".join("".join(t for t, _ in text).split())
        # formatting of every visible character, run-length coded (run boundaries do not matter)
        fmts: list[list[Any]] = []
        for t, fmt in text:
            for ch in t:
                if ch.isspace():
                    continue
                if fmts and fmts[-1][0] == fmt:
                    fmts[-1][1] += 1
                else:
                    fmts.append([fmt, 1])
        sig = ",".join(f"{f}{n}" for f, n in fmts if f)
        out.append(f"[{style}|{props}] {line}" + (f" || {sig}" if sig else ""))

    def run_format(self, r: etree._Element) -> str:
        rpr = r.find(w("rPr"))
        if rpr is None:
            return ""
        flags = []
        for tag in ("b", "i", "u", "strike"):
            el = rpr.find(w(tag))
            if el is not None and el.get(w("val"), "true") not in ("0", "false", "none"):
                flags.append(tag)
        return "".join(flags)

    def inline(self, el: etree._Element, part: str, text: list[tuple[str, str]]) -> None:
        for c in el:
            tag = c.tag if isinstance(c.tag, str) else ""
            local = etree.QName(c).localname if tag else ""
            if tag == w("r"):
                fmt = self.run_format(c)
                for x in c:
                    xl = etree.QName(x).localname if isinstance(x.tag, str) else ""
                    if xl == "t":
                        text.append((x.text or "", fmt))
                    elif xl == "tab":
                        text.append(("\t", ""))
                    elif xl in ("br", "cr"):
                        text.append((f"⟦br:{x.get(w('type'), 'line')}⟧", ""))
                    elif xl == "fldChar":
                        kind = x.get(w("fldCharType"))
                        if kind == "begin":
                            self.count("fields")
                        text.append((f"⟦fld-{kind}⟧", ""))
                    elif xl == "instrText":
                        text.append((f"⟦code:{' '.join((x.text or '').split())}⟧", ""))
                    elif xl in ("footnoteReference", "endnoteReference"):
                        kind = xl[:-9]
                        self.count(kind + "s")
                        self.refs[kind].append(x.get(w("id")))
                        text.append((f"⟦{kind}⟧", ""))
                    elif xl == "commentReference":
                        self.count("comment anchors")
                        self.refs["comment"].append(x.get(w("id")))
                        text.append(("⟦comment⟧", ""))
                    elif xl in ("drawing", "pict", "object", "AlternateContent"):
                        self.graphic(x, part, text)
                    elif xl in ("footnoteRef", "endnoteRef", "annotationRef", "separator", "continuationSeparator",
                                "sym", "noBreakHyphen", "softHyphen", "ptab"):
                        text.append((f"⟦{xl}⟧", ""))
            elif local in ("hyperlink", "fldSimple") and not _holds_anything(c):
                continue  # a link (field) left with no content: Word drops it
            elif local == "hyperlink":
                self.count("hyperlinks")
                rid = c.get(f"{{{R}}}id")
                target = self.rels.get(part, {}).get(rid or "", ("", ""))[1] + "#" + (c.get(w("anchor")) or "")
                text.append((f"⟦link:{target}⟧", ""))
                self.inline(c, part, text)
                text.append(("⟦/link⟧", ""))
            elif local == "fldSimple":  # the same field as the complex form: read alike
                self.count("fields")
                text.append(("⟦fld-begin⟧", ""))
                text.append((f"⟦code:{' '.join((c.get(w('instr')) or '').split())}⟧", ""))
                text.append(("⟦fld-separate⟧", ""))
                self.inline(c, part, text)
                text.append(("⟦fld-end⟧", ""))
            elif local == "sdt":
                self.count("content controls")
                tag_el = c.find(f"{w('sdtPr')}/{w('tag')}")
                text.append((f"⟦control:{tag_el.get(w('val')) if tag_el is not None else ''}⟧", ""))
                content = c.find(w("sdtContent"))
                if content is not None:
                    self.inline(content, part, text)
                text.append(("⟦/control⟧", ""))
            elif local in ("smartTag", "customXml", "bdo", "dir"):
                self.inline(c, part, text)
            elif local == "bookmarkStart":
                if c.get(w("name")) != "_GoBack":
                    self.count("bookmarks")
                    text.append((f"⟦bookmark:{c.get(w('name'))}⟧", ""))
            elif local == "commentRangeStart":
                self.count("comment anchors")
                text.append(("⟦comment-start⟧", ""))
            elif local == "commentRangeEnd":
                text.append(("⟦comment-end⟧", ""))
            elif local in ("oMath", "oMathPara"):
                self.count("math")
                text.append((f"⟦math:{''.join(t.text or '' for t in c.iter(f'{{{M}}}t'))}⟧", ""))
            elif local == "p":
                pass

    def graphic(self, x: etree._Element, part: str, text: list[tuple[str, str]]) -> None:
        choice = x.find(f"{{{MC}}}Choice") if etree.QName(x).localname == "AlternateContent" else None
        scope = choice if choice is not None else x
        box = next(scope.iter(_TXBX), None)
        if box is not None:
            self.count("text boxes")
            self.boxes.append(box)
            text.append(("⟦textbox⟧", ""))
            return
        targets = []
        for node in scope.iter():
            for k, v in node.attrib.items():
                if k in (f"{{{R}}}embed", f"{{{R}}}id", f"{{{R}}}link"):
                    target = self.rels.get(part, {}).get(v, ("", "?"))[1]
                    targets.append(self.digests.get(target, target))
        self.count("images")
        text.append((f"⟦image:{','.join(targets)}⟧", ""))

    def blocks(self, el: etree._Element, part: str, out: list[str]) -> None:
        for c in el:
            local = etree.QName(c).localname if isinstance(c.tag, str) else ""
            if local == "p":
                self.paragraph(c, part, out)
            elif local == "tbl" and c.find(w("tr")) is None:
                continue  # every row gone: the table is gone
            elif local == "sdt" and next(c.iter(w("p")), None) is None:
                continue  # a block content control whose paragraphs all went
            elif local == "tbl":
                self.count("tables")
                grid = _canon(c.find(w("tblGrid")))
                out.append(f"<table {_canon(c.find(w('tblPr')), ('tblPrChange',))} {grid}>")
                for tr in c.iter(w("tr")):
                    if next(tr.iterancestors(w("tbl"))) is not c:
                        continue
                    self.count("rows")
                    out.append(f"<row {_canon(tr.find(w('trPr')), ('trPrChange', 'ins', 'del', 'cnfStyle'))}>")
                    for tc in tr.iterchildren(w("tc")):
                        out.append(f"<cell {_canon(tc.find(w('tcPr')), ('tcPrChange', 'cnfStyle'))}>")
                        self.blocks(tc, part, out)
                out.append("</table>")
            elif local == "sdt":
                self.count("content controls")
                tag_el = c.find(f"{w('sdtPr')}/{w('tag')}")
                out.append(f"<control {tag_el.get(w('val')) if tag_el is not None else ''}>")
                content = c.find(w("sdtContent"))
                if content is not None:
                    self.blocks(content, part, out)
                out.append("</control>")
            elif local in ("customXml", "ins", "del", "moveFrom", "moveTo"):
                self.blocks(c, part, out)


def _holds_anything(el: etree._Element) -> bool:
    """Return whether an inline container still holds text or an object."""
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if local == "t" and node.text:
            return True
        if local in ("drawing", "pict", "object", "footnoteReference", "endnoteReference", "commentReference",
                     "fldChar", "tab", "br", "sym", "oMath"):
            return True
    return False


def _read_parts(data: bytes) -> tuple[dict[str, etree._Element], dict[str, dict[str, tuple[str, str]]],
                                      etree._Element | None, str, dict[str, str]]:
    z = zipfile.ZipFile(io.BytesIO(data))
    names = set(z.namelist())
    rels: dict[str, dict[str, tuple[str, str]]] = {}

    def rels_of(part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        found = {}
        if name in names:
            for r in etree.fromstring(z.read(name)):
                target = r.get("Target") or ""
                if r.get("TargetMode") != "External":
                    target = posixpath.normpath(posixpath.join(folder, target)) if not target.startswith("/") \
                        else target.lstrip("/")
                found[r.get("Id")] = (r.get("Type").rsplit("/", 1)[-1], target)
        return found

    main = "word/document.xml"
    parts = {main: etree.fromstring(z.read(main))}
    rels[main] = rels_of(main)
    numbering = None
    for kind, target in rels[main].values():
        if kind in ("footnotes", "endnotes", "comments", "header", "footer") and target in names:
            parts[target] = etree.fromstring(z.read(target))
            rels[target] = rels_of(target)
        elif kind == "numbering" and target in names:
            numbering = etree.fromstring(z.read(target))
    digests = {n: f"{zlib.crc32(z.read(n)):08x}" for n in names if n.startswith("word/media/")}
    return parts, rels, numbering, main, digests


def read_view(data: bytes, view: str | None = None) -> View:
    """Return what a .docx holds, every story, with its tracked changes accepted, rejected, or
    (None) read as they stand (for files without changes)."""
    parts, rels, numbering, main, digests = _read_parts(data)
    if view is not None:
        for root in parts.values():
            _apply(root, view)
    reader = _Reader(parts, rels, numbering, digests)
    body = parts[main].find(w("body"))
    lines: list[str] = []
    reader.blocks(body, main, lines)
    reader.view.stories["body"] = lines
    # sections, with the headers and footers each one shows (inherited from the one before)
    sects = [s for s in body.iter(w("sectPr")) if s.getparent().tag != w("sectPrChange")]
    effective: dict[tuple[str, str], str] = {}
    for k, s in enumerate(sects):
        reader.view.stories[f"section {k}"] = [_canon(s, ("headerReference", "footerReference", "sectPrChange"))]
        for ref in s:
            local = etree.QName(ref).localname
            if local in ("headerReference", "footerReference"):
                effective[(local[:6], ref.get(w("type")) or "default")] = rels[main].get(ref.get(f"{{{R}}}id"), ("", ""))[1]
        for (kind, t), target in sorted(effective.items()):
            if target in parts:
                out: list[str] = []
                reader.blocks(parts[target], target, out)
                text = [x for x in out if x.split("] ", 1)[-1].strip()]
                reader.view.stories[f"section {k} {kind} {t}"] = text
    for kind, part_kind in (("footnote", "footnotes"), ("endnote", "endnotes"), ("comment", "comments")):
        part = next((t for _, (k, t) in rels[main].items() if k == part_kind and t in parts), None)
        notes = {n.get(w("id")): n for n in parts[part].iter(w(kind))} if part else {}
        for n, ref in enumerate(reader.refs[kind]):
            note = notes.get(ref)
            out = []
            if note is not None:
                reader.blocks(note, part or main, out)
            reader.view.stories[f"{kind} {n + 1}"] = out
    k = 0
    while k < len(reader.boxes):
        out = []
        reader.blocks(reader.boxes[k], main, out)
        reader.view.stories[f"text box {k + 1}"] = out
        k += 1
    # a header, note or box with no text left is no story (Word shows nothing there)
    reader.view.stories = {k: v for k, v in reader.view.stories.items()
                           if k == "body" or any(x.split("] ", 1)[-1].strip() for x in v)}
    return reader.view


#: The objects whose counts must be kept in both views.
STRUCTURE = ("tables", "rows", "footnotes", "endnotes", "fields", "hyperlinks", "images", "text boxes", "math",
             "content controls", "bookmarks", "comment anchors")


@dataclass
class Verdict:
    """How a redline's views compare with OLD and NEW."""

    accept_ok: bool
    reject_ok: bool
    structure_ok: bool
    revisions: int
    differ: bool
    accept_diff: list[str] = field(default_factory=list)
    reject_diff: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.accept_ok and self.reject_ok


def _first_diff(got: View, want: View) -> list[str]:
    out = []
    for key in sorted(set(got.stories) | set(want.stories)):
        g, wnt = got.stories.get(key), want.stories.get(key)
        if g != wnt:
            if g is not None and wnt is not None:
                for k in range(max(len(g), len(wnt))):
                    a = g[k] if k < len(g) else "<none>"
                    b = wnt[k] if k < len(wnt) else "<none>"
                    if a != b:
                        out.append(f"{key}[{k}]: got {a[:200]!r} want {b[:200]!r}")
                        break
            else:
                out.append(f"{key}: got {g!r:.200} want {wnt!r:.200}")
    return out


def revision_count(data: bytes) -> int:
    """Return how many tracked changes a .docx carries, in every story."""
    parts = _read_parts(data)[0]
    tags = [w(t) for t in ("ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "tblPrChange", "trPrChange",
                           "tcPrChange", "sectPrChange")]
    return sum(1 for root in parts.values() for _ in root.iter(*tags))


def check(old: bytes, new: bytes, redline: bytes) -> Verdict:
    """Return whether accepting every change of ``redline`` gives NEW and rejecting gives OLD, in
    every story, with the counts of objects kept in both views."""
    want_new, want_old = read_view(new, "accept"), read_view(old, "accept")
    got_new, got_old = read_view(redline, "accept"), read_view(redline, "reject")
    a = got_new.stories == want_new.stories
    r = got_old.stories == want_old.stories
    structure = all(got_new.counts[k] == want_new.counts[k] and got_old.counts[k] == want_old.counts[k]
                    for k in STRUCTURE)
    return Verdict(a, r, structure, revision_count(redline), want_new.stories != want_old.stories,
                   _first_diff(got_new, want_new), _first_diff(got_old, want_old))

