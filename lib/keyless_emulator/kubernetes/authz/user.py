"""Who is calling a cluster's API server, as the authenticators describe it to the authorizers
(kube-apiserver's `user.Info`): a username, its groups, and for a Microsoft Entra caller its object id."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"
# AKS's local account: the static credential of listClusterUser/AdminCredential on a cluster with local
# accounts, a member of system:masters and so bound to cluster-admin.
MASTERCLIENT = "masterclient"


@dataclass(frozen=True)
class UserInfo:
    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    entra_object_id: str = ""  # the caller's Entra object id when it signed in with an Entra token
    extra: dict[str, list[str]] = field(default_factory=dict)

    def as_status(self) -> dict[str, Any]:
        """The userInfo of a SelfSubjectReview (kubectl auth whoami)."""
        out: dict[str, Any] = {"username": self.username, "groups": list(self.groups)}
        if self.uid:
            out["uid"] = self.uid
        if self.extra:
            out["extra"] = {k: list(v) for k, v in self.extra.items()}
        return out


def local_account() -> UserInfo:
    return UserInfo(MASTERCLIENT, (MASTERS, AUTHENTICATED))


def service_account(subject: str, uid: str = "") -> UserInfo:
    namespace = subject.split(":")[2]
    return UserInfo(subject, ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED), uid)


def entra(claims: dict[str, Any]) -> UserInfo:
    """An Entra caller: a user by its `upn`, a service principal or managed identity by its object id (what
    AKS's guard hands kube-apiserver); its groups claim plus system:authenticated."""
    oid = str(claims.get("oid", ""))
    name = str(claims.get("upn") or oid)
    groups = tuple(str(g) for g in claims.get("groups") or ()) + (AUTHENTICATED,)
    return UserInfo(name, groups, entra_object_id=oid, extra={"oid": [oid]})
