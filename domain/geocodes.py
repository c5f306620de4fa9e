"""The convention for Dutch area codes in CAP `geocode` elements.

No Dutch CAP profile fixes a `valueName` for these codes (none was found), so the hub fixes one and
checks the values, so a typo never silently targets the wrong area:

| valueName       | value                         | example  | source of the codes              |
|-----------------|-------------------------------|----------|----------------------------------|
| `CBS-GM`        | municipality, `GM` + 4 digits | `GM0363` | CBS gemeentecode (changes 1 Jan) |
| `CBS-VR`        | safety region, `VR01`..`VR25` | `VR13`   | CBS veiligheidsregio code        |
| `CBS-PV`        | province, `PV20`..`PV31`      | `PV27`   | CBS provinciecode                |
| `NL-POSTCODE`   | `1234AB` or a 4-digit `1234`  | `1012AB` | PostNL postcode (PC6 or PC4)     |

Other valueNames (SAME, FIPS6, UGC, EMMA_ID, ...) pass through unchecked.
"""

from __future__ import annotations

import re

MUNICIPALITY = "CBS-GM"
SAFETY_REGION = "CBS-VR"
PROVINCE = "CBS-PV"
POSTCODE = "NL-POSTCODE"

_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    MUNICIPALITY: (re.compile(r"^GM\d{4}$"), "a municipality code is GM + 4 digits, e.g. GM0363"),
    SAFETY_REGION: (
        re.compile(r"^VR(0[1-9]|1\d|2[0-5])$"),
        "a safety region code is VR01..VR25, e.g. VR13",
    ),
    PROVINCE: (re.compile(r"^PV(2\d|3[01])$"), "a province code is PV20..PV31, e.g. PV27"),
    POSTCODE: (
        re.compile(r"^[1-9]\d{3}(?:(?!SA|SD|SS)[A-Z]{2})?$"),
        "a postcode is 4 digits (first 1-9) with optional 2 capitals (not SA, SD, SS)",
    ),
}


def validate_geocode(name: str, value: str) -> None:
    """Raise ValueError if a Dutch code system's value is malformed; other systems pass."""
    rule = _PATTERNS.get(name)
    if rule is not None and not rule[0].match(value):
        raise ValueError(f"{name} value {value!r} is invalid: {rule[1]}")


def is_dutch_code_system(name: str) -> bool:
    """Whether a geocode's valueName is one of the Dutch code systems above (a Dutch place)."""
    return name in _PATTERNS
