"""The runbook's parameters: one dataclass, defaults from the article, validated up front.

Every value is checked against the real naming rule of the thing it names before anything is
sent anywhere; a bad value raises one `ParameterError` that names the parameter and the rule.
Secrets are never parameters: names that look like keys, secrets, tokens or passwords are
refused (credentials come from the target, see `keyless.targets`).
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Mapping

TARGETS = ("emulator", "azure")
CLOUDS = ("AzureCloud", "AzureUSGovernment", "AzureChinaCloud")
HOME_ENV = "KEYLESS_HOME"
_SECRET_WORDS = ("key", "secret", "token", "password", "passwd", "credential_value", "connection_string")


class ParameterError(ValueError):
    """A parameter value (or name) the runbook refuses; says which one and the rule."""

    def __init__(self, name: str, value: Any, rule: str):
        self.name, self.value, self.rule = name, value, rule
        shown = "(hidden)" if _looks_secret(name) else repr(value)
        super().__init__(f"parameter {name!r} = {shown} is not valid: {rule}")


@dataclass(frozen=True)
class Rule:
    pattern: str
    text: str
    allow_empty: bool = False

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, str):
            raise ParameterError(name, value, f"must be text; {self.text}")
        if value == "" and self.allow_empty:
            return
        if not re.fullmatch(self.pattern, value):
            raise ParameterError(name, value, self.text)


_DNS_LABEL = r"(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

RULES: dict[str, Rule] = {
    "resource_group": Rule(r"(?=.{1,90}$)[-\w.()]*[-\w()]",
                           "a resource group name is 1-90 letters, digits, '_', '-', '.', '(' or ')' and does not "
                           "end with '.'"),
    "cluster": Rule(r"[a-zA-Z0-9]|[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]",
                    "an AKS cluster name is 1-63 letters, digits, '-' or '_', starting and ending with a letter or "
                    "digit (empty: discover the only cluster of the resource group)", allow_empty=True),
    "openai_account": Rule(r"[a-zA-Z0-9]|[a-zA-Z0-9][-a-zA-Z0-9]{0,62}[a-zA-Z0-9]",
                           "an Azure OpenAI (Cognitive Services) account name is 2-64 letters, digits or '-', "
                           "starting and ending with a letter or digit (empty: discover the only one)",
                           allow_empty=True),
    "openai_deployment": Rule(r"[a-zA-Z0-9][-_.a-zA-Z0-9]{0,63}",
                              "an Azure OpenAI deployment name is 1-64 letters, digits, '-', '_' or '.', starting "
                              "with a letter or digit (empty: discover the only one)", allow_empty=True),
    "identity": Rule(r"[a-zA-Z0-9][-_a-zA-Z0-9]{2,127}",
                     "a user-assigned managed identity name is 3-128 letters, digits, '-' or '_', starting with a "
                     "letter or digit"),
    "federated_credential": Rule(r"[a-zA-Z0-9][-_a-zA-Z0-9]{2,119}",
                                 "a federated identity credential name matches ^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$ "
                                 "(3-120 characters)"),
    "namespace": Rule(_DNS_LABEL, "a Kubernetes namespace is a DNS-1123 label: 1-63 lower-case letters, digits or "
                                  "'-', starting and ending with a letter or digit"),
    "service_account": Rule(_DNS_SUBDOMAIN, "a Kubernetes ServiceAccount name is a DNS-1123 subdomain: at most 253 "
                                            "lower-case letters, digits, '-' or '.', each part starting and ending "
                                            "with a letter or digit"),
    "app": Rule(_DNS_SUBDOMAIN, "a Kubernetes Deployment name is a DNS-1123 subdomain (lower-case letters, digits, "
                                "'-', '.')"),
    "store_admin_service": Rule(_DNS_LABEL, "a Kubernetes Service name is a DNS-1123 label (lower-case letters, "
                                            "digits, '-', at most 63)"),
    "location": Rule(r"[a-z0-9]{2,40}", "an Azure location is a short lower-case name such as 'eastus' (empty: the "
                                        "resource group's location)", allow_empty=True),
    "subscription": Rule(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                         "a subscription id is a GUID such as 00000000-0000-0000-0000-000000000000 (empty: the only "
                         "or default subscription of the signed-in identity)", allow_empty=True),
}

# name -> (minimum, maximum, meaning) for numeric parameters
LIMITS: dict[str, tuple[int, int, str]] = {
    "rollout_timeout": (5, 3600, "seconds to wait for the ai-service rollout"),
    "verify_timeout": (5, 3600, "seconds to wait for a generated description (role and federation propagation)"),
}


@dataclass
class Parameters:
    """Everything the runbook needs to know; the defaults are the article's names."""

    target: str = "emulator"                          # emulator (offline) or azure
    resource_group: str = "myResourceGroup"
    cluster: str = ""                                 # empty: the only AKS cluster in the resource group
    openai_account: str = ""                          # empty: the only Azure OpenAI account in the resource group
    openai_deployment: str = ""                       # empty: the only deployment of that account
    identity: str = "myIdentity"
    federated_credential: str = "myFedIdentity"
    namespace: str = "default"
    service_account: str = "ai-service-account"
    app: str = "ai-service"
    store_admin_service: str = "store-admin"
    location: str = ""                                # empty: the resource group's location
    subscription: str = ""                            # empty: the only or default subscription
    cloud: str = "AzureCloud"                         # AzureCloud, AzureUSGovernment or AzureChinaCloud
    data_dir: str = ""                                # empty: $KEYLESS_HOME, else ./.keyless
    rollout_timeout: int = 180
    verify_timeout: int = 120
    restore_deployment: bool = True                   # clean-up puts back the original ai-service Deployment
    dry_run: bool = False                             # every step only reports what it would change

    def __post_init__(self) -> None:
        self.validate()

    # ---- validation ---------------------------------------------------------------------
    def validate(self) -> "Parameters":
        if self.target not in TARGETS:
            raise ParameterError("target", self.target, f"must be one of {', '.join(TARGETS)}")
        if self.cloud not in CLOUDS:
            raise ParameterError("cloud", self.cloud, f"must be one of {', '.join(CLOUDS)}")
        for name, rule in RULES.items():
            rule.check(name, getattr(self, name))
        for name, (lo, hi, meaning) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ParameterError(name, value, f"{meaning}: a whole number between {lo} and {hi}")
        for name in ("restore_deployment", "dry_run"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(name, getattr(self, name), "must be True or False")
        if not isinstance(self.data_dir, str):
            raise ParameterError("data_dir", self.data_dir, "must be a folder path as text (empty: default)")
        if self.target == "emulator" and self.cloud != "AzureCloud":
            raise ParameterError("cloud", self.cloud, "the emulator plays the public cloud: use AzureCloud with "
                                                      "target=emulator")
        return self

    # ---- derived values -----------------------------------------------------------------
    @property
    def subject(self) -> str:
        """The service account token subject the federated credential must name."""
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"

    @property
    def home(self) -> Path:
        """The data folder: `data_dir`, else $KEYLESS_HOME, else the nearest `.keyless` folder in the
        current directory or above it (so notebooks/ finds the repository's), else ./.keyless."""
        if self.data_dir:
            return Path(self.data_dir).expanduser().resolve()
        env = os.environ.get(HOME_ENV)
        if env:
            return Path(env).expanduser().resolve()
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / ".keyless").is_dir():
                return folder / ".keyless"
        return here / ".keyless"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes: Any) -> "Parameters":
        return from_mapping({**self.to_dict(), **changes})


NAMES = tuple(f.name for f in fields(Parameters))
_TYPES = {f.name: f.type for f in fields(Parameters)}


def _looks_secret(name: str) -> bool:
    lowered = name.lower()
    return any(w in lowered for w in _SECRET_WORDS)


def _coerce(name: str, value: Any) -> Any:
    """Text from the command line or YAML into the field's type (bool and int only)."""
    kind = _TYPES[name]
    if kind in ("bool", bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.strip().lower() in ("true", "yes", "1")
        raise ParameterError(name, value, "must be True or False")
    if kind in ("int", int):
        if isinstance(value, bool):
            raise ParameterError(name, value, "must be a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise ParameterError(name, value, "must be a whole number")
    if value is None:
        return ""
    return value


def from_mapping(values: Mapping[str, Any]) -> Parameters:
    """Parameters from a mapping; unknown names and secret-looking names are refused."""
    for name in values:
        if not isinstance(name, str):
            raise ParameterError(str(name), None, "parameter names are text")
        if _looks_secret(name):
            raise ParameterError(name, "", "secrets are never parameters: keys, secrets, tokens and passwords come "
                                           "from the signed-in identity (az login / DefaultAzureCredential) or the "
                                           "emulator, never from the runbook's parameters")
        if name not in NAMES:
            raise ParameterError(name, values[name], f"unknown parameter; known parameters: {', '.join(NAMES)}")
    return Parameters(**{name: _coerce(name, value) for name, value in values.items()})


def from_namespace(namespace: Mapping[str, Any]) -> Parameters:
    """Parameters from a notebook's globals (its parameters cell): only the known names are read."""
    return from_mapping({n: namespace[n] for n in NAMES if n in namespace})


def load_yaml(path: str | Path) -> dict[str, Any]:
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except FileNotFoundError:
        raise ParameterError("-f", str(p), "the parameters file does not exist") from None
    except yaml.YAMLError as e:
        raise ParameterError("-f", str(p), f"the parameters file is not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise ParameterError("-f", str(p), "the parameters file must be a mapping of NAME: VALUE")
    return data


def load(files: Iterable[str | Path] = (), pairs: Iterable[tuple[str, Any]] = (), **overrides: Any) -> Parameters:
    """Parameters from YAML files, then `-p NAME VALUE` pairs, then keyword overrides (later wins)."""
    merged: dict[str, Any] = {}
    for f in files:
        merged.update(load_yaml(f))
    for name, value in pairs:
        merged[name] = value
    merged.update(overrides)
    return from_mapping(merged)

