"""The pack, built from real emailed forms with real LibreOffice, checked as a chair would see it."""

from __future__ import annotations

import email
import io
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from carepanel.jobs import packs
from carepanel.jobs.review import Review
from carepanel.office import Converter
from carepanel.demo.samples import north_somerset_form
from carepanel.service import Service, open_service
from carepanel.store import StoredSubmission
from test_intake_e2e import GOOD, NOW, SW, SW_ADDR, config_for, papers
from carepanel.demo import compose_email

pytestmark = pytest.mark.slow
PANEL_DATE = date(2026, 12, 2)


@pytest.fixture(scope="module")
def converter():
    with Converter(workers=2) as conv:
        yield conv


def pdf_report(text: str, pages: int = 2) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n in range(pages):
        c.drawString(72, 720, f"{text} page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def ingest_case(service: Service, n: int, team: str = "Children in Need Team 2", extra: list | None = None,
                status: str = "accepted") -> StoredSubmission:
    child = replace(GOOD.children[0], name=f"Child Number{n}", child_id=f"LCS70000{n}")
    case = replace(GOOD, children=(child,), social_worker=replace(SW, team=team))
    files = [("CRP request form.docx", north_somerset_form(case)),
             ("assessment.pdf", pdf_report(f"Assessment for LCS70000{n}"))] + papers()[1:] + (extra or [])
    raw = compose_email(SW, SW_ADDR, f"CRP request {n}", "Attached.", NOW - timedelta(hours=n + 1), files, f"<pack-{n}@example.gov.uk>")
    outcome = service.ingest_bytes(raw, source="test")
    assert outcome.submission and outcome.submission.status == status, outcome.submission and outcome.submission.flags
    return outcome.submission


@pytest.fixture
def service(tmp_path: Path):
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        yield svc


def text_of(reader: PdfReader, first: int, last: int) -> str:
    return "\n".join(reader.pages[i - 1].extract_text() or "" for i in range(first, last + 1))


def test_pack_has_an_outline_page_numbers_marking_and_each_case_holds_its_own_form(service: Service, converter) -> None:
    subs = [ingest_case(service, n, team="Team B" if n == 1 else "Team A") for n in range(3)]
    result = packs.build(service.cfg, service.store, service.processor.archive, PANEL_DATE, converter=converter)
    reader = PdfReader(result.path)
    assert len(reader.pages) == result.pages
    # Grouped by team, in order of receipt: Team A's two cases (received first: n=2 then n=0), then Team B.
    order = [c["submission_id"] for c in result.to_json()["cases"]]
    assert order == [subs[2].id, subs[0].id, subs[1].id]
    assert [c["slot"] for c in result.to_json()["cases"]] == ["13:30", "13:50", "14:10"]
    for row, n in zip(result.cases, (2, 0, 1)):
        first, last = row["pages"]
        own = text_of(reader, first, last)
        assert f"LCS70000{n}" in own
        assert not any(f"LCS70000{m}" in own for m in range(3) if m != n)
    # Outline: "Agenda", then one entry per case with one child per document.
    outline = reader.outline
    titles = [o.title for o in outline if not isinstance(o, list)]
    assert titles[0] == "Agenda" and titles[1].startswith("13:30 New request – C.N. (LCS700002)")
    children = outline[2]
    assert [c.title.split(":")[0] for c in children] == ["Request form", "Assessment", "Care plan", "Genogram"]
    # Every page: the marking and "Page X of Y"; labels are the printed numbers.
    for i, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in text and f"Page {i} of {result.pages}" in text
    assert [reader.page_labels[i] for i in (0, result.pages - 1)] == ["1", str(result.pages)]
    # The cover's rows link to each case's first page.
    links = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    page_of = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages, start=1)}
    targets = sorted(page_of[a["/Dest"][0].idnum] for a in links)
    assert targets == sorted(r["pages"][0] for r in result.cases)
    cover = reader.pages[0].extract_text()
    assert "13:30" in cover and "Team A" in cover and "Child Number" not in cover  # initials only on the cover


def test_a_document_that_cannot_be_read_is_listed_with_the_reason(service: Service, converter) -> None:
    broken = ("care-plan-draft.docx", b"PK\x03\x04" + b"not really a zip" * 10)
    sub = ingest_case(service, 5, extra=[broken], status="flagged")
    # The administrator lists it anyway (the review queue's "accept" action).
    Review(service.cfg, service.store, service.processor.directory, actor="pat.admin@example.gov.uk").accept(
        sub.id, reason="listed; the draft care plan follows")
    result = packs.build(service.cfg, service.store, service.processor.archive, PANEL_DATE, converter=converter)
    reader = PdfReader(result.path)
    assert any("care-plan-draft.docx" in w for w in result.warnings)
    whole = text_of(reader, 1, result.pages)
    assert "could not be included" in whole and "care-plan-draft.docx" in whole


def test_first_page_renders_as_an_a4_image(service: Service, converter, tmp_path: Path) -> None:
    ingest_case(service, 1)
    result = packs.build(service.cfg, service.store, service.processor.archive, PANEL_DATE, converter=converter)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(result.path), str(tmp_path / "cover")], check=True)
    [png] = list(tmp_path.glob("cover*.png"))
    data = png.read_bytes()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.02
    assert len(data) > 3000  # not a blank page


def sent_mail(service: Service) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(service.cfg.outbox.path.glob("*.eml"))]


@pytest.mark.parametrize("papers_out_utc, panel_date", [
    (datetime(2026, 3, 30, 11, 0, tzinfo=timezone.utc), date(2026, 4, 1)),  # Monday noon in BST
    (datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc), date(2026, 12, 2)),  # Monday noon in GMT
])
def test_papers_go_out_at_the_right_london_time_across_a_clock_change(tmp_path: Path, papers_out_utc: datetime,
                                                                     panel_date: date) -> None:
    now = {"t": papers_out_utc - timedelta(days=6)}
    with open_service(config_for(tmp_path), clock=lambda: now["t"]) as svc:
        raw = compose_email(SW, SW_ADDR, "CRP request", "Attached.", now["t"],
                            [("CRP request form.docx", north_somerset_form(replace(GOOD, panel_date=panel_date)))] + papers(),
                            "<sched-1@example.gov.uk>")
        sub = svc.ingest_bytes(raw, source="test").submission
        assert sub.panel_date == panel_date.isoformat() and sub.status == "accepted"
        now["t"] = papers_out_utc - timedelta(minutes=1)
        assert svc.send_due_papers() == []
        now["t"] = papers_out_utc
        assert svc.send_due_papers() == [panel_date]
        assert svc.send_due_papers() == []  # once only
        mails = sent_mail(svc)
    pack_mail = [m for m in mails if "papers –" in str(m["Subject"])]
    slot_mail = [m for m in mails if "your time is 13:30" in str(m["Subject"])]
    admin_mail = [m for m in mails if "papers sent for" in str(m["Subject"])]
    assert len(pack_mail) == 1 and len(slot_mail) == 1 and len(admin_mail) == 1
    assert admin_mail[0]["To"].addresses[0].addr_spec == "pat.admin@example.gov.uk"
    assert sorted(pack_mail[0]["To"].addresses[i].addr_spec for i in range(2)) == ["chris.member@example.gov.uk", "dana.chair@example.gov.uk"]
    [attachment] = list(pack_mail[0].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert slot_mail[0]["To"].addresses[0].addr_spec == SW_ADDR


def test_resending_after_a_change_is_marked_as_a_revision_and_a_large_pack_goes_as_a_link(tmp_path: Path) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        ingest_case(svc, 1)
        first = packs.send(svc.cfg, svc.store, svc.processor.archive, svc.processor.directory, PANEL_DATE)
        small = replace(svc.cfg, pack=replace(svc.cfg.pack, max_email_mb=0.001))
        again = packs.send(small, svc.store, svc.processor.archive, svc.processor.directory, PANEL_DATE, rebuild=True)
        svc.deliver_due()
        mails = sent_mail(svc)
    assert (first["revision"], first["as_link"], again["revision"], again["as_link"]) == (1, False, 2, True)
    revised = [m for m in mails if str(m["Subject"]).startswith("REVISION 2:")]
    assert len(revised) == 2  # the pack and the slot notice
    body = next(m for m in revised if "papers –" in str(m["Subject"])).get_body().get_content()
    assert "/panels/2026-12-02/pack" in body and not list(revised[0].iter_attachments())


def test_a_pack_too_large_to_email_can_be_split_between_cases(tmp_path: Path) -> None:
    with open_service(config_for(tmp_path), clock=lambda: NOW) as svc:
        for n in range(3):
            ingest_case(svc, n)
        cfg = replace(svc.cfg, pack=replace(svc.cfg.pack, too_large="split", max_email_mb=0.03))
        result = packs.send(cfg, svc.store, svc.processor.archive, svc.processor.directory, PANEL_DATE)
        svc.deliver_due()
        mails = [m for m in sent_mail(svc) if "papers –" in str(m["Subject"])]
    assert result["parts"] == len(mails) > 1
    seen = set()
    for mail in mails:
        [pdf] = list(mail.iter_attachments())
        reader = PdfReader(io.BytesIO(pdf.get_content()))
        assert "13:30" in reader.pages[0].extract_text()  # each part opens with the agenda
        text = "\n".join(page.extract_text() for page in reader.pages[1:])
        seen |= {n for n in range(3) if f"LCS70000{n}" in text}
    assert seen == {0, 1, 2}


def test_a_council_that_sends_its_packs_by_hand_gets_no_automatic_pack_and_is_told_when_it_is_late(tmp_path: Path) -> None:
    from carepanel.jobs import health

    papers_out = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    now = {"t": NOW}
    cfg = config_for(tmp_path)
    cfg = replace(cfg, pack=replace(cfg.pack, send_automatically=False))
    with open_service(cfg, clock=lambda: now["t"]) as svc:
        ingest_case(svc, 1)
        now["t"] = papers_out + timedelta(hours=2)
        assert svc.send_due_papers() == []
        assert svc.store.packs(PANEL_DATE) == []
        assert health.status(cfg, lambda: now["t"])["overdue"]["papers"] == 1
        packs.send(svc.cfg, svc.store, svc.processor.archive, svc.processor.directory, PANEL_DATE)  # by hand
        assert health.status(cfg, lambda: now["t"])["overdue"]["papers"] == 0
