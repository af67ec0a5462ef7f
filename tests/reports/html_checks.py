"""What a safe, self-contained report page is made of, for the HTML report tests."""

from __future__ import annotations

from html.parser import HTMLParser

SAFE_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "header", "section", "div", "span"),
    *("h1", "h2", "p", "br", "table", "thead", "tbody", "tr", "th", "td", "details", "summary"),
    *("pre", "svg", "rect", "text", "line"),
}
"""No script, img, link, iframe, object, embed, video, audio, source or form."""
FETCHING_ATTRIBUTES = {"src", "href", "srcset", "xlink:href", "action", "data", "poster"}


def page_structure(text: str) -> tuple[list[str], set[str]]:
    """The element names (in document order) and the attribute names of an HTML page."""
    tags: list[str] = []
    attributes: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append(tag)
            attributes.update(name for name, _ in attrs)

    Collect().feed(text)
    return tags, attributes


def assert_self_contained(text: str) -> list[str]:
    """Only safe elements, nothing that fetches; returns the element names."""
    tags, attributes = page_structure(text)
    assert set(tags) <= SAFE_TAGS, set(tags) - SAFE_TAGS
    assert not attributes & FETCHING_ATTRIBUTES, attributes & FETCHING_ATTRIBUTES
    assert "url(" not in text
    assert "@import" not in text
    return tags
