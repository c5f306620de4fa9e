"""The CAP channel under the shared conformance suite, on the CAP 1.2 appendix examples."""

from __future__ import annotations

from pathlib import Path

from adapters.cap import CapChannel
from adapters.conformance import ChannelConformance, Sample

EXAMPLES = Path(__file__).parents[3] / "examples" / "messages" / "cap"
REAL = Path(__file__).parents[2] / "fixtures" / "cap" / "real"
HOSTILE = Path(__file__).parents[2] / "fixtures" / "cap" / "hostile"


class TestCapConformance(ChannelConformance):
    channel = CapChannel()
    samples = [
        Sample.from_file(p, "application/cap+xml")
        for p in sorted([*EXAMPLES.glob("*.xml"), *REAL.glob("*.xml")])
        if "not-xsd-valid" not in p.name
    ]
    malformed = [Sample.from_file(p, "application/cap+xml") for p in sorted(HOSTILE.glob("*.xml"))]
