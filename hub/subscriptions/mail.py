"""E-mail through SMTP (`aiosmtplib`): the confirmation link, and each alert as text and HTML with
its CAP XML attached, the group text set apart ready to copy."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    sender: str
    timeout: float = 10.0

    def send(self, message: EmailMessage) -> None:
        message["From"] = self.sender
        asyncio.run(
            aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=self.timeout)
        )


def confirmation(to: str, link: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Bevestig uw AlertHub-abonnement / Confirm your AlertHub subscription"
    message.set_content(
        "Iemand heeft dit adres aangemeld voor waarschuwingen van AlertHub.\n"
        f"Bevestig met deze link: {link}\n"
        "Heeft u dit niet gevraagd? Dan hoeft u niets te doen:"
        " zonder bevestiging krijgt u niets.\n\n"
        f"Someone subscribed this address to AlertHub alerts. Confirm: {link}\n"
        "If this was not you, do nothing: nothing is sent without confirmation.\n"
    )
    return message


def alert_mail(to: str, payload: dict[str, Any], cap_xml: bytes | None) -> EmailMessage:
    alert = payload["alert"]
    info = (alert.get("info") or [{}])[0]
    headline = info.get("headline") or info.get("event") or "Alert"
    group = payload["group_message"]["text"]
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = f"[{payload['type']}] {headline}"[:200]
    message["Message-ID"] = f"<{payload['event_id'].replace(':', '.')}@alerthub>"
    message.set_content(
        f"{group}\n\n---\n{info.get('description') or ''}\n\n{payload['links']['alert']}\n"
    )
    message.add_alternative(
        "<html><body>"
        "<p>Klaar om te delen / ready to share:</p>"
        f"<pre style='background:#f4f4f4;padding:1em;white-space:pre-wrap'>{html.escape(group)}"
        "</pre>"
        f"<h2>{html.escape(headline)}</h2>"
        f"<p>{html.escape(info.get('description') or '')}</p>"
        f"<p><a href='{html.escape(payload['links']['alert'])}'>"
        f"{html.escape(payload['links']['alert'])}</a></p>"
        "</body></html>",
        subtype="html",
    )
    if cap_xml is not None:
        message.add_attachment(
            cap_xml, maintype="application", subtype="cap+xml", filename="alert.cap.xml"
        )
    return message
