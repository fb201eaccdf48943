"""The errors Microsoft.Resources answers with (beyond ARM's generic ones in arm/errors.py)."""
from __future__ import annotations

from ..errors import ArmError


def group_location_conflict(requested: str, existing: str) -> ArmError:
    return ArmError(409, "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{requested}'. The Resource group already exists "
                    f"in location '{existing}'.")


def invalid_filter(expression: str) -> ArmError:
    return ArmError(400, "InvalidFilterInQueryString",
                    f"Invalid $filter '{expression}' specified in the query string. Supported terms: "
                    "resourceType, resourceGroup, name, location, tagName, tagValue with 'eq'.")
