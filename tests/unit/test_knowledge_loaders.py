"""Knowledge loaders: HTML pages, FAQ tables, PDF manuals, JSON variants and folder-level error reporting."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from knowledge.chunking import chunk_article
from knowledge.loaders import (
    LOADERS,
    JsonFields,
    LoadError,
    TableColumns,
    abcd_guideline_fields,
    abcd_guideline_text,
    doc2dial_fields,
    load_abcd_guidelines,
    load_csv,
    load_folder,
    load_html,
    load_json,
    load_json_with,
    load_markdown,
    load_pdf,
    load_table_with,
    load_xlsx,
    normalise_lang,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

HELP_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8">
<title>Reset your password – Acme Help Center</title>
<meta property="og:title" content="Reset your password">
<link rel="canonical" href="https://help.acme.test/articles/123">
<meta name="article-id" content="kb-123">
<meta property="article:modified_time" content="2025-03-01">
</head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. Accept all cookies</div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/products">Browse the product catalogue</a></li>
<li><a href="/contact">Contact our sales team</a></li></ul></nav></header>
<main><article>
<h1>Reset your password</h1>
<p>If you forgot your password, you can reset it from the sign-in page in a few minutes.</p>
<h2>Before you start</h2>
<p>Make sure you can access the email address linked to your account, because the reset link is sent there.</p>
<h2>Steps</h2>
<ol><li>Open the sign-in page and choose <strong>Forgot password</strong>.</li>
<li>Enter your email address and submit the form.</li><li>Follow the link in the email within 24 hours.</li></ol>
<h3>If the email does not arrive</h3>
<p>Check your spam folder, then ask support to resend the link after fifteen minutes.</p>
</article></main>
<aside><h4>Related articles</h4><ul><li><a href="/a/9">Change your username settings</a></li></ul></aside>
<footer><p>© 2025 Acme Corporation. All rights reserved. Privacy policy and terms of service.</p></footer>
</body></html>
"""

KOREAN_PAGE = """<html lang="ko-KR"><head><meta charset="utf-8"><title>환불 안내 | 고객센터</title></head><body>
<div class="cookie-notice">이 사이트는 쿠키를 사용합니다. 동의하시겠습니까?</div>
<nav><a href="/">홈으로 이동</a> <a href="/faq">자주 묻는 질문 목록</a></nav>
<article><h1>환불 안내</h1><p>주문 취소 후 영업일 기준 3일 이내에 환불이 처리됩니다. 카드 결제는 카드사 사정에 따라 더 걸릴 수 있습니다.</p>
<h2>부분 환불</h2><p>여러 상품 중 일부만 취소하면 해당 상품 금액만 환불됩니다. 배송비는 주문 조건에 따라 달라집니다.</p></article>
<footer>회사 소개 · 이용약관 · 개인정보처리방침</footer></body></html>
"""


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, an optional /Title in the info dictionary."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops = "".join(f"BT /F1 12 Tf 72 {720 - 18 * i} Td ({line}) Tj ET\n" for i, line in enumerate(lines))
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}endstream")
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    if title:
        objects.append(f"<< /Title ({title}) >>")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


MANUAL_PAGES = [
    ["Router Setup Guide", "Press the reset button for ten seconds to restore factory settings."],
    ["Wall mounting", "Use the two screws in the box and keep the antennas upright."],
]


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write text or bytes to `path` and return it."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    return path


def _jsonl(*records: dict) -> str:
    """Records as JSON Lines."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def shared_file(*parts: str) -> Path:
    """A file under the shared data folder; skip when absent, but fail on CI where it must exist."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"shared data file {path} is absent"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true requires it)")
        pytest.skip(f"{message}; place the shared folder beside the repository to run this test")
    return path


# --- HTML ---------------------------------------------------------------------------------------


def test_html_loader_keeps_body_headings_and_drops_boilerplate(tmp_path):
    [article] = load_html(write(tmp_path / "reset.html", HELP_PAGE))
    assert "## Before you start" in article.text
    assert "### If the email does not arrive" in article.text
    assert "reset it from the sign-in page" in article.text
    for boilerplate in ("cookies", "product catalogue", "sales team", "All rights reserved", "Related articles"):
        assert boilerplate not in article.text


def test_html_loader_reads_page_metadata(tmp_path):
    [article] = load_html(write(tmp_path / "reset.html", HELP_PAGE))
    assert article.id == "kb-123"
    assert article.title == "Reset your password"
    assert article.url == "https://help.acme.test/articles/123"
    assert article.lang == "en"
    assert article.updated == "2025-03-01"
    assert article.source == "reset.html"


def test_html_loader_output_chunks_into_sections(tmp_path):
    [article] = load_html(write(tmp_path / "reset.html", HELP_PAGE))
    sections = {chunk.section for chunk in chunk_article(article)}
    assert {"Before you start", "Steps", "Steps > If the email does not arrive"} <= sections


def test_html_loader_normalises_korean_lang_tag_and_uses_stem_id(tmp_path):
    [article] = load_html(write(tmp_path / "refund-ko.htm", KOREAN_PAGE))
    assert article.lang == "ko"
    assert article.id == "refund-ko"
    assert article.title == "환불 안내"
    assert "## 부분 환불" in article.text
    assert "쿠키" not in article.text and "이용약관" not in article.text and "홈으로" not in article.text


def test_html_loader_detects_language_without_lang_attribute(tmp_path):
    page = KOREAN_PAGE.replace(' lang="ko-KR"', "")
    [article] = load_html(write(tmp_path / "refund.html", page))
    assert article.lang == "ko"


def test_html_loader_title_falls_back_to_h1_and_url_to_og_url(tmp_path):
    page = HELP_PAGE.replace('<meta property="og:title" content="Reset your password">', "").replace(
        '<link rel="canonical" href="https://help.acme.test/articles/123">',
        '<meta property="og:url" content="https://help.acme.test/og/123">',
    )
    [article] = load_html(write(tmp_path / "reset.html", page))
    assert article.title == "Reset your password"
    assert article.url == "https://help.acme.test/og/123"


def test_html_loader_title_falls_back_to_title_tag(tmp_path):
    page = HELP_PAGE.replace('<meta property="og:title" content="Reset your password">', "")
    page = page.replace("<h1>Reset your password</h1>", "")
    [article] = load_html(write(tmp_path / "reset.html", page))
    assert article.title == "Reset your password – Acme Help Center"


def test_html_loader_rejects_page_without_main_content(tmp_path):
    page = "<html><body><nav><ul><li><a href='/'>Home</a></li></ul></nav><footer><p>Copyright Acme</p></footer></body></html>"
    with pytest.raises(LoadError, match="no main content found"):
        load_html(write(tmp_path / "empty.html", page))


# --- CSV / XLSX ---------------------------------------------------------------------------------


def test_csv_loader_reads_rows_with_aliased_headers(tmp_path):
    csv_text = (
        "ID,Question,Answer,Tags,URL\n"
        "faq-1,How long do refunds take?,Refunds take five business days.,\"billing, refunds\",https://x.test/1\n"
        ",Can I change my address?,\"Yes, from the account page.\nIt takes effect at once.\",,\n"
    )
    articles = load_csv(write(tmp_path / "faq.csv", csv_text))
    assert [a.id for a in articles] == ["faq-1", "faq-3"]
    assert articles[0].title == "How long do refunds take?"
    assert articles[0].text == "Refunds take five business days."
    assert articles[0].tags == ["billing", "refunds"]
    assert articles[0].url == "https://x.test/1"
    assert "takes effect at once" in articles[1].text
    assert articles[0].source == "faq.csv"


def test_csv_loader_reads_cp949_korean_export(tmp_path):
    csv_text = "질문,답변,언어\n환불은 언제 되나요?,영업일 기준 3일 이내에 환불됩니다.,ko-KR\n배송비는 얼마인가요?,기본 배송비는 3천 원입니다.,\n"
    articles = load_csv(write(tmp_path / "자주묻는질문.csv", csv_text, encoding="cp949"))
    assert [a.title for a in articles] == ["환불은 언제 되나요?", "배송비는 얼마인가요?"]
    assert [a.lang for a in articles] == ["ko", "ko"]


def test_csv_loader_accepts_utf8_bom_and_semicolons(tmp_path):
    articles = load_csv(write(tmp_path / "faq.csv", "Q;A\nDo you ship abroad?;Yes, to 40 countries.\n", encoding="utf-8-sig"))
    assert [(a.title, a.text) for a in articles] == [("Do you ship abroad?", "Yes, to 40 countries.")]


def test_csv_loader_rejects_unknown_encoding(tmp_path):
    path = write(tmp_path / "faq.csv", "question,answer\nWhy?,Because.\n", encoding="utf-16")
    with pytest.raises(LoadError, match="not UTF-8 or CP949 text"):
        load_csv(path)


def test_csv_loader_names_found_columns_when_required_missing(tmp_path):
    path = write(tmp_path / "faq.csv", "Frage,Antwort\nWarum?,Darum.\n")
    with pytest.raises(LoadError, match=r"missing column\(s\) question, answer; columns found: 'Frage', 'Antwort'"):
        load_csv(path)


def test_csv_loader_uses_configured_columns(tmp_path):
    path = write(tmp_path / "faq.csv", "Frage,Antwort,Kennung\nWarum?,Darum.,de-1\n")
    columns = TableColumns(question="frage", answer="ANTWORT", id="Kennung")
    assert [(a.id, a.title) for a in load_csv(path, columns)] == [("de-1", "Warum?")]
    assert [a.id for a in load_table_with(columns)(path)] == ["de-1"]


def test_csv_loader_skips_empty_answers_and_keeps_good_rows(tmp_path):
    csv_text = "question,answer\nFirst?,One.\nSecond?,Two.\nThird?,\n\n,Orphan answer.\nFifth?,Five.\n"
    articles = load_csv(write(tmp_path / "faq.csv", csv_text))
    assert [a.title for a in articles] == ["First?", "Second?", "Fifth?"]
    assert articles.skipped == [("faq.csv row 4", "empty answer"), ("faq.csv row 6", "empty question")]


def test_csv_loader_rejects_header_without_rows(tmp_path):
    with pytest.raises(LoadError, match="no FAQ rows"):
        load_csv(write(tmp_path / "faq.csv", "question,answer\n"))


def test_xlsx_loader_reads_first_sheet(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Body", "id", "Updated", "Category"])
    sheet.append(["Where is my parcel?", "Track it from the orders page.", 101, datetime(2025, 5, 2), "shipping"])
    sheet.append([None, None, None, None, None])
    sheet.append(["Can I pay later?", None, 102, None, None])
    sheet.append(["How do I close my account?", "Ask support to close it.", None, None, None])
    workbook.create_sheet("notes").append(["not", "a", "faq"])
    workbook.save(tmp_path / "faq.xlsx")
    articles = load_xlsx(tmp_path / "faq.xlsx")
    assert [(a.id, a.title) for a in articles] == [("101", "Where is my parcel?"), ("faq-5", "How do I close my account?")]
    assert articles[0].updated == "2025-05-02"
    assert articles[0].tags == ["shipping"]
    assert articles.skipped == [("faq.xlsx row 4", "empty answer")]


def test_xlsx_loader_rejects_damaged_workbook(tmp_path):
    with pytest.raises(LoadError, match="not an Excel workbook or damaged"):
        load_xlsx(write(tmp_path / "faq.xlsx", b"PK\x03\x04 broken zip"))


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_loader_makes_a_section_per_page(tmp_path):
    [article] = load_pdf(write(tmp_path / "router.pdf", make_pdf(MANUAL_PAGES, title="Acme Router Guide")))
    assert article.title == "Acme Router Guide"
    assert article.id == "router"
    assert article.text.index("## Page 1") < article.text.index("reset button") < article.text.index("## Page 2")
    assert "two screws" in article.text.split("## Page 2", 1)[1]
    sections = {chunk.section: chunk.text for chunk in chunk_article(article)}
    assert "reset button" in sections["Page 1"] and "two screws" in sections["Page 2"]


def test_pdf_loader_title_falls_back_to_first_line(tmp_path):
    [article] = load_pdf(write(tmp_path / "router.pdf", make_pdf(MANUAL_PAGES)))
    assert article.title == "Router Setup Guide"


def test_pdf_loader_rejects_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(MANUAL_PAGES))))
    writer.encrypt("secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_pdf(tmp_path / "locked.pdf")


def test_pdf_loader_opens_pdf_with_empty_user_password(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(MANUAL_PAGES))))
    writer.encrypt("", owner_password="owner", algorithm="RC4-128")
    writer.write(tmp_path / "restricted.pdf")
    [article] = load_pdf(tmp_path / "restricted.pdf")
    assert "reset button" in article.text


@pytest.mark.parametrize("content", [b"", b"hello, not a pdf", make_pdf(MANUAL_PAGES)[:120]])
def test_pdf_loader_rejects_damaged_file(tmp_path, content):
    with pytest.raises(LoadError, match="not a PDF or damaged"):
        load_pdf(write(tmp_path / "broken.pdf", content))


def test_pdf_loader_rejects_pdf_without_text(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.write(tmp_path / "scan.pdf")
    with pytest.raises(LoadError, match=r"no extractable text \(scanned PDF\?\)"):
        load_pdf(tmp_path / "scan.pdf")


# --- JSON and Markdown --------------------------------------------------------------------------


def test_json_loader_reads_jsonl_with_default_fields(tmp_path):
    path = write(tmp_path / "kb.jsonl", '{"id": "a1", "title": "Fees", "text": "No fees apply.", "lang": "en-GB"}\n\n')
    [article] = load_json(path)
    assert (article.id, article.title, article.text, article.lang) == ("a1", "Fees", "No fees apply.", "en")


def test_json_loader_builds_text_with_text_builder(tmp_path):
    record = '{"name": "Fees", "summary": "No fees.", "details": ["Cards are free.", "Wires cost 5."]}'
    path = write(tmp_path / "kb.json", f"[{record}]")
    fields = JsonFields(id="name", title="name")
    [article] = load_json(path, fields, text_builder=lambda r: "\n\n".join([r["summary"], *r["details"]]))
    assert article.id == "Fees"
    assert article.text == "No fees.\n\nCards are free.\n\nWires cost 5."


def test_json_loader_reports_failing_text_builder(tmp_path):
    path = write(tmp_path / "kb.jsonl", '{"title": "Fees"}\n')
    with pytest.raises(LoadError, match="record 1: cannot build its text"):
        load_json(path, JsonFields(), text_builder=lambda r: r["missing"])


def test_json_loader_rejects_record_without_text(tmp_path):
    path = write(tmp_path / "kb.jsonl", '{"title": "Fees", "text": "   "}\n')
    with pytest.raises(LoadError, match="record 1 \\(Fees\\) has no text"):
        load_json(path)


def test_load_json_with_reads_doc2dial_layout(tmp_path):
    record = {"title": "Renew a licence#1_0", "domain": "dmv", "doc_text": "\n\nRenew online.", "spans": {}}
    path = write(tmp_path / "docs.jsonl", _jsonl(record))
    [article] = load_json_with(doc2dial_fields())(path)
    assert (article.id, article.title) == ("Renew a licence#1_0", "Renew a licence#1_0")
    assert (article.text, article.tags) == ("Renew online.", ["dmv"])


def test_abcd_guideline_text_has_a_section_per_action(tmp_path):
    record = {
        "flow": "Shipping Issue",
        "flow_description": "delivery problems",
        "subflow": "Change Address",
        "instructions": ["Ask which order should ship elsewhere.", "Finish by asking if anything else is needed."],
        "actions": [
            {"type": "interaction", "button": "Pull up Account", "text": "Get the account ID.", "subtext": []},
            {"type": "kb query", "button": "Validate Purchase", "text": "Check the order:", "subtext": ["Username", "Order ID"]},
        ],
    }
    text = abcd_guideline_text(record)
    assert text.startswith("Flow: Shipping Issue — delivery problems.")
    sections = {chunk.section for chunk in chunk_article(load_abcd_guidelines(write(tmp_path / "g.jsonl", _jsonl(record)))[0])}
    assert {"Step 1: Pull up Account", "Step 2: Validate Purchase", "Wrap-up"} <= sections
    assert "- Order ID" in text
    assert abcd_guideline_fields().id == "subflow"


def test_markdown_loader_reads_front_matter(tmp_path):
    path = write(tmp_path / "fees.md", "---\ntitle: Fees\nlang: ko-KR\ntags: a, b\n---\n# Fees\n\n수수료는 없습니다.\n")
    [article] = load_markdown(path)
    assert (article.title, article.lang, article.tags) == ("Fees", "ko", ["a", "b"])


def test_normalise_lang_keeps_primary_subtag():
    values = ("ko-KR", "en_US", "EN", "zh-Hant-TW", "", None, "english!")
    assert [normalise_lang(v) for v in values] == ["ko", "en", "en", "zh", "", "", ""]


# --- Folder loading -----------------------------------------------------------------------------


def test_load_folder_reports_each_bad_file_and_goes_on(tmp_path):
    write(tmp_path / "good.md", "---\nid: shared-id\ntitle: Good\n---\nAll good here.\n")
    write(tmp_path / "zz-dup.md", "---\nid: shared-id\n---\nSame id again.\n")
    write(tmp_path / "empty.md", "---\ntitle: Empty\n---\n\n")
    write(tmp_path / "latin.md", "Caf\xe9 cr\xe8me".encode("latin-1"))
    write(tmp_path / "broken.pdf", b"%PDF-1.4 truncated")
    write(tmp_path / "scan.csv", "question,answer\n".encode("utf-16"))
    write(tmp_path / "reset.html", HELP_PAGE)
    write(tmp_path / "manual.pdf", make_pdf(MANUAL_PAGES))
    write(tmp_path / "faq.csv", "question,answer\nOne?,Yes.\nTwo?,\nThree?,Also yes.\n")
    report = load_folder(tmp_path)
    assert sorted(a.id for a in report.articles) == ["faq-2", "faq-4", "kb-123", "manual", "shared-id"]
    reasons = dict(report.skipped)
    assert reasons["zz-dup.md"] == "duplicate article id 'shared-id' (first in good.md)"
    assert reasons["empty.md"] == "article has no text"
    assert reasons["latin.md"].startswith("not UTF-8 text")
    assert reasons["broken.pdf"].startswith("not a PDF or damaged")
    assert reasons["scan.csv"] == "not UTF-8 or CP949 text"
    assert reasons["faq.csv row 3"] == "empty answer"
    assert len(report.skipped) == 6


def test_load_folder_ignores_hidden_and_office_lock_files(tmp_path):
    write(tmp_path / "~$faq.xlsx", b"lock")
    write(tmp_path / ".draft.md", "Hidden draft.")
    write(tmp_path / "notes.txt", "Not a knowledge file.")
    write(tmp_path / "fees.md", "No fees apply.")
    report = load_folder(tmp_path)
    assert [a.id for a in report.articles] == ["fees"] and report.skipped == []


def test_load_folder_walks_only_the_given_loaders(tmp_path):
    write(tmp_path / "README.md", "About this folder.")
    write(tmp_path / "docs.jsonl", '{"title": "Renew", "doc_text": "Renew online."}\n')
    report = load_folder(tmp_path, {".jsonl": load_json_with(doc2dial_fields())})
    assert [a.id for a in report.articles] == ["Renew"] and report.skipped == []


def test_loaders_registry_covers_new_formats():
    assert {".html", ".htm", ".csv", ".xlsx", ".pdf", ".md", ".json", ".jsonl"} <= set(LOADERS)


def test_loaders_import_does_not_load_heavy_parsers():
    code = "import sys, knowledge.loaders; print(sorted(m for m in ('trafilatura', 'pypdf', 'openpyxl') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- Shared data sets ---------------------------------------------------------------------------


def test_shared_doc2dial_docs_load_through_load_folder():
    path = shared_file("doc2dial", "docs.jsonl")
    report = load_folder(path, {".jsonl": load_json_with(doc2dial_fields())})
    assert report.skipped == []
    assert len(report.articles) == 273
    assert len({a.id for a in report.articles}) == 273
    assert len({a.text for a in report.articles}) < 273  # two titles share a text; both still load
    assert all(a.text.strip() and a.tags for a in report.articles)


def test_shared_abcd_guidelines_load_through_load_json_and_load_folder():
    path = shared_file("abcd_kb", "guidelines.jsonl")
    articles = load_json(path, abcd_guideline_fields(), abcd_guideline_text)
    assert len(articles) == 55
    assert all("## Step 1:" in a.text for a in articles)
    report = load_folder(path, {".jsonl": load_abcd_guidelines})
    assert report.skipped == [] and len(report.articles) == 55


def test_load_folder_skips_a_file_too_large_to_be_an_article_and_keeps_the_others(tmp_path, monkeypatch):
    import knowledge.loaders as loaders

    monkeypatch.setattr(loaders, "MAX_FILE_BYTES", 2_000)
    (tmp_path / "small.md").write_text("---\nid: small\ntitle: Small\n---\nRefunds take five business days.\n")
    (tmp_path / "huge.md").write_text("---\nid: huge\ntitle: Huge\n---\n" + "Long text here. " * 500)

    report = loaders.load_folder(tmp_path)

    assert [a.id for a in report.articles] == ["small"]
    assert report.skipped[0][0] == "huge.md" and "split it" in report.skipped[0][1]
