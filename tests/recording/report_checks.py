"""Checks of a ``gazertc report`` page: it loads nothing from anywhere, and what it says."""

from __future__ import annotations

import re
from html.parser import HTMLParser

FETCHING_TAGS = frozenset(
    {"script", "link", "img", "iframe", "object", "embed", "audio", "video", "source", "image"}
)
"""Elements that load something (``image``: SVG's own)."""
FETCHING_ATTRIBUTES = frozenset(
    {"src", "href", "xlink:href", "srcset", "action", "data", "poster", "background"}
)


class ParsedPage(HTMLParser):
    """The page's elements with their attributes, and its text (entities decoded)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.style_parts: list[str] = []
        self._open: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "style":
            self.style_parts.append(data)
        else:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def count(self, tag: str, css_class: str | None = None) -> int:
        return sum(
            1
            for name, attrs in self.elements
            if name == tag and (css_class is None or attrs.get("class") == css_class)
        )


def assert_self_contained(page: str) -> ParsedPage:
    """The page fetches nothing: no loading element or attribute, no address in an attribute,
    no CSS ``url()`` or ``@import``, and a policy that forbids loading. (An address in the
    text, such as an event's name, is only shown.)"""
    parsed = ParsedPage(page)
    for tag, attrs in parsed.elements:
        assert tag not in FETCHING_TAGS, f"<{tag}> would load something"
        assert not FETCHING_ATTRIBUTES & set(attrs), f"<{tag} {attrs}> would load something"
        assert not any(name.startswith("on") for name in attrs), f"<{tag}> has a handler"
        for value in attrs.values():
            assert re.search(r"https?:|url\(", value or "", re.IGNORECASE) is None, (tag, attrs)
    assert parsed.style_parts, "the style is inline"
    assert re.search(r"url\(|@import|https?:", "".join(parsed.style_parts), re.IGNORECASE) is None
    policies = [
        attrs.get("content") or ""
        for tag, attrs in parsed.elements
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert policies and "default-src 'none'" in policies[0]
    return parsed
