"""Cell broadcast encoding of NL-Alert texts (3GPP TS 23.038 / TS 23.041)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adapters.nlalert.cellbroadcast import (
    CellBroadcastMessage,
    Encoding,
    decode,
    encode,
    is_gsm7,
)

# The national test message of 2 June 2025: the shape every NL-Alert has.
NL_ALERT_TEST_2025 = (
    "NL-Alert 02-06-2025 12:00: TESTBERICHT. De overheid waarschuwt je in een noodsituatie met "
    "NL-Alert. Je ontvangt dan een bericht zoals dit. Lees bij een NL-Alert wat er aan de hand is "
    "en wat je moet doen. Meer informatie op crisis.nl *** TEST MESSAGE Netherlands Government "
    "Public Warning System. No action required."
)

# GSM 03.38 default alphabet (index = septet, 0x1B = escape) and extension table, written
# independently of the module.
GSM_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_DEFAULT = GSM_TABLE.replace("\x1b", "")
GSM_EXTENSION = "\f^{}\\[~]|€"
CR = 0x0D
QUOTE = "\u2019"  # RIGHT SINGLE QUOTATION MARK: word processors' apostrophe


def oracle_pack(septets: list[int]) -> bytes:
    """Reference packing through a bit string (TS 23.038 §6.1.2.1.1), unlike the module's."""
    bits = "".join(format(s, "07b")[::-1] for s in septets)  # LSB of each septet first
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i : i + 8][::-1], 2) for i in range(0, len(bits), 8))


def septets_of(text: str) -> list[int]:
    return [GSM_TABLE.index(ch) for ch in text]


def assert_wellformed(msg: CellBroadcastMessage, max_pages: int = 15) -> None:
    assert 1 <= len(msg.pages) <= max_pages
    assert all(len(page) == 82 for page in msg.pages)
    assert msg.fits == (msg.overflow == 0)


# --- known vectors -------------------------------------------------------------------------------


def test_oracle_reproduces_the_standard_hellohello_vector() -> None:
    assert oracle_pack(septets_of("hellohello")).hex() == "e8329bfd4697d9ec37"


def test_hellohello_page_is_the_packed_text_then_cr_padding() -> None:
    msg = encode("hellohello", language="en")
    assert msg.encoding is Encoding.GSM7
    assert msg.data_coding_scheme == 0x01
    assert msg.pages[0][:8].hex() == "e8329bfd4697d9ec"
    # 9th octet: the last 6 bits of "o" (0x37) plus the first 2 bits of the CR padding.
    assert msg.pages[0][8] == 0x37 | (CR & 0b11) << 6
    assert msg.pages[0] == oracle_pack(septets_of("hellohello") + [CR] * 83)
    assert decode(msg.pages, msg.encoding) == "hellohello"


def test_gsm_table_positions_match_ts_23_038() -> None:
    # Spot checks of the reference table against TS 23.038 §6.2.1, then the module against it.
    assert len(GSM_TABLE) == 128
    positions = [GSM_TABLE.index(ch) for ch in "Δ¤¡§¿à\x1b"]
    assert positions == [0x10, 0x24, 0x40, 0x5F, 0x60, 0x7F, 0x1B]
    msg = encode("Δ¤¡§¿à")
    assert msg.pages[0] == oracle_pack([0x10, 0x24, 0x40, 0x5F, 0x60, 0x7F] + [CR] * 87)


def test_93_at_signs_pack_to_82_zero_octets() -> None:
    msg = encode("@" * 93)
    assert msg.pages == (bytes(82),)


def test_five_spare_bits_of_a_full_gsm_page_are_zero() -> None:
    page = encode("z" * 93).pages[0]  # "z" = 0x7A, all bits set in septet position 92
    assert page[81] & 0b1111_1000 == 0


# --- the national test message -------------------------------------------------------------------


def test_nl_alert_test_message_is_gsm7_dutch_in_four_pages() -> None:
    msg = encode(NL_ALERT_TEST_2025)
    assert msg.encoding is Encoding.GSM7
    assert msg.data_coding_scheme == 0x05
    assert msg.characters == msg.units == len(NL_ALERT_TEST_2025) == 315
    assert len(msg.pages) == 4  # ceil(315 / 93)
    assert (msg.fits, msg.overflow, msg.non_gsm_characters) == (True, 0, ())
    assert decode(msg.pages, Encoding.GSM7) == NL_ALERT_TEST_2025
    assert_wellformed(msg)


def test_a_curly_apostrophe_pasted_from_a_word_processor_forces_ucs2() -> None:
    text = NL_ALERT_TEST_2025.replace("een bericht zoals dit", "zo\u2019n bericht")
    msg = encode(text)
    assert msg.encoding is Encoding.UCS2
    assert msg.data_coding_scheme == 0x48
    assert msg.non_gsm_characters == (QUOTE,)
    assert len(msg.pages) == 8  # ceil(306 / 41): twice the pages of the GSM text
    assert decode(msg.pages, Encoding.UCS2) == text


def test_dutch_diaeresis_is_not_in_the_gsm_alphabet() -> None:
    # ä ö ü are in GSM 03.38, ë and ï (ideeën, geïnformeerd, Oekraïne) are not.
    assert is_gsm7("Ä Ö Ü ä ö ü é è")
    assert not is_gsm7("ë")
    msg = encode("Blijf binnen. Blijf geïnformeerd via crisis.nl en ideeën")
    assert msg.encoding is Encoding.UCS2
    assert msg.non_gsm_characters == ("ï", "ë")


# --- paging --------------------------------------------------------------------------------------


def test_93_gsm_characters_fill_exactly_one_page_and_94_take_two() -> None:
    assert len(encode("a" * 93).pages) == 1
    msg = encode("a" * 94)
    assert len(msg.pages) == 2
    assert decode(msg.pages, msg.encoding) == "a" * 94


def test_euro_counts_two_septets() -> None:
    msg = encode("€")
    assert (msg.encoding, msg.characters, msg.units) == (Encoding.GSM7, 1, 2)
    assert encode("[ok] {x} | ~ ^ \\").units == 16 + 8


def test_extension_character_at_the_boundary_moves_to_the_next_page() -> None:
    msg = encode("a" * 92 + "€")
    assert msg.units == 94
    assert len(msg.pages) == 2
    assert msg.pages[0] == oracle_pack([0x61] * 92 + [CR])
    assert msg.pages[1] == oracle_pack([0x1B, 0x65] + [CR] * 91)
    assert decode(msg.pages, msg.encoding) == "a" * 92 + "€"


def test_extension_character_that_fits_stays_on_the_page() -> None:
    msg = encode("a" * 91 + "€")
    assert len(msg.pages) == 1
    assert msg.pages[0] == oracle_pack([0x61] * 91 + [0x1B, 0x65])


def test_ucs2_carries_41_characters_per_page() -> None:
    assert len(encode(QUOTE * 41).pages) == 1
    msg = encode(QUOTE + "a" * 41)
    assert len(msg.pages) == 2
    assert msg.pages[0] == (QUOTE + "a" * 40).encode("utf-16-be")
    assert msg.pages[1] == ("a" + "\r" * 40).encode("utf-16-be")  # U+000D padding


def test_emoji_counts_two_units_and_is_not_split() -> None:
    msg = encode("a" * 40 + "🚨")
    assert (msg.characters, msg.units) == (41, 42)
    assert msg.non_gsm_characters == ("🚨",)
    assert len(msg.pages) == 2
    assert msg.pages[0] == ("a" * 40 + "\r").encode("utf-16-be")
    assert msg.pages[1][:4] == "🚨".encode("utf-16-be")
    assert decode(msg.pages, Encoding.UCS2) == "a" * 40 + "🚨"


def test_a_cr_of_the_text_never_ends_a_page() -> None:
    # Receivers strip trailing CRs of each page as padding: a CR at position 93 would vanish.
    text = "a" * 92 + "\r\nVolg de aanwijzingen"
    msg = encode(text)
    assert msg.pages[0] == oracle_pack([0x61] * 92 + [CR])
    assert decode(msg.pages, msg.encoding) == text


# --- limits --------------------------------------------------------------------------------------


def test_1395_gsm_characters_fit_in_15_pages() -> None:
    msg = encode("x" * 1395)
    assert (len(msg.pages), msg.capacity, msg.fits, msg.overflow) == (15, 1395, True, 0)


def test_1396_gsm_characters_do_not_fit_and_report_overflow() -> None:
    msg = encode("x" * 1396)
    assert (msg.fits, msg.overflow, msg.units, msg.capacity) == (False, 1, 1396, 1395)
    assert len(msg.pages) == 15  # the first 15 pages, never silently presented as the whole
    assert decode(msg.pages, msg.encoding) == "x" * 1395


def test_boundary_waste_can_overflow_below_nominal_capacity() -> None:
    text = ("a" * 92 + "€") * 15  # 1410 septets would need 16 pages anyway
    assert encode(text).overflow > 0
    text = "a" * 92 + "€" + "a" * (1395 - 94)  # 1395 septets, but one slot is padding
    msg = encode(text)
    assert msg.units == msg.capacity == 1395
    assert (msg.fits, msg.overflow) == (False, 1)


def test_ucs2_limit_is_615_units() -> None:
    assert encode(QUOTE * 615).fits
    msg = encode(QUOTE * 616)
    assert (msg.fits, msg.overflow, msg.capacity) == (False, 1, 615)


def test_max_pages_lowers_the_capacity() -> None:
    msg = encode("a" * 94, max_pages=1)
    assert (len(msg.pages), msg.capacity, msg.fits, msg.overflow) == (1, 93, False, 1)


@pytest.mark.parametrize("max_pages", [0, 16, -1])
def test_max_pages_outside_1_to_15_is_rejected(max_pages: int) -> None:
    with pytest.raises(ValueError, match="max_pages"):
        encode("a", max_pages=max_pages)


def test_empty_text_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        encode("")


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        encode("a\ud800b")


@pytest.mark.parametrize(
    ("language", "dcs"),
    [("nl", 0x05), ("en", 0x01), ("NL-nl", 0x05), ("en-GB", 0x01), ("de", 0x00), ("fy", 0x0F)],
)
def test_gsm7_data_coding_scheme_carries_the_language(language: str, dcs: int) -> None:
    assert encode("Blijf binnen.", language=language).data_coding_scheme == dcs


def test_ucs2_data_coding_scheme_ignores_the_language() -> None:
    assert encode(QUOTE, language="nl").data_coding_scheme == 0x48


def test_decode_rejects_a_page_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="81 octets"):
        decode([bytes(81)], Encoding.GSM7)


def test_unknown_extension_code_decodes_to_the_default_table_character() -> None:
    page = oracle_pack([0x1B, 0x61] + [CR] * 91)  # ESC + "a" is not in the extension table
    assert decode([page], Encoding.GSM7) == "a"


# --- properties ----------------------------------------------------------------------------------

gsm_text = st.text(alphabet=st.sampled_from(GSM_DEFAULT + GSM_EXTENSION), min_size=1, max_size=1500)
any_text = st.text(min_size=1, max_size=700)  # hypothesis' default excludes lone surrogates


def roundtrips(text: str) -> bool:
    """Texts that survive a receiver: not ending in CR (padding) nor holding a page of CRs."""
    return not text.endswith("\r") and "\r" * 41 not in text


@given(gsm_text, st.integers(min_value=1, max_value=15))
def test_gsm_text_roundtrips_and_pages_are_wellformed(text: str, max_pages: int) -> None:
    msg = encode(text, max_pages=max_pages)
    assert msg.encoding is Encoding.GSM7
    assert msg.units == len(text) + sum(ch in GSM_EXTENSION for ch in text)
    assert_wellformed(msg, max_pages)
    assume(msg.fits and roundtrips(text))
    assert decode(msg.pages, Encoding.GSM7) == text


@given(any_text, st.integers(min_value=1, max_value=15))
def test_any_text_roundtrips_and_pages_are_wellformed(text: str, max_pages: int) -> None:
    msg = encode(text, max_pages=max_pages)
    assert msg.encoding is (Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2)
    assert all(not is_gsm7(ch) for ch in msg.non_gsm_characters)
    assert_wellformed(msg, max_pages)
    assume(msg.fits and roundtrips(text))
    assert decode(msg.pages, msg.encoding) == text


@given(st.text(alphabet=st.sampled_from("a\u2019🚨€"), min_size=1, max_size=700))
def test_ucs2_text_roundtrips(text: str) -> None:
    assume(QUOTE in text or "🚨" in text)
    msg = encode(text)
    assert msg.encoding is Encoding.UCS2
    assert msg.units == len(text.encode("utf-16-be")) // 2
    assert_wellformed(msg)
    assume(msg.fits)
    assert decode(msg.pages, Encoding.UCS2) == text


@given(st.text(alphabet=st.sampled_from(GSM_DEFAULT.replace("\r", "") + GSM_EXTENSION)))
def test_overflow_counts_exactly_the_units_left_out(text: str) -> None:
    assume(text)
    msg = encode(text, max_pages=3)
    carried = decode(msg.pages, msg.encoding)
    assert text.startswith(carried)
    rest = text[len(carried) :]
    assert msg.overflow == len(rest) + sum(ch in GSM_EXTENSION for ch in rest)
