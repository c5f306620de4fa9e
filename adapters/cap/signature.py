"""Where the enveloped `ds:Signature` sits in the raw bytes, found by the XML parser itself.

The signature is kept verbatim (its bytes are what was signed over, so a copy re-serialised from
a tree would no longer be the sender's). Its place comes from the parser's own events: only an
element `Signature` in the XML-DSig namespace that is a direct child of the root counts, so the
text `<Signature>...</Signature>` written inside CDATA, a comment or an element's text is not a
signature, however it is spelled.

Call it only on a body the safe parser already accepted (no DTD, no entities): expat here does
nothing but report where elements start and end.
"""

from __future__ import annotations

from xml.parsers import expat

from adapters.cap.names import DSIG_NS

_SIGNATURE = f"{DSIG_NS} Signature"


def enveloped_signature(body: bytes) -> str | None:
    """The first root-level `ds:Signature`, verbatim, or None when there is none."""
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0
    span: list[int] = []
    holds = False  # whether the signature has any content (else it may be `<ds:Signature/>`)

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, holds
        depth += 1
        if depth == 2 and name == _SIGNATURE and not span:  # a child of the root
            span.append(parser.CurrentByteIndex)
        elif depth > 2 and len(span) == 1:
            holds = True

    def end(name: str) -> None:
        nonlocal depth
        if depth == 2 and name == _SIGNATURE and len(span) == 1:
            span.append(parser.CurrentByteIndex)
        depth -= 1

    def text(data: str) -> None:
        nonlocal holds
        holds = holds or len(span) == 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.Parse(body, True)
    if not span:
        return None
    begin, closing = span
    # The end event points at `</ds:Signature>`; for an empty `<ds:Signature .../>`, just past it.
    empty = not holds and body[closing - 2 : closing] == b"/>"
    stop = closing if empty else body.index(b">", closing) + 1
    return body[begin:stop].decode("utf-8", "replace")
