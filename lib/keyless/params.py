"""The runbook's parameters: one dataclass, defaults from the article, validated up front.

Every value is checked against the real naming rule of the thing it names before anything is
sent anywhere; a bad value raises one `ParameterError` that names the parameter and the rule.
Secrets are never parameters: names that look like keys, secrets, tokens or passwords are
refused (credentials come from the target, see `keyless.targets`).
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import resource_names

from .clouds import PUBLIC_CLOUDS, cloud_problem

TARGETS = ("emulator", "azure")
CLOUDS = PUBLIC_CLOUDS                                # or the URL of a Resource Manager metadata endpoint
HOME_ENV = "KEYLESS_HOME"
_SECRET_WORDS = ("key", "secret", "token", "password", "passwd", "credential_value", "connection_string")
SHOWN_CHARACTERS = 60          # a refusal quotes at most this much of a bad value (or name)
YAML_MAX_BYTES = 64 * 1024     # a parameters file is a few lines; anything larger is refused unread
DATA_DIR_MAX = 1024


def shown(value: Any) -> str:
    """`repr(value)` of at most a bounded prefix: a refusal must never echo a megabyte back."""
    if isinstance(value, str):
        head = repr(value[:SHOWN_CHARACTERS])
        return head if len(value) <= SHOWN_CHARACTERS else f"{head}... ({len(value)} characters)"
    text = repr(value)  # other values come from YAML (size-bounded, no aliases) or a notebook's cell
    return text if len(text) <= SHOWN_CHARACTERS else f"{text[:SHOWN_CHARACTERS]}... ({len(text)} characters)"


class ParameterError(ValueError):
    """A parameter value (or name) the runbook refuses; says which one and the rule."""

    def __init__(self, name: str, value: Any, rule: str):
        self.name, self.value, self.rule = name, value, rule
        value_text = "(hidden)" if _looks_secret(name) else shown(value)
        super().__init__(f"parameter {shown(name)} = {value_text} is not valid: {rule}")


@dataclass(frozen=True)
class Rule:
    """How one text parameter is checked, and the rule a refusal quotes."""

    matches: Callable[[str], bool]
    text: str
    allow_empty: bool = False

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, str):
            raise ParameterError(name, value, f"must be text; {self.text}")
        if value == "" and self.allow_empty:
            return
        if not self.matches(value):
            raise ParameterError(name, value, self.text)


def _named(rule: resource_names.NameRule, text: str = "", empty: str = "") -> Rule:
    """A parameter that names a resource: checked by the shared naming table (the emulator checks the same
    table), worded as `text` + the table's rule, `empty` saying what an empty value means."""
    words = f"{text}{rule.text}" + (f" (empty: {empty})" if empty else "")
    return Rule(rule.matches, words, allow_empty=bool(empty))


def _pattern(regex: str, text: str, allow_empty: bool = False) -> Rule:
    compiled = re.compile(regex)
    return Rule(lambda value: compiled.fullmatch(value) is not None, text, allow_empty)


RULES: dict[str, Rule] = {
    "resource_group": _named(resource_names.RESOURCE_GROUP),
    "cluster": _named(resource_names.MANAGED_CLUSTER, empty="discover the only cluster of the resource group"),
    "openai_account": _named(resource_names.COGNITIVE_SERVICES_ACCOUNT, empty="discover the only one"),
    "openai_deployment": _named(resource_names.COGNITIVE_SERVICES_DEPLOYMENT, empty="discover the only one"),
    "identity": _named(resource_names.USER_ASSIGNED_IDENTITY),
    "federated_credential": _named(resource_names.FEDERATED_IDENTITY_CREDENTIAL),
    "namespace": _named(resource_names.DNS1123_LABEL, "a Kubernetes namespace is "),
    "service_account": _named(resource_names.DNS1123_SUBDOMAIN, "a Kubernetes ServiceAccount name is "),
    "app": _named(resource_names.DNS1123_SUBDOMAIN, "a Kubernetes Deployment name is "),
    "store_admin_service": _named(resource_names.DNS1035_LABEL, "a Kubernetes Service name is "),
    "location": _pattern(r"[a-z0-9]{2,40}", "an Azure location is a short lower-case name such as 'eastus' (empty: "
                                            "the resource group's location)", allow_empty=True),
    "node_vm_size": _pattern(r"[A-Za-z][A-Za-z0-9_]{2,63}", "an Azure VM size such as Standard_DS2_v2 (empty: the "
                                                           "size AKS picks)", allow_empty=True),
    "kubernetes_version": _pattern(r"\d+\.\d+(\.\d+)?", "a Kubernetes version such as 1.32 or 1.32.6 (empty: "
                                                        "AKS's default version)", allow_empty=True),
    "model_name": _pattern(r"[a-z0-9][a-z0-9.-]{0,63}", "an Azure OpenAI model name such as gpt-4o-mini"),
    "model_version": _pattern(r"[0-9A-Za-z][0-9A-Za-z.-]{0,31}", "a model version such as 2024-07-18"),
    "deployment_sku": _pattern(r"Standard|GlobalStandard|DataZoneStandard", "a deployment SKU: Standard, "
                                                                            "GlobalStandard or DataZoneStandard"),
    "subscription": _pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                             "a subscription id is a GUID such as 00000000-0000-0000-0000-000000000000 (empty: the "
                             "only or default subscription of the signed-in identity)", allow_empty=True),
}

# name -> (minimum, maximum, meaning) for numeric parameters
LIMITS: dict[str, tuple[int, int, str]] = {
    "rollout_timeout": (5, 3600, "seconds to wait for the ai-service rollout"),
    "verify_timeout": (5, 3600, "seconds to wait for a generated description (role and federation propagation)"),
    "node_count": (1, 100, "nodes in the new cluster's system node pool"),
    "deployment_capacity": (1, 10000, "the model deployment's capacity (thousands of tokens per minute)"),
}
BOOLEANS = ("exercise", "restore_deployment", "dry_run", "confirm_costs", "delete_unowned_group")


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
    cloud: str = "AzureCloud"                         # a public cloud's name or a Resource Manager metadata URL
    data_dir: str = ""                                # empty: $KEYLESS_HOME, else ./.keyless
    rollout_timeout: int = 180
    verify_timeout: int = 120
    exercise: bool = True                             # 05 breaks a link on purpose and repairs it; False skips that
    restore_deployment: bool = True                   # clean-up puts back the original ai-service Deployment
    dry_run: bool = False                             # every step only reports what it would change
    # -- the prerequisites and teardown notebooks (start from nothing) --
    confirm_costs: bool = False                       # Azure: prerequisites creates billed resources only if True
    node_count: int = 3                               # az aks create's default node count
    node_vm_size: str = ""                            # empty: the size AKS picks
    kubernetes_version: str = ""                      # empty: AKS's default version
    model_name: str = "gpt-4o-mini"
    model_version: str = "2024-07-18"
    deployment_sku: str = "Standard"
    deployment_capacity: int = 10
    delete_unowned_group: bool = False                # teardown deletes a group prerequisites did not create

    def __post_init__(self) -> None:
        self.validate()

    # ---- validation ---------------------------------------------------------------------
    def validate(self) -> Parameters:
        if self.target not in TARGETS:
            raise ParameterError("target", self.target, f"must be one of {', '.join(TARGETS)}")
        problem = cloud_problem(self.cloud)
        if problem:
            raise ParameterError("cloud", self.cloud, problem)
        for name, rule in RULES.items():
            rule.check(name, getattr(self, name))
        for name, (lo, hi, meaning) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ParameterError(name, value, f"{meaning}: a whole number between {lo} and {hi}")
        for name in BOOLEANS:
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(name, getattr(self, name), "must be True or False")
        if not isinstance(self.data_dir, str):
            raise ParameterError("data_dir", self.data_dir, "must be a folder path as text (empty: default)")
        problem = data_dir_problem(self.data_dir) if self.data_dir else None
        if problem:
            raise ParameterError("data_dir", self.data_dir, problem)
        if self.target == "emulator" and self.cloud != "AzureCloud":
            raise ParameterError("cloud", self.cloud, "the emulator target reads its cloud from the emulator's "
                                                      "metadata endpoint: keep AzureCloud with target=emulator, or "
                                                      "use target=azure to name a cloud")
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

    def replace(self, **changes: Any) -> Parameters:
        return from_mapping({**self.to_dict(), **changes})


NAMES = tuple(f.name for f in fields(Parameters))
_TYPES = {f.name: f.type for f in fields(Parameters)}

# What each parameter means, in the words the notebooks' parameters cell shows beside its default
# (keyless.authoring generates that cell from Parameters' defaults and these lines).
MEANINGS: dict[str, str] = {
    "target": "emulator (offline, no subscription needed) or azure",
    "resource_group": "the prerequisite article's resource group",
    "cluster": "empty: the only AKS cluster in the resource group",
    "openai_account": "empty: the only Azure OpenAI account in the resource group",
    "openai_deployment": "empty: the only model deployment of that account",
    "identity": "the user-assigned managed identity to create",
    "federated_credential": "the federated identity credential to create",
    "namespace": "the Kubernetes namespace of ai-service",
    "service_account": "the Kubernetes ServiceAccount to create",
    "app": "the Deployment to redeploy",
    "store_admin_service": "the Service that exposes the store admin site",
    "location": "empty: the resource group's location",
    "subscription": "empty: the only (or default) subscription you can see",
    "cloud": "AzureCloud, AzureUSGovernment, AzureChinaCloud, or a metadata endpoint URL (Azure Stack Hub)",
    "data_dir": "empty: $KEYLESS_HOME, else the nearest .keyless folder here or above (state, emulator)",
    "rollout_timeout": "seconds to wait for the ai-service rollout",
    "verify_timeout": "seconds to wait for a generated description",
    "exercise": "05's exercise takes the app down on purpose and repairs it; False skips it (nothing changed)",
    "restore_deployment": "clean-up puts the original ai-service Deployment back",
    "dry_run": "every step only reports what it would change; nothing is sent that changes anything",
    "confirm_costs": "prerequisites on Azure: True to create billed resources (AKS cluster, Azure OpenAI)",
    "node_count": "prerequisites: nodes in the new cluster (az aks create's default)",
    "node_vm_size": "prerequisites: empty: the node size AKS picks",
    "kubernetes_version": "prerequisites: empty: AKS's default Kubernetes version",
    "model_name": "prerequisites: the chat model to deploy",
    "model_version": "prerequisites: the model's version",
    "deployment_sku": "prerequisites: Standard, GlobalStandard or DataZoneStandard",
    "deployment_capacity": "prerequisites: thousands of tokens per minute (counts against your quota)",
    "delete_unowned_group": "teardown: also delete a resource group that prerequisites did not create",
}


def data_dir_problem(value: str) -> str | None:
    """Why `value` cannot be the data folder (state file, kubeconfigs, the emulator's data), or None.
    Nothing is created: a folder that does not exist yet must be creatable by this user, which is
    proven by creating and removing a probe in its nearest existing parent."""
    if "\x00" in value:
        return "must be a folder path without NUL characters"
    if len(value) > DATA_DIR_MAX:
        return f"must be a folder path of at most {DATA_DIR_MAX} characters"
    try:
        path = Path(value).expanduser().resolve()
    except (OSError, RuntimeError) as e:
        return f"must be a folder path that can be resolved ({type(e).__name__})"
    if path.exists() and not path.is_dir():
        return "must be a folder, but it is an existing file"
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"must be a folder path, but {shown(str(parent))} on the way is a file"
    try:  # the one reliable test, also for root and read-only file systems: try it
        probe = tempfile.mkdtemp(prefix=".keyless-probe-", dir=parent)
        os.rmdir(probe)
    except OSError:
        if parent == path:
            return "must be a folder you can write to (you cannot create files in it)"
        return f"must be a folder you can create: you cannot write to {shown(str(parent))}"
    return None


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
                                           "from the signed-in identity (az login, or AZURE_* variables) or the "
                                           "emulator, never from the runbook's parameters")
        if name not in NAMES:
            raise ParameterError(name, values[name], f"unknown parameter; known parameters: {', '.join(NAMES)}")
    return Parameters(**{name: _coerce(name, value) for name, value in values.items()})


def from_namespace(namespace: Mapping[str, Any]) -> Parameters:
    """Parameters from a notebook's globals (its parameters cell): only the known names are read."""
    return from_mapping({n: namespace[n] for n in NAMES if n in namespace})


def _loader() -> Any:
    """yaml's SafeLoader refusing aliases: a parameters file has no use for them, and nested
    aliases ("billion laughs") expand a few hundred bytes into gigabytes."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("aliases (*name) are not allowed in a parameters file")
            return super().compose_node(parent, index)

    return NoAliases


def load_yaml(path: str | Path) -> dict[str, Any]:
    import yaml

    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(YAML_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ParameterError("-f", str(p), "the parameters file does not exist") from None
    except IsADirectoryError:
        raise ParameterError("-f", str(p), "the parameters file must be a file, not a folder") from None
    except OSError as e:
        raise ParameterError("-f", str(p), f"the parameters file cannot be read ({type(e).__name__})") from None
    if len(raw) > YAML_MAX_BYTES:
        raise ParameterError("-f", str(p), f"the parameters file must be at most {YAML_MAX_BYTES // 1024} KiB")
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_loader()) or {}  # a SafeLoader subclass: no arbitrary objects
    except UnicodeDecodeError:
        raise ParameterError("-f", str(p), "the parameters file must be UTF-8 text") from None
    except yaml.YAMLError as e:
        problem = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ParameterError("-f", str(p), f"the parameters file is not valid YAML ({shown(problem)[1:-1]})") from None
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



# ---- one parameter channel: injected (papermill) > saved (a form, earlier) > the notebook's defaults ----------

# What a learner's form sets and every later notebook reuses: names of things, never a secret, never where the
# runbook's own files live (data_dir) or how it runs (target, cloud, timeouts, dry_run).
PERSISTED = ("resource_group", "cluster", "openai_account", "openai_deployment", "identity", "federated_credential",
             "namespace", "service_account", "app", "store_admin_service", "location", "subscription")
INJECTED, SAVED, NOTEBOOK = "injected by papermill", "saved from a form", "set in this notebook's parameters cell"
PAPERMILL_MARK = "# Parameters"   # the first line of the cell papermill injects after the parameters cell


def saved_path(home: Path, target: str) -> Path:
    """Beside the state files: one file per target in the data folder (the resource group is one of the
    values, so it cannot be part of the file's name)."""
    return Path(home) / "state" / f"{target}-parameters.json"


def load_saved(home: Path, target: str) -> dict[str, str]:
    """The saved values, checked like any others (an unreadable or hand-broken file is ignored)."""
    import json

    try:
        data = json.loads(saved_path(home, target).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    values = {k: v for k, v in data.items() if k in PERSISTED and isinstance(v, str)}
    try:
        from_mapping(values)
    except ParameterError:
        return {}
    return values


def save(params: Parameters) -> Path:
    """Keep the persisted values for the next notebooks (mode 0600, atomic)."""
    import json

    path = saved_path(params.home, params.target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({name: getattr(params, name) for name in PERSISTED}, f, indent=2, sort_keys=True)
    tmp.replace(path)
    return path


def injected_names(namespace: Mapping[str, Any]) -> set[str]:
    """The names papermill injected: the kernel cannot see cell tags, but IPython keeps every executed cell's
    source in `In`, and papermill's injected cell starts with `# Parameters`."""
    import ast

    names: set[str] = set()
    for source in namespace.get("In") or ():
        # the first line alone, exactly: the notebooks' own parameters cell starts with "# Parameters (papermill
        # injects overrides below ...)", and a learner who runs it in JupyterLab has injected nothing
        if not isinstance(source, str) or source.lstrip().partition("\n")[0].rstrip() != PAPERMILL_MARK:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        names |= {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                  if isinstance(t, ast.Name)}
    return names & set(NAMES)


def from_notebook(namespace: Mapping[str, Any]) -> tuple[Parameters, dict[str, str]]:
    """A notebook's parameters through the one channel, and where each value that is not the default came
    from. Precedence: injected by papermill > set in the notebook's own parameters cell (differs from the
    default) > saved from a form > the default."""
    given = {n: namespace[n] for n in NAMES if n in namespace}
    base = from_mapping(given)
    injected = injected_names(namespace)
    defaults = Parameters.__dataclass_fields__
    saved = load_saved(base.home, base.target)
    chosen: dict[str, Any] = dict(given)
    sources: dict[str, str] = {}
    for name in NAMES:
        value = getattr(base, name)
        default = defaults[name].default
        if name in injected:
            source = INJECTED
        elif value != default:
            source = NOTEBOOK
        elif name in saved:
            chosen[name], source = saved[name], SAVED
        else:
            continue
        if chosen.get(name, value) != default:
            sources[name] = source
    params = from_mapping(chosen)
    return params, sources


def describe_sources(params: Parameters, sources: Mapping[str, str]) -> list[str]:
    """`name = value (where from)` for every value that is not the default. The data folder is left out: the
    state file's name (shown beside these lines) already says which environment this is, and its path
    differs per machine and per run."""
    return [f"{name} = {getattr(params, name)} ({source})" for name, source in sources.items() if name != "data_dir"]
