"""The spatial index the matcher asks "whose area does this alert touch?" without a scan.

Built once from the active subscriptions (an STRtree over their shapes, a table for postcodes)
and rebuilt only when the set of active subscriptions changes, so matching costs one tree query
per event however many subscriptions there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from uuid import UUID

from shapely import STRtree
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from hub.subscriptions.geometry import Geography, postcode_key, subscription_shape
from hub.subscriptions.model import Subscription


class SubscriptionIndex:
    def __init__(self, subscriptions: Iterable[Subscription], geography: Geography) -> None:
        self.by_id: dict[UUID, Subscription] = {}
        shapes: list[BaseGeometry] = []
        self._ids: list[UUID] = []
        self._by_postcode: dict[str, list[UUID]] = defaultdict(list)
        for sub in subscriptions:
            self.by_id[sub.subscription_id] = sub
            code = postcode_key(sub.request.area)
            if code is not None:
                self._by_postcode[code].append(sub.subscription_id)
                continue
            shape = subscription_shape(sub.request.area, geography)
            if shape is not None:
                shapes.append(shape)
                self._ids.append(sub.subscription_id)
        self._shapes = shapes
        self._tree = STRtree(shapes)

    def __len__(self) -> int:
        return len(self.by_id)

    def touching(self, shape: BaseGeometry | None, postcodes: set[str]) -> list[Subscription]:
        """Subscriptions whose area intersects `shape` or names one of `postcodes`."""
        found: dict[UUID, Subscription] = {}
        if shape is not None and self._shapes:
            prepared = prep(shape)
            for i in self._tree.query(shape):
                if prepared.intersects(self._shapes[int(i)]):
                    sub_id = self._ids[int(i)]
                    found[sub_id] = self.by_id[sub_id]
        for code in postcodes:
            for sub_id in self._by_postcode.get(code, []):
                found[sub_id] = self.by_id[sub_id]
        return list(found.values())
