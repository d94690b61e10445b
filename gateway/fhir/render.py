"""Bundles around rendered resources (single resources render through :mod:`gateway.fhir.kinds`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["history_bundle", "searchset_bundle"]

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


def history_bundle(versions: Iterable[JSON], *, base_url: str, self_link: str) -> JSON:
    """An instance ``_history``: every version, the newest first. Version 1 was a create, later ones
    updates (resources are written from messages, never deleted)."""
    entries = []
    for resource in versions:
        meta = resource.get("meta", {})
        number = meta.get("versionId", "")
        entries.append({
            "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "request": {"method": "POST" if number == "1" else "PUT",
                        "url": resource["resourceType"] if number == "1"
                        else f"{resource['resourceType']}/{resource['id']}"},
            "response": {"status": "201 Created" if number == "1" else "200 OK",
                         "etag": f'W/"{number}"', "lastModified": meta.get("lastUpdated")},
        })
    return {"resourceType": "Bundle", "type": "history", "total": len(entries),
            "link": [{"relation": "self", "url": self_link}], "entry": entries}
