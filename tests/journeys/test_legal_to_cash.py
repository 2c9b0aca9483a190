"""One contract from draft to cash, as legal, the counterparty, two signers and finance walk it.

Legal drafts from the library (no approval needed for clm's own templates), the counterparty
returns the .docx with tracked changes (their author kept), legal compares and sends the DOCX
redline back, approves the deviation and sends it for signature; two signers sign in order with
a cc; afterwards the contract page, compare, terms and finance all still read the signed
contract, the order is dated on the day it was signed, and the renewal reminder cron mails once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tests.clauses.test_library import SAMPLE_VALUES
from tests.journeys.conftest import USERS, Installation, sign_as_signer, sign_in, sign_out, watch_console

pytestmark = [pytest.mark.journey, pytest.mark.browser]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
COUNSEL = "Dana Whitfield"
ADDED = " Recipient may disclose Confidential Information to its auditors and regulators without notice to Discloser."


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _run(text: str, props: etree._Element | None, *, deleted: bool = False) -> etree._Element:
    run = etree.Element(_q("r"))
    if props is not None:
        run.append(etree.fromstring(etree.tostring(props)))
    node = etree.SubElement(run, _q("delText" if deleted else "t"))
    node.text = text
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def counterparty_edits(data: bytes, author: str, when: dt.datetime) -> bytes:
    """Return the .docx ``data`` as the counterparty's counsel sends it back, with Word's tracked changes:
    "three (3) years" replaced by "five (5) years", and a sentence added to the use-and-disclosure paragraph."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = iter(range(9001, 9100))

    def revision(kind: str, *runs: etree._Element) -> etree._Element:
        element = etree.Element(_q(kind))
        element.set(_q("id"), str(next(ids)))
        element.set(_q("author"), author)
        element.set(_q("date"), stamp)
        element.extend(runs)
        return element

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = {info.filename: package.read(info.filename) for info in package.infolist()}
    root = etree.fromstring(members["word/document.xml"])
    replaced = appended = False
    for paragraph in root.iter(_q("p")):
        text = "".join(t.text or "" for t in paragraph.iter(_q("t")))
        if "These obligations last for three (3) years" in text and not replaced:
            for run in paragraph.findall(_q("r")):
                node = run.find(_q("t"))
                if node is None or "three (3)" not in (node.text or ""):
                    continue
                before, after = node.text.split("three (3)", 1)
                props = run.find(_q("rPr"))
                parent, at = run.getparent(), run.getparent().index(run)
                parent.remove(run)
                pieces = [_run(before, props), revision("del", _run("three (3)", props, deleted=True)),
                          revision("ins", _run("five (5)", props)), _run(after, props)]
                for offset, piece in enumerate(pieces):
                    parent.insert(at + offset, piece)
                replaced = True
                break
        if text.startswith("The Recipient will use the Discloser's Confidential Information") and not appended:
            last = paragraph.findall(_q("r"))[-1]
            paragraph.append(revision("ins", _run(ADDED, last.find(_q("rPr")))))
            appended = True
    assert replaced and appended, "the drafted MSA no longer has the paragraphs this journey edits"
    members["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name, content)
    return out.getvalue()


def _accepted_text(docx: bytes) -> str:
    """The text Word shows with every tracked change accepted (inserted kept, deleted dropped)."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    return "".join(node.text or "" for node in root.iter(_q("t")))


def _authors(docx: bytes) -> set[str]:
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    return {element.get(_q("author")) for kind in ("ins", "del") for element in root.iter(_q(kind))}


def _terms(start: dt.date, signed_on: dt.date) -> dict[str, object]:
    """A 12-month subscription from ``start``, billed annually in advance, and an implementation."""
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    return {"currency": "USD", "signed_on": signed_on.isoformat(), "payment_terms_days": 30,
            "lines": [{"id": "saas", "description": "Subscription", "price": "120000.00", "ssp": "130000.00",
                       "recognition": "ratable", "start": start.isoformat(), "end": end.isoformat(),
                       "billing": {"frequency": "annual", "timing": "advance"}},
                      {"id": "impl", "description": "Implementation", "price": "15000.00", "ssp": "20000.00",
                       "recognition": "point_in_time", "satisfied_on": (start + dt.timedelta(days=45)).isoformat(),
                       "billing": {"frequency": "once", "timing": "advance"}}],
            "renewal": {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P60D",
                        "price_increase_cap": "5"}}


def test_draft_negotiate_approve_sign_and_bill(clm_site: Installation, page, phone, tmp_path: Path) -> None:
    site = clm_site
    errors = watch_console(page)
    today = dt.datetime.now(dt.UTC).date()

    # -- Legal drafts the MSA in the browser: clm's own template needs no approval. --------------
    sign_in(page, site, "legal")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Draft").click()
    page.get_by_role("link", name="Master Subscription Agreement", exact=True).click()
    page.get_by_label("Customer's legal name").fill("Contoso Retail LLC")
    page.get_by_label("Customer's entity type and place of organization").fill("a New York limited liability company")
    page.get_by_label("Effective date").fill(today.isoformat())
    page.get_by_role("button", name="Create contract").click()
    page.wait_for_url(re.compile(rf"{re.escape(site.url)}/contracts/\d+$"))
    contract_url = page.url
    contract_id = int(contract_url.rsplit("/", 1)[1])
    assert page.locator("table.clauses tr.review").count() == 0, page.locator("table.clauses").inner_text()
    page.get_by_role("tab", name="Signature").click()
    assert page.get_by_role("link", name="Send for signature").is_visible()

    # The other templates, drafted from a script, need none either.
    for template in ("order_form", "mutual_nda"):
        values = tmp_path / f"{template}.json"
        values.write_text(json.dumps(SAMPLE_VALUES[template], default=str))
        drafted = site.clm("draft", template, "--vars", str(values), "-o", str(tmp_path / f"{template}.docx"),
                           "--store", "--author", USERS["legal"])
        other = int(re.search(r"contract (\d+) version 1", drafted.stdout).group(1))
        review = site.api("legal").get(f"{site.url}/api/v1/contracts/{other}/clauses", timeout=60).json()
        assert review["pending"] == 0, (template, [c for c in review["clauses"] if c["pending"]])

    # -- The counterparty's counsel returns the .docx with tracked changes. ----------------------
    page.get_by_role("tab", name="Versions").click()
    with page.expect_download() as download:
        page.locator("table.versions").get_by_role("link", name="Download").first.click()
    ours = Path(download.value.path()).read_bytes()
    theirs = tmp_path / "contoso-comments.docx"
    theirs.write_bytes(counterparty_edits(ours, COUNSEL, dt.datetime.now(dt.UTC)))
    page.get_by_label("File").set_input_files(str(theirs))
    page.get_by_label("From").select_option("counterparty")
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_role("status").inner_text() == "Version 2 stored."
    versions = page.locator("table.versions tbody tr")
    assert "3 tracked changes" in versions.nth(0).inner_text()

    # Their changes are theirs: the version page names their author, not the uploader.
    page.get_by_role("link", name="v2", exact=True).click()
    changes = page.locator("table.revisions")
    assert COUNSEL in changes.inner_text() and USERS["legal"] not in changes.inner_text()
    assert "auditors and regulators" in page.locator("article.document").inner_text()

    # -- Compare, and the DOCX redline to send back. ----------------------------------------------
    page.goto(f"{contract_url}?tab=redline")
    page.get_by_label("Compare", exact=True).select_option("1")
    page.get_by_label("with", exact=True).select_option("2")
    page.get_by_role("button", name="Show redline").click()
    page.wait_for_url(f"**/contracts/{contract_id}/compare?from=1&to=2")
    inline = page.locator("#rl-inline")
    assert inline.locator("ins").filter(has_text="auditors and regulators").count() >= 1
    assert inline.locator("del").filter(has_text="three").count() >= 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download DOCX with tracked changes").click()
    redline = Path(download.value.path()).read_bytes()
    assert "auditors and regulators" in _accepted_text(redline)
    assert COUNSEL in _authors(redline)  # their revisions keep their author

    # -- The deviation is approved; the contract goes out for signature. ------------------------
    page.goto(f"{contract_url}?tab=clauses")
    row = page.locator("table.clauses tr.review")
    assert row.count() == 1 and "Confidentiality" in row.inner_text()
    row.locator("summary").click()
    row.get_by_label("Comment on Confidentiality").fill("Five years and regulators: agreed on the call")
    row.get_by_role("button", name="Approve Confidentiality").click()
    assert page.get_by_role("status").inner_text() == "Clause approved."
    sign_out(page)

    # Finance attaches the commercial terms before signature.
    sign_in(page, site, "finance")
    page.goto(f"{site.url}/contracts/{contract_id}/commercial-terms")
    start = today.replace(day=1)
    page.get_by_text("Advanced: the terms as JSON").click()
    page.get_by_label("Terms (JSON)").fill(json.dumps(_terms(start, signed_on=start - dt.timedelta(days=20))))
    page.get_by_role("button", name="Save JSON").click()
    assert page.locator(".error").count() == 0, page.locator(".error").inner_text()
    sign_out(page)

    sign_in(page, site, "legal")
    page.goto(f"{contract_url}?tab=signature")
    page.get_by_role("link", name="Send for signature").click()
    for i, (name, address, role, order) in enumerate([
            ("Lee Legal", "lee.signer@northwind.example", "signer", 1),
            ("Carla Contoso", "carla@contoso.example", "signer", 2),
            ("Ada Archive", "archive@contoso.example", "cc", 3)]):
        page.locator(f"#name-{i}").fill(name)
        page.locator(f"#email-{i}").fill(address)
        page.locator(f"#role-{i}").select_option(role)
        page.locator(f"#order-{i}").fill(str(order))
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/envelopes/\d+$"))
    assert "sent" in page.locator("body").inner_text()
    sign_out(page)
    assert errors == [], errors

    # -- Signers, in order: the second has no link until the first has signed. -------------------
    assert site.links_for("carla@contoso.example") == []
    signer = phone  # they sign on their phones
    (first,) = site.links_for("lee.signer@northwind.example")
    assert sign_as_signer(signer, first, "Lee Legal").startswith("Thank you, Lee Legal")
    (second,) = site.links_for("carla@contoso.example")
    assert sign_as_signer(signer, second, "Carla Contoso").startswith("Thank you, Carla Contoso")
    completed = [m for m in site.mail() if str(m["Subject"]).startswith("Completed")]
    assert {str(m["To"]) for m in completed} >= {"lee.signer@northwind.example", "carla@contoso.example",
                                                 "archive@contoso.example"}
    sealed = next(part.get_content() for part in completed[0].iter_attachments())
    (tmp_path / "signed.pdf").write_bytes(sealed)
    verdict = site.clm("verify", str(tmp_path / "signed.pdf"))
    assert "valid" in verdict.stdout.lower()
    sweep = site.clm("signing", "sweep")  # cron: nothing was left for it to finish
    assert "completed 0" in sweep.stdout
    # A signer who opens the used link again is not shown a form to sign twice.
    signer.goto(first)
    assert signer.get_by_role("button", name="Finish").count() == 0

    # -- After signature: everything still reads the signed contract. -----------------------------
    sign_in(page, site, "legal")
    page.goto(contract_url)
    assert "executed" in page.locator(".pagehead").inner_text()
    assert "signed" in page.locator("table.versions tbody tr").nth(0).inner_text()
    page.get_by_role("tab", name="Terms").click()
    terms_panel = page.locator("#terms").inner_text()
    assert "New York" in terms_panel or "Delaware" in terms_panel, terms_panel
    page.get_by_role("tab", name="Redline").click()
    page.get_by_label("Compare", exact=True).select_option("1")
    page.get_by_label("with", exact=True).select_option("3")
    page.get_by_role("button", name="Show redline").click()
    page.wait_for_url(f"**/contracts/{contract_id}/compare?from=1&to=3")
    assert page.locator("#rl-inline").locator("ins").filter(has_text="auditors and regulators").count() >= 1
    sign_out(page)

    finance = site.api("finance")
    terms = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/terms", timeout=60).json()
    assert terms["extracted"], terms
    assert "governing_law" in terms["extracted"]
    cron = site.clm("downstream", "process")
    assert "Processed 0 of 0" in cron.stdout  # the signing request processed it already
    order = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/order", timeout=60).json()
    assert order["signed_on"] == today.isoformat()  # the day of the last signature, not the terms' date
    assert Decimal(order["total"]) == Decimal("135000.00")
    billing = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/billing", timeout=60).json()
    # The subscription bills on its start date; the implementation, due on signature, on the day signed.
    assert {i["date"] for i in billing["invoices"]} == {start.isoformat(), today.isoformat()}
    assert sum(Decimal(i["total"]) for i in billing["invoices"]) == Decimal("135000.00")
    revenue = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/revenue", timeout=60).json()
    assert sum(Decimal(r["amount"]) for r in revenue["schedule"]) == Decimal("135000.00")
    sign_in(page, site, "finance")
    page.goto(f"{site.url}/finance")
    assert page.get_by_role("heading", name=re.compile("Renewals")).count() >= 1
    page.goto(f"{site.url}/finance/contracts")
    assert "Contoso Retail LLC" in page.locator("table").first.inner_text()

    # -- The issue cron issues the invoice due today; finance records the wire on the Finance tab. --
    site.clm("downstream", "issue", "--today", today.isoformat())
    invoices = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/billing", timeout=60).json()["invoices"]
    due = next(i for i in invoices if i["seller_number"])
    page.goto(f"{site.url}/contracts/{contract_id}?tab=finance")
    page.locator("#payment-invoice").select_option(due["seller_number"])
    page.get_by_label("Amount received").fill(f"{Decimal(due['total_due']):,.2f}")  # as typed: "1,234.00"
    page.get_by_label("Received on").fill(today.isoformat())
    page.get_by_label("Bank reference (optional)").fill("WIRE-0001")
    page.get_by_role("button", name="Record payment").click()
    page.wait_for_load_state()
    assert f"against {due['seller_number']} recorded" in page.get_by_role("status").first.inner_text()
    paid = page.locator("table.payments").inner_text()
    assert due["seller_number"] in paid and "WIRE-0001" in paid
    aging = finance.get(f"{site.url}/api/v1/receivables?as_of={today.isoformat()}", timeout=60).json()["receivables"]
    assert due["seller_number"] not in [r["invoice"] for r in aging]  # paid in full: nothing outstanding

    # -- The renewal reminder cron mails once for the notice deadline. ---------------------------
    renewal = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/renewal", timeout=60).json()
    deadline = dt.date.fromisoformat(renewal["notice_deadline"])
    reminder_day = (deadline - dt.timedelta(days=30)).isoformat()
    first_run = site.clm("renewals", "remind", "--today", reminder_day)
    assert "Sent 1 renewal reminder(s)." in first_run.stderr, first_run.stderr
    again = site.clm("renewals", "remind", "--today", reminder_day)
    assert "Sent 0 renewal reminder(s)." in again.stderr
    reminders = [m for m in site.mail() if "renew" in str(m["Subject"]).lower()]
    assert len(reminders) >= 1 and all(str(contract_id) in m.get_body().get_content() or "Contoso" in
                                       m.get_body().get_content() for m in reminders)
    audit = site.clm("audit", "check")
    assert "no edited, deleted or reordered evidence" in audit.stdout
