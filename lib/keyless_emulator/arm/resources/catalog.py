"""Azure's public regions as `GET /subscriptions/{id}/locations` lists them (api-version 2022-12-01).

Names, display names, geography groups, physical locations and pairs are Azure's own (as
`az account list-locations` shows them); a subset of the physical regions, enough for clients
to check a `location` against the subscription's list as they must on Azure. Coordinates are
left out: nothing the emulator's clients read needs them.
"""
from __future__ import annotations

from typing import Any

# name, display name, geography group, physical location, paired region ("" when not listed here)
REGIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("eastus", "East US", "US", "Virginia", "westus"),
    ("eastus2", "East US 2", "US", "Virginia", "centralus"),
    ("southcentralus", "South Central US", "US", "Texas", "northcentralus"),
    ("westus2", "West US 2", "US", "Washington", "westcentralus"),
    ("westus3", "West US 3", "US", "Phoenix", "eastus"),
    ("australiaeast", "Australia East", "Asia Pacific", "New South Wales", "australiasoutheast"),
    ("southeastasia", "Southeast Asia", "Asia Pacific", "Singapore", "eastasia"),
    ("northeurope", "North Europe", "Europe", "Ireland", "westeurope"),
    ("swedencentral", "Sweden Central", "Europe", "Gävle", ""),
    ("uksouth", "UK South", "Europe", "London", "ukwest"),
    ("westeurope", "West Europe", "Europe", "Netherlands", "northeurope"),
    ("centralus", "Central US", "US", "Iowa", "eastus2"),
    ("southafricanorth", "South Africa North", "Africa", "Johannesburg", ""),
    ("centralindia", "Central India", "Asia Pacific", "Pune", "southindia"),
    ("eastasia", "East Asia", "Asia Pacific", "Hong Kong", "southeastasia"),
    ("japaneast", "Japan East", "Asia Pacific", "Tokyo, Saitama", "japanwest"),
    ("koreacentral", "Korea Central", "Asia Pacific", "Seoul", ""),
    ("canadacentral", "Canada Central", "Canada", "Toronto", "canadaeast"),
    ("francecentral", "France Central", "Europe", "Paris", ""),
    ("germanywestcentral", "Germany West Central", "Europe", "Frankfurt", ""),
    ("italynorth", "Italy North", "Europe", "Milan", ""),
    ("norwayeast", "Norway East", "Europe", "Norway", ""),
    ("polandcentral", "Poland Central", "Europe", "Warsaw", ""),
    ("spaincentral", "Spain Central", "Europe", "Madrid", ""),
    ("switzerlandnorth", "Switzerland North", "Europe", "Zurich", ""),
    ("mexicocentral", "Mexico Central", "Mexico", "Querétaro State", ""),
    ("uaenorth", "UAE North", "Middle East", "Dubai", ""),
    ("brazilsouth", "Brazil South", "South America", "Sao Paulo State", "southcentralus"),
    ("israelcentral", "Israel Central", "Middle East", "Israel", ""),
    ("qatarcentral", "Qatar Central", "Middle East", "Doha", ""),
    ("northcentralus", "North Central US", "US", "Illinois", "southcentralus"),
    ("westus", "West US", "US", "California", "eastus"),
    ("westcentralus", "West Central US", "US", "Wyoming", "westus2"),
    ("southindia", "South India", "Asia Pacific", "Chennai", "centralindia"),
    ("japanwest", "Japan West", "Asia Pacific", "Osaka", "japaneast"),
    ("australiasoutheast", "Australia Southeast", "Asia Pacific", "Victoria", "australiaeast"),
    ("canadaeast", "Canada East", "Canada", "Quebec", "canadacentral"),
    ("ukwest", "UK West", "Europe", "Cardiff", "uksouth"),
)

NAMES = frozenset(r[0] for r in REGIONS)


def normalized(location: str) -> str:
    """'East US' and 'eastus' name the same region, as Resource Manager accepts either."""
    return str(location).replace(" ", "").lower()


def available(location: str) -> bool:
    return normalized(location) in NAMES


def listed() -> list[str]:
    return [r[0] for r in REGIONS]


def location_documents(subscription_id: str) -> list[dict[str, Any]]:
    """The subscription's locations, in the shape and order Azure lists them."""
    def ref(name: str) -> dict[str, str]:
        return {"name": name, "id": f"/subscriptions/{subscription_id}/locations/{name}"}

    return [{"id": f"/subscriptions/{subscription_id}/locations/{name}", "name": name, "type": "Region",
             "displayName": display, "regionalDisplayName": f"({geo}) {display}",
             "metadata": {"regionType": "Physical", "regionCategory": "Recommended" if i < 30 else "Other",
                          "geographyGroup": geo, "physicalLocation": where,
                          "pairedRegion": [ref(pair)] if pair else []}}
            for i, (name, display, geo, where, pair) in enumerate(REGIONS)]
