"""Latency profiles: how long long-running operations take.

`instant` completes every operation at its first status poll (the shape of a real
long-running operation, none of the wait). `realistic` uses durations typical of Azure,
multiplied by `factor` (1.0 = real time; the default 0.01 turns minutes into seconds).
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

# Typical durations in seconds, by operation key "<lower-case resource type>:<put|delete>".
REALISTIC_SECONDS: dict[str, float] = {
    "microsoft.containerservice/managedclusters:put": 300.0,     # enabling OIDC/workload identity
    "microsoft.containerservice/managedclusters:delete": 420.0,
    "microsoft.cognitiveservices/accounts:put": 30.0,
    "microsoft.cognitiveservices/accounts:delete": 20.0,
    "microsoft.cognitiveservices/accounts/deployments:put": 40.0,
    "microsoft.cognitiveservices/accounts/deployments:delete": 15.0,
    "microsoft.resources/resourcegroups:delete": 60.0,
}
DEFAULT_REALISTIC_SECONDS = 10.0
PROFILES = ("instant", "realistic")


class LatencySpecError(ValueError):
    pass


@dataclass
class LatencyProfile:
    profile: str = "instant"
    factor: float = 0.01
    overrides: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise LatencySpecError(f"latency profile must be one of {', '.join(PROFILES)}; got {self.profile!r}")
        try:
            self.factor = float(self.factor)
        except (TypeError, ValueError) as e:
            raise LatencySpecError("latency factor must be a number") from e
        if not (0 < self.factor <= 10):
            raise LatencySpecError("latency factor must be > 0 and <= 10")
        for k, v in self.overrides.items():
            if not isinstance(v, (int, float)) or v < 0:
                raise LatencySpecError(f"latency override {k!r} must be a non-negative number of seconds")

    def duration(self, resource_type: str, kind: str) -> float:
        key = f"{resource_type.lower()}:{kind}"
        if key in self.overrides:
            return float(self.overrides[key])
        if self.profile == "instant":
            return 0.0
        return REALISTIC_SECONDS.get(key, DEFAULT_REALISTIC_SECONDS) * self.factor

    def describe(self) -> dict[str, Any]:
        return asdict(self)


class LatencySetting:
    def __init__(self, profile: LatencyProfile | None = None):
        self._profile = profile or LatencyProfile()
        self._lock = threading.Lock()

    def get(self) -> LatencyProfile:
        with self._lock:
            return self._profile

    def set(self, profile: LatencyProfile) -> None:
        with self._lock:
            self._profile = profile


def parse_latency(body: Any) -> LatencyProfile:
    if not isinstance(body, dict):
        raise LatencySpecError('body must be {"profile": "instant"|"realistic", "factor": N}')
    unknown = set(body) - {"profile", "factor", "overrides"}
    if unknown:
        raise LatencySpecError(f"unknown latency fields: {', '.join(sorted(unknown))}")
    return LatencyProfile(profile=body.get("profile", "instant"), factor=body.get("factor", 0.01),
                          overrides=dict(body.get("overrides") or {}))
