"""HTML: a whole page's main text (trafilatura drops navigation, ads, banners, comments, footer),
or a feed entry's HTML body as it is, read into blocks."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import lxml.html
from lxml.etree import ParserError

from core.content.importer.blocks import Block, Heading, Item, Paragraph, Source, squash
from core.content.importer.errors import ImportProblem

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = frozenset({"ul", "ol"})
# Elements whose text is a paragraph of its own when nothing block-like is inside them.
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "header", "blockquote", "pre", "dd", "dt", "li"}
    | _LISTS
    | set(_HEADINGS)
)
# Never article text, even inside a feed entry's body (trafilatura already drops them on pages).
_SKIPPED = frozenset(
    {
        "script",
        "style",
        "nav",
        "aside",
        "footer",
        "form",
        "noscript",
        "iframe",
        "svg",
        "button",
        "figure",
        "table",
        "select",
        "template",
    }
)


@dataclass(frozen=True)
class Page:
    """An article page: its text, and what its metadata says of its date and address."""

    source: Source
    published: datetime.date | None
    url: str | None


def read_page(html: str, *, url: str | None = None) -> Page:
    """The article a whole page carries; ImportProblem when it has none."""
    import trafilatura

    extracted = trafilatura.extract(
        html,
        url=url,
        output_format="html",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        # Precision over recall: an ad or a cookie notice in the summary is worse than a
        # paragraph an editor adds back by hand.
        favor_precision=True,
    )
    if not extracted:
        raise ImportProblem("no article text found in the page")
    metadata = trafilatura.extract_metadata(html, default_url=url)
    blocks = html_blocks(extracted)
    title = metadata.title
    if blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1:
        title = blocks[0].text
    return Page(
        source=Source(title=squash(title) if title else None, blocks=blocks),
        published=_date(metadata.date),
        url=metadata.url,
    )


def html_blocks(html: str) -> tuple[Block, ...]:
    """The headings, paragraphs and list entries of an HTML document or fragment, in order."""
    if not html.strip():
        return ()
    try:
        root = lxml.html.fromstring(html)
    except (ParserError, ValueError) as exc:
        raise ImportProblem(f"the HTML cannot be read: {exc}") from None
    out: list[Block] = []
    _walk(root, out)
    return tuple(out)


def _walk(element: lxml.html.HtmlElement, out: list[Block]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIPPED or not tag:
        return
    if tag in _HEADINGS:
        _add(out, Heading(squash(element.text_content()), level=_HEADINGS[tag]))
    elif tag == "li":
        _add(out, Item(squash(_own_text(element))))
        for child in element:
            if child.tag in _LISTS:
                _walk(child, out)
    elif tag in _BLOCKS and not any(_is_block(d) for d in element.iterdescendants()):
        _add(out, Paragraph(squash(element.text_content())))
    else:
        # A container: its loose text (between child elements) reads as paragraphs too.
        _add(out, Paragraph(squash(element.text or "")))
        for child in element:
            _walk(child, out)
            _add(out, Paragraph(squash(child.tail or "")))


def _own_text(item: lxml.html.HtmlElement) -> str:
    """A list entry's text without the lists nested in it."""
    parts = [item.text or ""]
    for child in item:
        if child.tag not in _LISTS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _is_block(element: lxml.html.HtmlElement) -> bool:
    # A skipped element counts too, so that its text never joins a paragraph around it.
    return isinstance(element.tag, str) and (element.tag in _BLOCKS or element.tag in _SKIPPED)


def _add(out: list[Block], block: Block) -> None:
    if block.text:
        out.append(block)


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
