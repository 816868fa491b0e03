"""Text cleaning, done once, before any stage reads a ticket.

Helpdesk exports hand over HTML bodies (Freshdesk's ``description``), whole e-mail threads and text
that no customer wrote. Models and keyword rules must see only what the customer wrote this time,
so :func:`clean_text` takes out, in this order:

- HTML markup: tags, attributes and link targets dropped, entities decoded, quoted blocks
  (``gmail_quote``, ``type="cite"``) and signature blocks dropped;
- quoted earlier messages: everything after "On ... wrote:", "-----Original Message-----", an
  Outlook "From: / Sent:" block or a helpdesk "reply above this line" marker, and lines starting with
  ">"; a forwarded message below the customer's note (or only the forward's header lines when the
  ticket is nothing but the forward);
- legal disclaimer footers ("This e-mail and any attachments are confidential ...");
- signatures: after a "-- " line, the name block under "Best regards," and "Sent from my iPhone";
- text inserted by bots and widgets: rating legends ("How would you rate our support? 1 - Very
  poor ..."), auto-replies, "please do not reply" notices, widget footers.

An old threat in a quote, a "Legal Counsel" job title in a signature or "Terrible" in a rating legend
then cannot escalate a thank-you. The original text stays in the result, and each cut is recorded
by kind and text so a reason can say what was left out.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Known tag names only: "<jane@example.com>" in a plain-text reply header is not markup.
_TAG_HINT = re.compile(
    r"<\s*/?\s*(p|div|br|span|a|b|i|u|em|strong|font|table|tr|td|th|tbody|thead|ul|ol|li|h[1-6]|blockquote|hr|img|html|body|head|style|script|meta|pre|code|center|small|big|sup|sub)\b[^>]*>"
    r"|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W_]")
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "table", "ul", "ol"})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"})
# Mail clients mark quoted history and signatures in their HTML; what they mark is cut whole.
_QUOTE_MARKERS = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "divrplyfwdmsg", "outlook_quote", "zendesk_quoted")
_SIGNATURE_MARKERS = ("gmail_signature", "signature", "moz-signature")

QUOTED = "quoted reply"
FORWARDED = "forwarded message"
FORWARDED_HEADER = "forwarded header"
SIGNATURE = "signature"
DISCLAIMER = "disclaimer"
BOT = "bot text"

_REPLY_HEADER = re.compile(
    r"^[ \t]*(on\s[^\n]{3,200}(\n[^\n]{0,120})?\s(wrote|writes)\s?:[ \t]*$"  # Gmail / Apple Mail, maybe wrapped
    r"|le\s[^\n]{3,200}\sa\s[ée]crit\s?:[ \t]*$"  # French clients
    r"|am\s[^\n]{3,200}\sschrieb[^\n]{0,100}:[ \t]*$"  # German clients
    r"|el\s[^\n]{3,200}\sescribi[óo]\s?:[ \t]*$"  # Spanish clients
    r"|-{2,}\s*original message\s*-{2,}"  # Outlook
    r"|from:[ \t]+[^\n]+\n[ \t]*(sent|date):[ \t]"  # Outlook header block
    r"|#{2,}-?[^\n]*(reply|respond)[^\n]*above this line[^\n]*$"  # helpdesk reply markers
    r"|-{2,}[^\n]*(reply|respond)[^\n]*above this line[^\n]*$"
    r"|[^\n]*please (type|write) your (reply|response) above this line[^\n]*$)",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_HEADER = re.compile(
    r"^[ \t]*(-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|-{2,}\s*weitergeleitete nachricht\s*-{2,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_LEADING_HEADERS = re.compile(r"([ \t]*\n)*([ \t]*(from|date|sent|to|cc|subject|reply-to)[ \t]*:[^\n]*(\n|$))+", re.IGNORECASE)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)

_DISCLAIMER_START = re.compile(
    r"^[ \t]*(confidentiality notice|confidential(ity)?[ \t]*:|disclaimer[ \t]*:|legal disclaimer"
    r"|important notice[ \t]*:|privileged (and|&) confidential"
    r"|this (e-?mail|message|communication|transmission)[^\n]{0,80}\b(is|are|may be|contains?|may contain|is intended|was intended)\b"
    r"|the (information|content)s? (contained )?in this (e-?mail|message|communication)"
    r"|if you (are not the intended|have received this)"
    r"|please consider the environment before printing"
    r"|[^\n]{0,80}\bregistered (in england|office)\b)",
    re.IGNORECASE | re.MULTILINE,
)
# A footer is cut only when two of these stand in it: a customer's "I was charged in error" or
# "this message is to tell you ..." must not pass for one.
_DISCLAIMER_CONFIRM = re.compile(
    r"confidential|privileged|intended (solely |only )?(for|recipient)|addressee|disclos|prohibited|"
    r"notify the sender|received (this|it) in error|environment before printing|virus|"
    r"registered (in|office|number)|company (no|number)|authori[sz]ed and regulated",
    re.IGNORECASE,
)

_SIGNATURE_DELIMITER = re.compile(r"^--[ \t]?$", re.MULTILINE)
_MOBILE_SIGNATURE = re.compile(
    r"^[ \t]*(sent from my [\w' -]{2,30}|sent from (mail|outlook|yahoo mail|gmail|aol|samsung|proton ?mail)\b[^\n]{0,40}"
    r"|get outlook for (ios|android)[^\n]{0,20}|sent (via|with) [\w -]{2,30} (app|mobile|for (ios|android)))[ \t]*\.?[ \t]*$\n?",
    re.IGNORECASE | re.MULTILINE,
)
_VALEDICTION = re.compile(
    r"^[ \t]*((best|kind|warm|warmest|many|with|all the)\s+)?(regards|wishes|thanks|thank you|cheers|sincerely|best|respectfully|"
    r"yours( sincerely| faithfully| truly)?|thx|ta)[ \t]*[,.!]?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_CONTACT_LINE = re.compile(r"@|https?://|www\.|\+?\d[\d ()./-]{6,}\d|\|")

_BOT_LINE = re.compile(
    r"^[ \t]*("
    # rating legends and survey widgets
    r"how (would|do) you rate (our|the|this|your) (support|service|reply|response|experience|conversation|agent|interaction)\b[^\n]*"
    r"|(please )?rate (our|your|this|the) (support|service|reply|response|experience|conversation|agent)\b[^\n]*"
    r"|was this (reply|response|answer|article|email) helpful\??[^\n]*"
    r"|click (here|below|on one of the (links|options|faces|stars))[^\n]{0,40}\brat(e|ing)\b[^\n]*"
    r"|\(?[1-5]\)?[ \t]*[-=:.)][ \t]*(very |extremely |not )?(poor|bad|terrible|awful|unsatisfied|dissatisfied|neutral|okay|ok|average|good|great|excellent|satisfied|happy|unhappy)[ \t]*$"
    r"|(good|great|okay|bad|not good),? i'?m (satisfied|unsatisfied|dissatisfied)[^\n]*"
    r"|[\u2b50\u2605\u2606 ]{3,}"
    # auto-replies and notices
    r"|this is an automated (message|response|reply|e-?mail|notification)[^\n]*"
    r"|(please )?(do not|don't) reply (directly )?to this (e-?mail|message|notification)[^\n]*"
    r"|this (mailbox|e-?mail address) is not monitored[^\n]*"
    r"|(thank you|thanks) for (contacting|reaching out to|writing to) [^\n]{0,60}(we('ve| have) received|we will (get back|respond|reply|be in touch)|within \d+ (hours|business|working|days)|a member of our team will)[^\n]*"
    r"|we('ve| have) received your (request|message|e-?mail|ticket|enquiry|inquiry)[^\n]*"
    r"|your (ticket|request|case)( number| #| no\.?| id)?[ \t]*[#:]?[ \t]*[\w-]*\d[\w-]*[ \t]*has been (received|created|logged|opened)[^\n]*"
    r"|(i am|i'm) (currently )?out of (the )?office( until| with limited| and will (be|have|return|respond|reply)| returning)[^\n]*"
    r"|(automatic reply|auto-?reply)[ \t]*:[^\n]*"
    r"|you are receiving this (e-?mail|message) because[^\n]*|(click here )?to unsubscribe[^\n]{0,40}(click|visit|here|reply|link)[^\n]*|unsubscribe"
    r"|this (message|e-?mail|ticket|request) was (sent|created|submitted) (from|via|using|through) [^\n]*"
    r"|sent (via|from|through) (the )?[^\n]{0,40}(widget|help ?center|support portal|contact form|web form)[^\n]*"
    r"|powered by (zendesk|freshdesk|intercom|help ?scout|zoho|gorgias|front|hubspot)[^\n]*"
    r"|#{2}-[^\n]*-#{2}"
    r")[ \t]*$\n?",
    re.IGNORECASE | re.MULTILINE,
)

_SEPARATOR_LINE = re.compile(r"^[ \t]*[_=*~-]{5,}[ \t]*$", re.MULTILINE)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


class _TextExtractor(HTMLParser):
    """Visible text of an HTML fragment; quoted-history and signature blocks go to ``cut``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.cut: dict[str, list[str]] = {QUOTED: [], SIGNATURE: []}
        self._skipping = 0
        self._stack: list[tuple[str, str | None]] = []  # open tags and what they cut, if anything

    @staticmethod
    def _cut_kind(tag: str, attrs) -> str | None:
        values = " ".join(f"{value or ''}" for name, value in attrs if name in ("class", "id", "type", "data-marker")).lower()
        if tag == "blockquote" and ("cite" in values or any(marker in values for marker in _QUOTE_MARKERS)):
            return QUOTED
        if any(marker in values for marker in _QUOTE_MARKERS):
            return QUOTED
        if any(marker in values for marker in _SIGNATURE_MARKERS):
            return SIGNATURE
        return None

    def _cutting(self) -> str | None:
        for _, kind in reversed(self._stack):
            if kind:
                return kind
        return None

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
            return
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        if tag not in _VOID_TAGS:
            self._stack.append((tag, self._cut_kind(tag, attrs)))

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
            return
        if any(open_tag == tag for open_tag, _ in self._stack):
            while self._stack:
                open_tag, _ = self._stack.pop()
                if open_tag == tag:
                    break
        if tag in _BLOCK_TAGS:
            self._emit("\n")

    def handle_data(self, data):
        if not self._skipping:
            self._emit(data)

    def _emit(self, text: str) -> None:
        kind = self._cutting()
        (self.cut[kind] if kind else self.parts).append(text)


def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment: tags and attributes (link targets included) dropped,
    entities decoded."""
    return _html_parts(value)[0]


def _html_parts(value: str) -> tuple[str, dict[str, str]]:
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    cut = {kind: "".join(pieces).strip() for kind, pieces in parser.cut.items()}
    return "".join(parser.parts), {kind: text for kind, text in cut.items() if text}


@dataclass(frozen=True)
class CleanedText:
    """The customer's own words (``text``), what kinds of text were taken out (``removed``: "html",
    "quoted reply", "forwarded message", "signature", "disclaimer", "bot text"), the text as given
    (``original``) and each cut with its kind (``removed_parts``)."""

    text: str
    removed: tuple[str, ...]
    original: str = field(default="", compare=False)
    removed_parts: tuple[tuple[str, str], ...] = field(default=(), compare=False)


class _Cleaner:
    """Collects the text as cuts are made, and what each cut took."""

    def __init__(self, text: str):
        self.text = text
        self.parts: list[tuple[str, str]] = []
        self.kinds: list[str] = []

    def note(self, kind: str, taken: str = "") -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)
        if taken.strip():
            self.parts.append((kind, taken.strip()))

    def cut_from(self, start: int, kind: str) -> bool:
        """Drop everything from ``start`` on, when something the customer wrote stays before it."""
        if not _WORDS.search(self.text[:start]):
            return False
        self.note(kind, self.text[start:])
        self.text = self.text[:start]
        return True

    def drop(self, pattern: re.Pattern, kind: str, keep_some: bool = True) -> None:
        taken = [match.group(0) for match in pattern.finditer(self.text)]
        if not taken:
            return
        remaining = pattern.sub("", self.text)
        if keep_some and not remaining.strip():
            return  # a text that is nothing but this is read as it stands
        self.text = remaining
        self.note(kind, "\n".join(piece.strip() for piece in taken))


def clean_text(raw: object) -> CleanedText:
    """Return the customer's own words from a raw ticket body."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return CleanedText("", ())
    original = str(raw)
    work = _Cleaner(original)
    if _TAG_HINT.search(work.text):
        text, cut = _html_parts(work.text)
        work.text = text
        work.note("html")
        for kind, taken in cut.items():
            work.note(kind, taken)
    if "&" in work.text:
        work.text = html.unescape(work.text)
    work.text = work.text.replace("\r\n", "\n").replace("\r", "\n")

    forward = _FORWARD_HEADER.search(work.text)
    if forward and not work.cut_from(forward.start(), FORWARDED):
        # The ticket is the forward itself: keep its message, drop the marker and header lines.
        rest = work.text[forward.end() :]
        header_lines = _LEADING_HEADERS.match(rest)
        work.note(FORWARDED_HEADER, work.text[forward.start() : forward.end() + header_lines.end()])
        work.text = work.text[: forward.start()] + rest[header_lines.end() :]
    header = _REPLY_HEADER.search(work.text)
    if header and not work.cut_from(header.start(), QUOTED):
        # An Outlook "FW:" with nothing above it: the header lines go, the message stays.
        header_lines = _LEADING_HEADERS.match(work.text, header.start())
        if header_lines.end() > header.start():
            work.note(FORWARDED_HEADER, work.text[header.start() : header_lines.end()])
            work.text = work.text[: header.start()] + work.text[header_lines.end() :]
    work.drop(_QUOTED_LINE, QUOTED)

    for start in _DISCLAIMER_START.finditer(work.text):
        confirmed = {match.group(0).lower() for match in _DISCLAIMER_CONFIRM.finditer(work.text, start.start())}
        if len(confirmed) >= 2 and work.cut_from(start.start(), DISCLAIMER):
            break

    delimiter = _SIGNATURE_DELIMITER.search(work.text)
    if delimiter:
        work.cut_from(delimiter.start(), SIGNATURE)
    work.drop(_MOBILE_SIGNATURE, SIGNATURE)
    _cut_name_block(work)

    work.drop(_BOT_LINE, BOT, keep_some=False)

    text = _SEPARATOR_LINE.sub("", work.text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    text = "\n".join(line.strip() for line in text.split("\n")) if "\n" in text else text
    return CleanedText(text.strip(), tuple(work.kinds), original, tuple(work.parts))


def _cut_name_block(work: _Cleaner) -> None:
    """Cut the lines under a closing ("Best regards,") when they read as a name and contact block."""
    for closing in reversed(list(_VALEDICTION.finditer(work.text))):
        below = work.text[closing.end() :]
        lines = [line.strip() for line in below.split("\n") if line.strip()]
        if not lines or len(lines) > 6:
            continue
        first_words = lines[0].split()
        looks_like_name = 1 <= len(first_words) <= 4 and all(word[:1].isupper() or not word[:1].isalpha() for word in first_words)
        if not (looks_like_name or _CONTACT_LINE.search(lines[0])):
            continue
        if not all(_signature_line(line) for line in lines):
            continue
        if work.text[: closing.start()].strip():
            work.note(SIGNATURE, below)
            work.text = work.text[: closing.end()]
        return


_SENTENCE_STARTS = frozenset({"i", "i'm", "i've", "my", "we", "our", "please", "you", "your", "this", "if", "and", "but", "ps", "p.s.", "ps:"})


def _signature_line(line: str) -> bool:
    """Short, no question or exclamation, no sentence: "Jane Doe", "Legal Counsel | Acme", "+1 555"."""
    words = line.split()
    if len(line) > 60 or len(words) > 8 or line.endswith(("?", "!")):
        return False
    if words[0].lower().strip(",") in _SENTENCE_STARTS:
        return False
    return not (line.endswith(".") and len(words) >= 3 and not _CONTACT_LINE.search(line))


def compose_text(subject: object, body: object) -> str:
    """The text a ticket is judged on: its subject, a blank line, then its body."""
    parts = [str(part).strip() for part in (subject, body) if isinstance(part, str) and part.strip()]
    return "\n\n".join(parts)
