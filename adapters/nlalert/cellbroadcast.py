"""Encode NL-Alert texts into cell broadcast (CBS) pages, per 3GPP TS 23.038 / TS 23.041.

NL-Alert is sent by cell broadcast ("ETSI TS 123 041", Regeling alarmeringsdienst NL-Alert 2023),
so what the public sees is bounded by the CBS page format, not by the CAP text. This module turns a
text into the exact page contents so callers can tell, before sending, whether it fits, how many
pages it takes and which characters cost extra. Pure stdlib, no I/O.

Spec decisions (each also noted where it is applied):

* Page content is 82 octets (TS 23.041 §9.4.1.2, CBS page = 6 header octets + 82). GSM 7-bit packs
  93 septets into them, the 5 spare bits of octet 82 are zero (TS 23.038 §6.1.2.2); UCS-2 holds 41
  UTF-16 code units. At most 15 pages per message (TS 23.041 page parameter).
* Unused room is padded with CR: septet 0x0D for GSM 7-bit, the convention TS 23.038 §6.1.2.3.1
  refers to "just as for Cell Broadcast", and U+000D for UCS-2. TS 23.038 defines no separate UCS-2
  fill, and handsets strip trailing CRs from each page after decoding either alphabet (e.g. AOSP
  ``GsmSmsCbMessage``), so U+000D is the fill a receiver removes; a 0x0000 fill would show as NUL.
* Because CR is the fill, a receiver cannot tell a CR ending a page from padding. The encoder
  therefore never ends a non-final page with a CR of the text (the CR run moves to the next page);
  CRs at the very end of the text are dropped by every receiver and by :func:`decode`.
* An escape-table character (ESC + char) and a surrogate pair are never split over two pages: the
  pair moves to the next page and the slot left behind is padded.
* DCS: GSM 7-bit uses coding group 0000 with the language in bits 3..0 (TS 23.038 §5; Dutch 0x05,
  English 0x01, unspecified 0x0F). UCS-2 uses 0x48 (group 01xx general data coding: uncompressed,
  no class, alphabet bits 3..2 = 10 UCS2). Group 0001 value 0x11 would carry the language too, but
  it spends 2 octets of every page on a packed ISO 639 code (40 instead of 41 characters) and needs
  a different page layout; for a warning the extra character per page matters more than a
  language tag the handset does not need to display the text.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

PAGE_OCTETS = 82
GSM7_UNITS_PER_PAGE = 93  # floor(82 * 8 / 7)
UCS2_UNITS_PER_PAGE = 41  # 82 / 2
MAX_PAGES = 15
UCS2_DCS = 0x48
_CR = 0x0D
_ESC = 0x1B

# TS 23.038 §6.2.1: GSM 7-bit default alphabet, index = septet value (0x1B is the escape).
_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# TS 23.038 §6.2.1.1: basic character set extension table (reached via escape 0x1B).
_EXTENSION = dict(
    zip("\f^{}\\[~]|€", (0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65), strict=True)
)
_TO_SEPTET = {ch: i for i, ch in enumerate(_DEFAULT) if i != _ESC}
_FROM_EXTENSION = {v: k for k, v in _EXTENSION.items()}

# TS 23.038 §5, coding group 0000: bits 3..0 = position in this list (German .. Polish).
_GROUP_0000 = "de en it fr es nl sv da pt fi no el tr hu pl"
_LANGUAGE_DCS = {_GROUP_0000[i : i + 2]: i // 3 for i in range(0, len(_GROUP_0000), 3)}
LANGUAGE_UNSPECIFIED_DCS = 0x0F

_Unit = tuple[int, ...]  # the units of one character: 1, or 2 for ESC+char / a surrogate pair


class Encoding(enum.Enum):
    """Alphabet of the page contents; the DCS byte tells the handset which one."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class CellBroadcastMessage:
    """The encoded pages of one text plus the numbers an operator needs to judge it.

    ``units`` are septets (GSM7) or UTF-16 code units (UCS2). ``capacity`` is the nominal room of
    ``max_pages`` pages; a text at or below it can still miss the limit when a 2-unit character or
    a CR moved off a page end leaves padded slots, so ``fits`` comes from the real paging and
    ``overflow`` counts the units left out of ``pages`` (``fits`` is ``overflow == 0``). An
    over-long text is never cut silently: ``pages`` then holds the first ``max_pages`` pages and
    ``fits`` is False: check ``fits`` before sending, the pages alone do not show the cut.
    """

    encoding: Encoding
    data_coding_scheme: int
    pages: tuple[bytes, ...]
    characters: int
    units: int
    capacity: int
    fits: bool
    overflow: int
    non_gsm_characters: tuple[str, ...]


def is_gsm7(text: str) -> bool:
    """True when every character is in the default alphabet or its extension table."""
    return all(ch in _TO_SEPTET or ch in _EXTENSION for ch in text)


def _gsm7_units(text: str) -> list[_Unit]:
    return [(_ESC, _EXTENSION[ch]) if ch in _EXTENSION else (_TO_SEPTET[ch],) for ch in text]


def _ucs2_units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    for ch in text:
        raw = ch.encode("utf-16-be")
        units.append(tuple(int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)))
    return units


def _paginate(chars: list[_Unit], per_page: int) -> list[list[_Unit]]:
    """Greedy paging that keeps each character's units together.

    A non-final page may not end in a CR of the text (receivers strip it as padding), so a
    trailing CR run is moved to the next page, unless the page holds nothing but CRs.
    """
    pages: list[list[_Unit]] = []
    start = 0
    while start < len(chars):
        end, used = start, 0
        while end < len(chars) and used + len(chars[end]) <= per_page:
            used += len(chars[end])
            end += 1
        if end < len(chars):
            keep = end
            while keep > start and chars[keep - 1] == (_CR,):
                keep -= 1
            if keep > start:
                end = keep
        pages.append(chars[start:end])
        start = end
    return pages


def _pack_septets(septets: Sequence[int]) -> bytes:
    """GSM 7-bit packing (TS 23.038 §6.1.2.1.1): septets LSB first, spare high bits zero."""
    out = bytearray()
    acc = bits = 0
    for septet in septets:
        acc |= (septet & 0x7F) << bits
        bits += 7
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append(acc)
    return bytes(out)


def _unpack_septets(octets: bytes, count: int) -> list[int]:
    value = int.from_bytes(octets, "little")
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


def _render_page(units: list[int], encoding: Encoding) -> bytes:
    if encoding is Encoding.GSM7:
        return _pack_septets(units + [_CR] * (GSM7_UNITS_PER_PAGE - len(units)))
    padded = units + [_CR] * (UCS2_UNITS_PER_PAGE - len(units))
    return b"".join(u.to_bytes(2, "big") for u in padded)


def _data_coding_scheme(encoding: Encoding, language: str) -> int:
    """CAP-style tags ("nl-NL") are reduced to the primary subtag; unknown -> unspecified 0x0F."""
    if encoding is Encoding.UCS2:
        return UCS2_DCS
    primary = language.split("-", 1)[0].strip().lower()
    return _LANGUAGE_DCS.get(primary, LANGUAGE_UNSPECIFIED_DCS)


def encode(text: str, *, language: str = "nl", max_pages: int = MAX_PAGES) -> CellBroadcastMessage:
    """Encode ``text`` as CBS pages, GSM 7-bit when possible, else UCS-2.

    Raises ValueError for an empty text, ``max_pages`` outside 1..15, or a lone surrogate
    (not representable in UCS-2). A too-long text is reported, not rejected: see
    :class:`CellBroadcastMessage`.
    """
    if not text:
        raise ValueError("text is empty: a cell broadcast message needs content")
    if isinstance(max_pages, bool) or not 1 <= max_pages <= MAX_PAGES:
        raise ValueError(f"max_pages must be 1..{MAX_PAGES} (TS 23.041), got {max_pages!r}")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise ValueError("text contains a lone surrogate, which UCS-2 cannot carry")
    non_gsm: tuple[str, ...] = ()
    if is_gsm7(text):
        encoding, per_page = Encoding.GSM7, GSM7_UNITS_PER_PAGE
        chars = _gsm7_units(text)
    else:
        encoding, per_page = Encoding.UCS2, UCS2_UNITS_PER_PAGE
        non_gsm = tuple(dict.fromkeys(ch for ch in text if not is_gsm7(ch)))
        chars = _ucs2_units(text)
    paged = _paginate(chars, per_page)[:max_pages]
    units = sum(len(c) for c in chars)
    carried = sum(len(c) for page in paged for c in page)
    pages = tuple(_render_page([u for c in page for u in c], encoding) for page in paged)
    return CellBroadcastMessage(
        encoding=encoding,
        data_coding_scheme=_data_coding_scheme(encoding, language),
        pages=pages,
        characters=len(text),
        units=units,
        capacity=max_pages * per_page,
        fits=carried == units,
        overflow=units - carried,
        non_gsm_characters=non_gsm,
    )


def _decode_gsm7_page(page: bytes) -> str:
    septets = _unpack_septets(page, GSM7_UNITS_PER_PAGE)
    out: list[str] = []
    i = 0
    while i < len(septets):
        s = septets[i]
        if s == _ESC and i + 1 < len(septets):
            nxt = septets[i + 1]
            # TS 23.038 §6.2.1.1: an unknown extension code shows the default-table character.
            out.append(_FROM_EXTENSION.get(nxt, _DEFAULT[nxt] if nxt != _ESC else " "))
            i += 2
            continue
        out.append(" " if s == _ESC else _DEFAULT[s])  # lone ESC displays as space
        i += 1
    return "".join(out)


def decode(pages: Sequence[bytes], encoding: Encoding) -> str:
    """Inverse of :func:`encode`: join the pages, dropping each page's trailing CR padding.

    Raises ValueError when a page is not 82 octets or is not valid UTF-16 (UCS2).
    """
    texts: list[str] = []
    for number, page in enumerate(pages, start=1):
        if len(page) != PAGE_OCTETS:
            raise ValueError(f"page {number} has {len(page)} octets, expected {PAGE_OCTETS}")
        # UCS2 decoding is strict: a split surrogate pair is an error.
        gsm7 = encoding is Encoding.GSM7
        text = _decode_gsm7_page(page) if gsm7 else page.decode("utf-16-be")
        texts.append(text.rstrip("\r"))
    return "".join(texts)
