"""Help-centre HTML pages: main content as Markdown with headings; navigation, footers and banners dropped."""
from __future__ import annotations

from pathlib import Path

from core.types import Article
from knowledge.loaders_base import LoadError, make_article

_COOKIE = "contains(translate({attr}, 'COKIENST', 'cokienst'), '{word}')"
_BANNER = " or ".join(_COOKIE.format(attr=a, word=w) for a in ("@id", "@class") for w in ("cookie", "consent"))

# Page furniture removed before extraction (the article's own <header> stays).
BOILERPLATE_XPATH = [
    "//nav",
    "//aside",
    "//footer",
    "//header[not(ancestor::article or ancestor::main)]",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='search']",
    f"//*[not(self::html or self::body or self::main or self::article)][{_BANNER}]",
]

META_XPATHS = {
    "id": ["//meta[@name='article-id']/@content"],
    "title": [
        "//meta[@property='og:title']/@content",
        "//meta[@name='og:title']/@content",
        "//article//h1",
        "//main//h1",
        "//h1",
        "//title",
    ],
    "url": ["//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"],
    "lang": ["/html/@lang", "//html/@lang", "//meta[@property='og:locale']/@content"],
    "updated": ["//meta[@property='article:modified_time']/@content", "//meta[@name='last-modified']/@content"],
}


def load_html(path: Path) -> list[Article]:
    """A help-centre page: title from og:title, <h1> or <title>; url from canonical link or og:url; lang from <html lang>."""
    try:
        import trafilatura
        from trafilatura.utils import load_html as parse_html
    except ImportError as exc:
        raise LoadError(f"HTML support is not installed ({exc})") from exc
    tree = parse_html(path.read_bytes())
    if tree is None:
        raise LoadError("no main content found")
    meta = page_meta(tree)
    text = trafilatura.extract(
        tree,
        output_format="markdown",
        include_formatting=True,
        include_comments=False,
        include_tables=True,
        prune_xpath=BOILERPLATE_XPATH,
    )
    if not text or not text.strip():
        raise LoadError("no main content found")
    return [make_article(path, meta, text)]


def page_meta(tree) -> dict[str, str]:
    """Article id, title, url, lang and updated date from a parsed page's head and headings."""
    return {key: _first_value(tree, xpaths) for key, xpaths in META_XPATHS.items()}


def _first_value(tree, xpaths: list[str]) -> str:
    """The first non-blank value any of the XPaths selects, with whitespace collapsed."""
    for xpath in xpaths:
        for node in tree.xpath(xpath):
            value = node.text_content() if hasattr(node, "text_content") else str(node)
            value = " ".join(value.split())
            if value:
                return value
    return ""
