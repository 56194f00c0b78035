"""An article's parts from its blocks: standfirst, sections, points and FAQs, furniture dropped."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.content.importer.blocks import Block, Heading, Item, Paragraph, Source, squash
from core.content.importer.errors import ImportProblem

# Where the article ends and the page's comment form or link lists begin.
_END = frozenset(
    {
        "leave a comment",
        "leave a reply",
        "post a comment",
        "add a comment",
        "comments",
        "related posts",
        "related articles",
        "related stories",
        "you may also like",
        "read next",
        "more stories",
        "about the author",
        "post navigation",
    }
)
_COUNTED_COMMENTS = re.compile(r"^(?:\d+|one|no) (?:comments?|responses?|replies|reply)$")
# Page furniture, dropped wherever it stands.
_FURNITURE = frozenset(
    {
        "scroll to top",
        "back to top",
        "skip to content",
        "advertisement",
        "sponsored",
        "share",
        "share this",
        "share this article",
        "tweet",
        "print",
        "your email address will not be published required fields are marked",
        "your email address will not be published",
    }
)
# The publisher's channel table: channels.toml holds it for every article.
_CHANNELS = frozenset(
    {"connect with us", "follow us", "stay connected", "join us", "follow us on social media"}
)
_FAQ = frozenset(
    {"faq", "faqs", "frequently asked questions", "questions and answers", "q&a", "q & a"}
)
_QA = re.compile(r"^\s*([QA])\s*:\s*(\S.*)$", re.IGNORECASE | re.DOTALL)
# "Collaborating Giants: Stargate brings together ...": a short title, a colon, the text.
_POINT = re.compile(r"^(?P<title>[^:]{1,80}?):\s+(?P<text>\S.*)$", re.DOTALL)
MAX_POINT_TITLE_WORDS = 10
MAX_QUESTION_CHARS = 300


@dataclass(frozen=True)
class DraftPoint:
    """A list entry that reads "Title: text"."""

    title: str
    text: str


@dataclass(frozen=True)
class DraftSection:
    """A heading and the text under it, verbatim."""

    title: str
    paragraphs: tuple[str, ...] = ()
    points: tuple[DraftPoint, ...] = ()
    # True when the text had no heading here and the article's title stands in for one.
    title_is_stand_in: bool = False


@dataclass(frozen=True)
class DraftFaq:
    """A question and answer quoted from the article."""

    question: str
    answer: str


@dataclass(frozen=True)
class Outline:
    """What an article says, in its own words, and what of the page was left out."""

    title: str
    standfirst: str | None
    sections: tuple[DraftSection, ...]
    faqs: tuple[DraftFaq, ...]
    left_out: tuple[str, ...]


def is_page_marker(line: str) -> bool:
    """Whether a line is page furniture or where the article ends ("Leave a Comment"): a
    block of its own even when no blank line sets it apart from the text above."""
    key = _key(line)
    return key in _END or key in _FURNITURE or key in _CHANNELS


def _key(text: str) -> str:
    """Text as compared with the lists above: case, punctuation and emoji ignored."""
    return " ".join(re.sub(r"[^\w\s&]", " ", text.casefold()).split())


def _quoted(text: str, limit: int = 60) -> str:
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def outline(source: Source, *, title: str | None = None, no_title: str = "") -> Outline:
    """The article in `source`; `title` (a feed entry's) wins over the one the source has.
    `no_title` says where the format expects one, for the error when there is none."""
    blocks = list(source.blocks)
    title = squash(title) if title else source.title
    # A leading <h1> is the page's title: taken when none was given, never a part of its own.
    if blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1:
        first = blocks.pop(0)
        title = title or first.text
    if not title:
        raise ImportProblem("it has no title" + (f": {no_title}" if no_title else ""))
    left_out: list[str] = []
    intro, parts = _parts(blocks, left_out)
    faqs, intro = _faq_pairs(intro, faq_part=False, left_out=left_out)
    sections: list[DraftSection] = []
    for heading, body in parts:
        faq_part = _key(heading.text) in _FAQ
        pairs, rest = _faq_pairs(body, faq_part=faq_part, left_out=left_out)
        faqs += pairs
        if faq_part and pairs:
            left_out.extend(
                f"{_quoted(b.text)} under {_quoted(heading.text)}, neither question nor answer"
                for b in rest
            )
        elif section := _section(heading.text, rest):
            sections.append(section)
        else:
            left_out.append(f"{_quoted(heading.text)}, a heading with no text under it")
    standfirst = None
    if len(intro) == 1 and isinstance(intro[0], Paragraph) and sections:
        standfirst = intro[0].text
    elif section := _section(title, intro, title_is_stand_in=True):
        sections.insert(0, section)
    if not sections:
        raise ImportProblem("it has no text besides its title and FAQs")
    return Outline(
        title=title,
        standfirst=standfirst,
        sections=tuple(sections),
        faqs=tuple(faqs),
        left_out=tuple(left_out),
    )


def _parts(
    blocks: Iterable[Block], left_out: list[str]
) -> tuple[list[Block], list[tuple[Heading, list[Block]]]]:
    """The blocks before the first heading, then each heading with the blocks under it."""
    intro: list[Block] = []
    parts: list[tuple[Heading, list[Block]]] = []
    current = intro
    skipping = in_faq = False
    for block in blocks:
        key = _key(block.text)
        if not isinstance(block, Item) and (key in _END or _COUNTED_COMMENTS.match(key)):
            left_out.append(f"{_quoted(block.text)} and everything after it")
            break
        if key in _FURNITURE:
            left_out.append(_quoted(block.text))
            continue
        if isinstance(block, Heading):
            # Under an FAQ heading, a sub-heading that asks something is a question.
            if in_faq and block.text.endswith("?"):
                current.append(block)
                continue
            skipping = key in _CHANNELS
            if skipping:
                left_out.append(f"{_quoted(block.text)}: the channels are in channels.toml")
                continue
            in_faq = key in _FAQ
            parts.append((block, []))
            current = parts[-1][1]
        elif not skipping:
            current.append(block)
    return intro, parts


def _faq_pairs(
    blocks: list[Block], *, faq_part: bool, left_out: list[str]
) -> tuple[list[DraftFaq], list[Block]]:
    """The Q:/A: pairs among the blocks (under an FAQ heading, also "...?" then its answer),
    and the other blocks."""
    pairs: list[DraftFaq] = []
    rest: list[Block] = []
    question: str | None = None
    answer: list[str] = []

    def close() -> None:
        nonlocal question
        if question is not None:
            if answer:
                pairs.append(DraftFaq(question, "\n\n".join(answer)))
            else:
                left_out.append(f"{_quoted(question)}, a question with no answer")
        question = None
        answer.clear()

    for block in blocks:
        qa = _QA.match(block.text) if isinstance(block, Paragraph) else None
        asks = faq_part and block.text.endswith("?") and len(block.text) <= MAX_QUESTION_CHARS
        if qa and qa[1].upper() == "Q":
            close()
            question = qa[2]
        elif qa and question is not None:
            answer.append(qa[2])
        elif asks and not isinstance(block, Item) and (question is None or answer):
            close()
            question = block.text
        elif question is not None and faq_part and not isinstance(block, Heading):
            # Under an FAQ heading an answer may run on over several paragraphs.
            answer.append(block.text)
        else:
            close()
            rest.append(block)
    close()
    return pairs, rest


def _section(
    title: str, blocks: list[Block], *, title_is_stand_in: bool = False
) -> DraftSection | None:
    paragraphs: list[str] = []
    points: list[DraftPoint] = []
    for block in blocks:
        match = _POINT.match(block.text) if isinstance(block, Item) else None
        if match and _is_point_title(match["title"]):
            points.append(DraftPoint(match["title"].strip(), match["text"]))
        else:
            paragraphs.append(block.text)
    if not paragraphs and not points:
        return None
    return DraftSection(title, tuple(paragraphs), tuple(points), title_is_stand_in)


def _is_point_title(text: str) -> bool:
    return len(text.split()) <= MAX_POINT_TITLE_WORDS and ". " not in text
