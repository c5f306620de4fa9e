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

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2 and name == _SIGNATURE and not span:  # a child of the root
            span.append(parser.CurrentByteIndex)

    def end(name: str) -> None:
        nonlocal depth
        if depth == 2 and name == _SIGNATURE and len(span) == 1:
            span.append(parser.CurrentByteIndex)
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(body, True)
    if not span:
        return None
    begin, closing = span
    # The end event points at `</ds:Signature>`, or at the start tag itself when it is empty.
    stop = body.index(b">", closing) + 1 if closing > begin else _empty_end(body, begin)
    return body[begin:stop].decode("utf-8", "replace")


def _empty_end(body: bytes, begin: int) -> int:
    """End of an empty `<ds:Signature .../>`: the first `/>` outside a quoted attribute value."""
    quote = 0
    for index in range(begin, len(body)):
        char = body[index]
        if quote:
            quote = 0 if char == quote else quote
        elif char in b"\"'":
            quote = char
        elif body.startswith(b"/>", index):
            return index + 2
    return len(body)
