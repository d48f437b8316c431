"""Customer text is inert in the real browser: a hostile ticket's images, links and shortcodes render as
their literal text, and a second local server that every one of them points at receives no request."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.test_browser import CHROMIUM_ARGS, REPO, chromium_path, streamlit_app

WORD_JOINER, NBSP = "\u2060", "\u00a0"
# Attributes through which a browser fetches or navigates.
URL_ATTRIBUTES = ("href", "src", "srcset", "action", "formaction", "poster", "data", "background", "style")


class RecordingServer:
    """An HTTP server on 127.0.0.1 (random port) that answers 404 and records every connection and request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.connections = 0
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                recorder.requests.append(f"{self.command} {self.path} (Referer: {self.headers.get('Referer')})")
                self.send_error(404)

            do_HEAD = do_POST = do_OPTIONS = do_GET

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address) -> bool:
                recorder.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    with RecordingServer() as server:
        yield server


@contextmanager
def chromium_page(url: str):
    """A headless Chromium page at `url`; yields (page, every URL the page requested)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(url, wait_until="domcontentloaded")
            yield page, requested
        finally:
            browser.close()


def visible_text(text: str) -> str:
    """Text as a reader sees it: without the invisible word joiners inert() adds, spaces collapsed."""
    return " ".join(text.replace(WORD_JOINER, "").replace(NBSP, " ").split())


def attributes_pointing_at(page, host: str) -> list[str]:
    return page.evaluate("""([host, names]) => {
        const found = [];
        for (const el of document.querySelectorAll('*'))
            for (const name of names) {
                const value = el.getAttribute(name);
                if (value && value.includes(host)) found.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
            }
        return found;
    }""", [host, list(URL_ATTRIBUTES)])


# -- the workspace with a hostile ticket ------------------------------------------------------------
def hostile_ticket(host: str) -> dict:
    subject = (f"![x](http://{host}/subject.png) [click](http://{host}/phish-subject) http://{host}/bare-subject "
               f"<img src=http://{host}/html-subject.png> :material/warning: :red[alert] $x^2$")
    name = f"![n](http://{host}/name.png) [Support](http://{host}/phish-name) www.{host}/www-name :material/warning:"
    text = "\n".join([
        "# heading",
        "I returned my order ZX-4411 two weeks ago and the refund has not arrived.",
        f"![x](http://{host}/message.png) and [click](http://{host}/phish-message)",
        f"bare http://{host}/bare-message and www.{host}/www-message",
        f"<img src=http://{host}/html-message.png>",
        ":material/warning: :red[alert] $x^2$ mail evil@example.com",
    ])
    return {
        "id": "T-666", "subject": subject, "channel": "email",
        "customer": {"name": name, "email": "evil@example.com"},
        "messages": [
            {"role": "customer", "author": f"![a](http://{host}/author.png) [me](http://{host}/phish-author)",
             "text": text, "at": "2026-11-20T09:12:00"},  # no timezone: read as UTC
            {"role": "agent", "author": "Alex", "text": "Let me check that for you.", "at": "2026-11-20T09:20:00Z"},
        ],
    }


def test_browser_hostile_ticket_renders_inert_and_fetches_nothing(tmp_path, demo_index_dir, demo_articles, recorder):
    host = recorder.host
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    ticket = hostile_ticket(host)
    (tickets / "T-666.json").write_text(json.dumps(ticket), encoding="utf-8")
    env = {"ASSIST_TICKETS_DIR": str(tickets), "ASSIST_INDEX_DIR": str(demo_index_dir),
           "ASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}", "ASSIST_LLM": "offline"}
    with streamlit_app(REPO / "assist_ui" / "app.py", tmp_path, env) as url, chromium_page(url) as (page, requested):
        thread_text, sign_in = page.get_by_text("ZX-4411").first, page.get_by_role("button", name="Sign in")
        thread_text.or_(sign_in).first.wait_for(timeout=120_000)
        if not thread_text.is_visible():
            pytest.fail("the app asks for sign-in; this test expects demo mode (no account, 127.0.0.1)")
        page.get_by_text("Use this draft").first.wait_for(timeout=120_000)
        page.wait_for_timeout(2_000)  # time for any image or prefetch the page might start
        body = visible_text(page.inner_text("body"))
        pointing = attributes_pointing_at(page, host)
        links = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
        icons = page.eval_on_selector_all("[data-testid=stMarkdownContainer] [role=img]",  # icons and emoji in text
                                          "els => els.map(e => e.textContent)")

    assert recorder.requests == [] and recorder.connections == 0, recorder.requests
    assert [u for u in requested if host in u] == []
    assert pointing == [], "no link, image or style in the page points at the recording server"
    kb_urls = {article.url for article in demo_articles}
    foreign = [u for u in links if not u.startswith((url, "#")) and u not in kb_urls]
    assert foreign == [], "the only links to elsewhere are the knowledge base's own articles"
    assert "warning" not in icons, "no Material icon came from customer text"
    assert f"T-666 — {visible_text(ticket['subject'])}" in body, "the subject is shown literally in the header"
    for literal in (f"![x](http://{host}/message.png)", f"[click](http://{host}/phish-message)",
                    f"http://{host}/bare-message", f"<img src=http://{host}/html-message.png>",
                    ":material/warning: :red[alert] $x^2$", "# heading", f"![n](http://{host}/name.png)",
                    f"[me](http://{host}/phish-author)"):
        assert literal in body, f"{literal!r} is shown as text"


# -- inert() through every kind of element ----------------------------------------------------------
HOSTILE_CASES = [
    "![x](http://{host}/img.png)", "[click](http://{host}/phish)", "[ref][1]\n\n[1]: http://{host}/ref",
    "bare http://{host}/bare and HTTPS://{host}/bare2", "www.example.com and www.{host}/w",
    "mail evil@example.com or mailto:a@b.co", "<img src=http://{host}/html.png>", "<http://{host}/angle>",
    ":material/warning: :material/sticky_note_2:", ":red[alert] :blue-background[x] :small[s] :violet-badge[b]",
    ":smile: :tada: :+1: :100: :streamlit: at 10:30:00", "$x^2$ and $$y$$ cost $5 and $6", "# heading",
    "title\n===", "- item\n* item\n1. one\n2) two", "| a | b |\n|---|---|\n| 1 | 2 |", "> quote",
    "    indented code", "```\nfenced\n```", "`code` **bold** _em_ ~~strike~~", "&lt;b&gt; &amp; &#65;",
    "footnote[^1]\n\n[^1]: http://{host}/fn", "back\\slash \\[x\\](y) \\",
]
ELEMENTS = ("markdown", "markdown_with_emoji", "caption", "subheader", "radio", "badge", "info", "stream")
LAB_APP = '''
import json, time
import streamlit as st
from assist_ui.render import inert, inert_badge, inert_stream

def pieces(text):
    for i in range(len(text)):
        time.sleep(0.001)
        yield text[i]

for i, text in enumerate(json.loads(open("cases.json", encoding="utf-8").read())):
    for kind, draw in {
        "markdown": lambda: st.markdown(inert(text)),
        "markdown_with_emoji": lambda: st.markdown(":smile: " + inert(text)),  # loads remark-emoji
        "caption": lambda: st.caption(inert(text)),
        "subheader": lambda: st.subheader(inert(text), anchor=False),
        "radio": lambda: st.radio("r", [i], format_func=lambda _: inert(text), key=f"r{i}", label_visibility="collapsed"),
        "badge": lambda: st.badge(inert_badge(text)),
        "info": lambda: st.info(inert(text)),
        "stream": lambda: st.write_stream(inert_stream(pieces(text))),
    }.items():
        with st.container(key=f"case-{kind}-{i}"):
            draw()
st.write("ALL-CASES-DRAWN")
'''
MARKUP = "a, img, svg image, h1, h2, h4, h5, h6, ul, ol, table, pre, code, blockquote, hr, strong, em, del, .katex, " \
         "[role=img], [data-testid=stIconMaterial]"


def test_browser_inert_renders_every_markdown_construct_as_its_literal_text(tmp_path, recorder):
    cases = [case.format(host=recorder.host) for case in HOSTILE_CASES]
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    script = tmp_path / "lab.py"
    script.write_text(LAB_APP, encoding="utf-8")
    with streamlit_app(script, tmp_path, {}) as url, chromium_page(url) as (page, _):
        page.get_by_text("ALL-CASES-DRAWN").wait_for(timeout=120_000)
        page.wait_for_timeout(1_000)
        drawn = page.evaluate("""(markup) => Object.fromEntries([...document.querySelectorAll('[class*="st-key-case-"]')]
            .map(el => [[...el.classList].find(c => c.startsWith('st-key-case-')).slice(12),
                        {text: el.innerText, markup: [...el.querySelectorAll(markup)].map(e => e.tagName)}]))""",
                              MARKUP)

    assert recorder.requests == [] and recorder.connections == 0, recorder.requests
    wrong = {}
    for i, case in enumerate(cases):
        for kind in ELEMENTS:
            shown = drawn.get(f"{kind}-{i}")
            expected = visible_text(("😄 " if kind == "markdown_with_emoji" else "") + case)
            if shown is None or visible_text(shown["text"]) != expected or shown["markup"]:
                wrong[f"{kind}: {case!r}"] = shown
    assert wrong == {}
