"""Text cleaning, done once, before any stage reads a ticket.

Helpdesk exports hand over HTML bodies (Freshdesk's ``description``) and whole e-mail threads.
Models and keyword rules must see only what the customer wrote this time: tags, entities and link
targets are dropped, and quoted earlier messages ("On ... wrote:", lines starting with ">",
forwarded headers) are cut, so an old threat in a quote does not escalate a thank-you.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

_TAG_HINT = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "table", "ul", "ol"})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})

_REPLY_HEADER = re.compile(
    r"^\s*(on\s.{3,200}?\swrote:\s*$"  # Gmail / Apple Mail
    r"|-{2,}\s*original message\s*-{2,}"  # Outlook
    r"|-{2,}\s*forwarded message\s*-{2,}"  # Gmail forward
    r"|begin forwarded message:"  # Apple Mail forward
    r"|from:\s.+\n\s*(sent|date):\s)",  # Outlook header block
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment: tags and attributes (link targets included) dropped,
    entities decoded."""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts)


@dataclass(frozen=True)
class CleanedText:
    text: str
    removed: tuple[str, ...]  # what was taken out: "html", "quoted reply"


def clean_text(raw: object) -> CleanedText:
    """Return the customer's own words from a raw ticket body."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return CleanedText("", ())
    text = str(raw)
    removed = []
    if _TAG_HINT.search(text):
        text = html_to_text(text)
        removed.append("html")
    text = html.unescape(text) if "&" in text else text
    header = _REPLY_HEADER.search(text)
    if header and text[: header.start()].strip():
        text = text[: header.start()]
        removed.append("quoted reply")
    without_quotes = _QUOTED_LINE.sub("", text)
    if without_quotes != text and without_quotes.strip():
        text = without_quotes
        if "quoted reply" not in removed:
            removed.append("quoted reply")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return CleanedText(text.strip(), tuple(removed))


def compose_text(subject: object, body: object) -> str:
    """The text a ticket is judged on: its subject, a blank line, then its body."""
    parts = [str(part).strip() for part in (subject, body) if isinstance(part, str) and part.strip()]
    return "\n\n".join(parts)
