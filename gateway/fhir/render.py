"""Bundles around rendered resources (single resources render through :mod:`gateway.fhir.kinds`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["searchset_bundle"]

JSON = dict[str, Any]


def searchset_bundle(resources: Iterable[JSON], *, total: int, base_url: str, self_link: str,
                     next_link: str | None) -> JSON:
    links = [{"relation": "self", "url": self_link}]
    if next_link:
        links.append({"relation": "next", "url": next_link})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [{"fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}", "resource": resource,
                   "search": {"mode": "match"}} for resource in resources],
    }
