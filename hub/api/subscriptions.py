"""`/v1/subscriptions`: subscribe an area, confirm, pause, resume, delete, see every delivery.

A subscription belongs to the partner that made it; a partner sees and changes only its own
(an administrator sees all). The confirmation link is the one public route: it carries a token
only the subscribed address received.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from hub.api.auth import PartnerDep
from hub.api.deps import HubDep
from hub.subscriptions.model import SubscriptionRequest
from hub.subscriptions.service import SubscriptionService

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


async def get_subscriptions(request: Request) -> SubscriptionService:
    service: SubscriptionService = request.app.state.hub.push.service
    return service


ServiceDep = Annotated[SubscriptionService, Depends(get_subscriptions)]


def room_to_write(hub: HubDep) -> None:
    """A change to subscriptions waits, like a message, while the disk is (nearly) full: 503."""
    if hub.service.storage is not None:
        hub.service.storage.check_room()


Writes = [Depends(room_to_write)]


def _owner(partner: PartnerDep) -> str | None:
    """Whose subscriptions the caller may see: its own, or everyone's for an administrator."""
    return None if partner.rights.admin else partner.name


@router.post("", status_code=201, dependencies=Writes)
def create(body: SubscriptionRequest, partner: PartnerDep, service: ServiceDep) -> dict[str, Any]:
    sub = service.create(partner.name, body)
    secret = service.secret(sub.subscription_id) if body.target.webhook is not None else None
    return {**sub.document(), **({"secret": secret} if secret else {})}


@router.get("")
def list_subscriptions(partner: PartnerDep, service: ServiceDep) -> dict[str, Any]:
    return {"items": [s.document() for s in service.store.find(_owner(partner))]}


@router.get("/{subscription_id}")
def show(subscription_id: UUID, partner: PartnerDep, service: ServiceDep) -> dict[str, Any]:
    return service.store.get(subscription_id, _owner(partner)).document()


@router.post("/{subscription_id}/pause", dependencies=Writes)
def pause(subscription_id: UUID, partner: PartnerDep, service: ServiceDep) -> dict[str, Any]:
    service.pause(_owner(partner), subscription_id)
    return service.store.get(subscription_id).document()


@router.post("/{subscription_id}/resume", dependencies=Writes)
def resume(subscription_id: UUID, partner: PartnerDep, service: ServiceDep) -> dict[str, Any]:
    service.resume(_owner(partner), subscription_id)
    return service.store.get(subscription_id).document()


@router.delete("/{subscription_id}", status_code=204, dependencies=Writes)
def delete(subscription_id: UUID, partner: PartnerDep, service: ServiceDep) -> Response:
    service.delete(_owner(partner), subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries")
def deliveries(
    subscription_id: UUID,
    partner: PartnerDep,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    service.store.get(subscription_id, _owner(partner))
    return {"items": service.store.deliveries(subscription_id, limit)}


@router.post("/{subscription_id}/deliveries/replay", dependencies=Writes)
def replay(subscription_id: UUID, partner: PartnerDep, service: ServiceDep) -> dict[str, Any]:
    """Queue the dead letters again and resume the subscription (after the receiver is fixed)."""
    return {"requeued": service.replay_dead_letters(_owner(partner), subscription_id)}


@router.get("/{subscription_id}/confirm", response_class=HTMLResponse)
def confirm(
    subscription_id: UUID,
    service: ServiceDep,
    token: Annotated[str, Query(min_length=16, max_length=128)],
) -> str:
    service.confirm(subscription_id, token)
    return (
        "<!doctype html><meta charset=utf-8><title>AlertHub</title>"
        "<p>Uw abonnement is bevestigd. / Your subscription is confirmed.</p>"
    )
