"""One friendly `init()` per notebook: parameters from the parameters cell, the target's clients,
the environment's state file, quiet Azure logging — and one short method per step.

    import keyless
    rb = keyless.init(globals())          # reads the parameters cell's names
    rb.enable_workload_identity()         # each step returns a StepResult (shown by Jupyter)

In a front end (JupyterLab) or plain Python, a failing step comes back as a failed result with
the explanation and what to do. Executed by papermill (any nbclient, no front end) a failing step
raises `StepFailed` after showing its result, so the execution stops and exits non-zero; the
exercise's expected failure never raises. `KEYLESS_STOP_ON_FAILURE=0|1` or
`rb.raise_on_failure` overrides the default.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import steps
from .errors import KeylessError, explain
from .params import ParameterError, Parameters, describe_sources, from_notebook, save
from .results import FAILED, SKIPPED, StepResult
from .statefile import StateFile
from .targets import Clients, connect, for_attendee

QUIET_LOGGERS = ("azure", "azure.identity", "azure.core.pipeline.policies.http_logging_policy", "msal", "urllib3",
                 "kubernetes", "httpx", "httpx2", "openai")


# What the steps import on first use (the library itself stays light to import), for `preload`: modules, and
# for kubernetes.client (which imports each API and model on first access) the names keyless.kube uses.
SDK_MODULES = ("azure.identity", "azure.mgmt.resource.resources", "azure.mgmt.containerservice",
               "azure.mgmt.containerservice.models", "azure.mgmt.msi", "azure.mgmt.msi.models",
               "azure.mgmt.authorization", "azure.mgmt.cognitiveservices", "kubernetes.config", "kubernetes.watch")
# Imported after the Kubernetes client, on the same thread, by the runbook method that needs them: the Azure OpenAI
# client, which only notebook 06's step uses (to prove an old key refused) and which takes about a second to
# import, there on the run's critical path. Only for a run whose notebooks call that method: an import nobody uses
# holds the kernel's one interpreter lock while the cells run.
LATER_MODULES = {"disable_key_access": ("openai",)}
KUBERNETES_NAMES = ("CoreV1Api", "AppsV1Api", "AuthorizationV1Api", "AuthenticationV1Api", "V1ServiceAccount",
                    "V1ObjectMeta", "V1SelfSubjectAccessReview", "V1SelfSubjectAccessReviewSpec",
                    "V1ResourceAttributes", "V1SelfSubjectReview")


def preload(background: bool = False, methods: Iterable[str] | None = None) -> None:
    """Import the SDKs the steps will need, ahead of time: `python -m keyless run` has its kernel do it while
    the runner still prepares the run, so the first notebook's cells do not wait for them. With
    `background`, the Kubernetes client (its CoreV1Api alone takes a second or more to import; the first
    step that needs it is notebook 04's), then the Azure OpenAI client (`LATER_MODULES`, notebook 06's, when
    `methods`, the runbook methods the run calls, include its step; always without `methods`), are imported on
    a thread of its own while the Azure notebooks run; a step that needs one sooner waits for that import as
    for its own (Python's per-module import locks).

    The collector is off while they are imported: they make hundreds of thousands of objects, none of them
    garbage, and its passes over them were a fifth of the imports' time. With `background` they are then
    frozen out of its sight (`gc.freeze`): they live as long as the kernel."""
    import gc
    import importlib
    import threading

    def load(wanted: list[tuple[str, str]]) -> None:
        for module, name in wanted:
            try:
                loaded = importlib.import_module(module)
                if name:
                    getattr(loaded, name)
            except (ImportError, AttributeError):  # reported where a step really imports it, in its context
                pass

    kubernetes = [(name, "") for name in SDK_MODULES if name.startswith("kubernetes")]
    kubernetes += [("kubernetes.client", name) for name in KUBERNETES_NAMES]
    later = kubernetes + [(name, "") for method, names in LATER_MODULES.items()
                          if methods is None or method in methods for name in names]

    def load_later(freeze: bool) -> None:
        try:
            load(later)
        finally:
            if freeze:
                gc.freeze()
            if collecting:
                gc.enable()

    collecting = gc.isenabled()
    gc.disable()
    try:
        load([(name, "") for name in SDK_MODULES if not name.startswith("kubernetes")])
    except BaseException:
        if collecting:
            gc.enable()
        raise
    if background:
        gc.freeze()
        threading.Thread(target=load_later, args=(True,), name="keyless-preload", daemon=True).start()
    else:
        load_later(freeze=False)


def quiet_logging() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def batch_kernel() -> bool:
    """True in a Jupyter kernel that no front end drives: papermill, nbclient, nbval.

    A kernel cannot see who drives it, so a front end is recognised by what front ends leave behind:
    Jupyter Server starts kernels with `JPY_SESSION_NAME` set, and JupyterLab, Notebook and VS Code send
    the cell's id (`cellId`) with every execute request; nbclient does neither. `KEYLESS_HEADLESS=1`
    forces it."""
    import os

    shell = _shell()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    if os.environ.get("KEYLESS_HEADLESS", "") not in ("", "0", "false"):
        return True
    if os.environ.get("JPY_SESSION_NAME"):
        return False
    try:
        parent = shell.kernel.get_parent()
    except Exception:  # noqa: BLE001 - an older or unusual kernel: no front end can be proved
        return True
    return "cellId" not in ((parent or {}).get("metadata") or {})


def headless() -> bool:
    """True under papermill/nbclient/nbval or plain Python (no front end to show widgets)."""
    shell = _shell()
    return shell is None or type(shell).__name__ != "ZMQInteractiveShell" or batch_kernel()


def stop_on_failure() -> bool:
    """A notebook executed by papermill (or any nbclient) stops at the first failing step, so the
    execution exits non-zero when a step fails; a learner's front end shows the failure and lets them
    go on, and plain Python gets the failed result to inspect. `KEYLESS_STOP_ON_FAILURE=0|1` overrides."""
    import os

    value = os.environ.get("KEYLESS_STOP_ON_FAILURE", "").strip().lower()
    if value:
        return value not in ("0", "false", "no")
    return batch_kernel()


# Runbook method -> the step name it reports (what `python -m keyless run --list` shows per notebook)
STEP_METHODS = {
    "discover": "discover", "enable_workload_identity": "enable-workload-identity",
    "create_managed_identity": "create-managed-identity", "assign_openai_role": "assign-openai-role",
    "create_federated_credential": "create-federated-credential", "create_service_account": "create-service-account",
    "redeploy_app": "redeploy-app", "verify": "verify", "remove_pod_label": "remove-pod-label",
    "disable_key_access": "disable-key-access", "plan_clean_up": "clean-up-plan", "clean_up": "clean-up",
    "cost_notice": "cost-notice", "create_resource_group": "create-resource-group", "create_cluster": "create-cluster",
    "create_openai_account": "create-openai-account", "create_model_deployment": "create-model-deployment",
    "deploy_store": "deploy-store", "wait_for_store_admin": "wait-for-store-admin",
    "delete_resource_group": "delete-resource-group", "purge_openai_accounts": "purge-openai-accounts",
}

# What the prerequisites notebook creates that Azure bills (shown before anything is created).
BILLED = ("an AKS cluster: its nodes are virtual machines billed by the hour while they exist",
          "an Azure OpenAI account and model deployment: billed per token used",
          "a public IP address and a load balancer for the store-admin Service")
COSTS_REFUSED = "CostsNotConfirmed"


def costs_refusal(params: Parameters) -> KeylessError | None:
    """On Azure, the prerequisites create billed resources only once `confirm_costs = True` was given."""
    if params.target == "azure" and not params.confirm_costs and not params.dry_run:
        return KeylessError("refused: the prerequisites create resources Azure bills (" + "; ".join(BILLED)
                            + "), and confirm_costs is not True; nothing was sent",
                            "read the cost notice, then set confirm_costs = True in the parameters (or -p "
                            "confirm_costs True); the teardown notebook deletes everything again",
                            code=COSTS_REFUSED)
    return None


class StepFailed(RuntimeError):
    """Raised (only when asked) when a step's result is not ok; names the step."""

    def __init__(self, result: StepResult):
        self.result = result
        super().__init__(f"step {result.step} failed: {result.summary}"
                         + (f" — {result.hint}" if result.hint else ""))


@dataclass
class Runbook:
    params: Parameters
    clients: Clients
    state: StateFile
    raise_on_failure: bool = False
    interactive: bool = False                # True in a front end: form widgets, a live progress line
    results: list[StepResult] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)   # where each non-default value came from
    durations: dict[str, float] = field(default_factory=dict)
    _progress_line: Any = field(default=None, repr=False)

    # ---- running a step -------------------------------------------------------------------

    def progress(self, message: str, detail: bool = False) -> None:
        if self.interactive:
            if self._progress_line is None:
                from .widgets import ProgressLine
                self._progress_line = ProgressLine()
            self._progress_line(message, detail=detail)
        elif not detail:
            print(message, file=sys.stdout, flush=True)

    def _run(self, name: str, fn: Callable[..., StepResult], expect_failure: bool = False,
             after_exercise: bool = False, **kw: Any) -> StepResult:
        started = time.monotonic()
        self._progress_line = None
        if self.interactive and kw.get("progress") is not None:  # first in the step's output, its clock ticking
            from .widgets import ProgressLine
            self._progress_line = ProgressLine(title=name)
        try:
            if expect_failure and not self.params.exercise:  # skipped with the exercise it checks
                result = StepResult(name, SKIPPED, "exercise = False: the exercise's check is skipped")
            elif self.params.dry_run and expect_failure:  # an exercise breaks a link on purpose: not in a plan
                result = StepResult(name, SKIPPED, "dry run: the exercise's check is skipped")
            elif after_exercise and (self.params.dry_run or not self.params.exercise):  # nothing was undone
                result = StepResult(name, SKIPPED, ("dry run" if self.params.dry_run else "exercise = False")
                                    + ": the exercise did not run, nothing was undone; the check above stands")
            else:
                result = fn(self.clients, self.params, self.state, **kw)
        except KeylessError as e:
            result = StepResult(name, FAILED, e.message, hint=e.hint, values={"error": e.code} if e.code else {})
        except Exception as e:  # noqa: BLE001 - anything unexplained still becomes a readable result
            err = explain(e)
            result = StepResult(name, FAILED, err.message, hint=err.hint)
        except BaseException:  # the kernel interrupted: the clock stops, the line says so
            if self._progress_line is not None:
                self._progress_line.done("interrupted")
                self._progress_line = None
            raise
        if self._progress_line is not None:
            self._progress_line.done(result.status)
            self._progress_line = None
        self._with_kubeconfig(result)
        self.durations[result.step] = round(time.monotonic() - started, 3)
        self.results.append(result)
        self._report(result, expect_failure)
        unexpected = (result.ok and result.status != SKIPPED) if expect_failure else not result.ok
        if self.raise_on_failure and unexpected:
            _show(result)  # the result stays visible in the executed notebook above the short error
            raise StepFailed(result) if not expect_failure else StepFailed(StepResult(
                result.step, FAILED, "the exercise expected this check to fail, but it passed"))
        return result

    def _with_kubeconfig(self, result: StepResult) -> None:
        """kubectl equivalents run in a terminal only with the cluster's kubeconfig, which the runbook keeps in
        its data folder (your own ~/.kube/config is never touched): say which, as a command to copy first."""
        cluster = self.state.discovered.get("cluster") or (self.state.created.get("cluster") or {}).get("name")
        if "kubectl" not in result.command or not cluster:  # (created: the prerequisites' own cluster)
            return
        path = self.params.home / f"kubeconfig-{cluster}"
        if path.exists() and "KUBECONFIG=" not in result.command:
            result.command = f"export KUBECONFIG={path}\n{result.command}"

    def _report(self, result: StepResult, expected_failure: bool = False) -> None:
        """Append the step to the run's JSON lines log (read by the runner for report.json)."""
        import json
        import os

        path = os.environ.get("KEYLESS_STEP_LOG")
        if not path:
            return
        entry = {**result.to_json(), "duration_s": self.durations.get(result.step, 0.0),
                 "expected_failure": expected_failure}
        with open(path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    # ---- the article's steps ---------------------------------------------------------------
    def discover(self) -> StepResult:
        return self._run("discover", steps.discover)

    def enable_workload_identity(self) -> StepResult:
        return self._run("enable-workload-identity", steps.enable_workload_identity, progress=self.progress)

    def create_managed_identity(self) -> StepResult:
        return self._run("create-managed-identity", steps.create_managed_identity)

    def assign_openai_role(self) -> StepResult:
        return self._run("assign-openai-role", steps.assign_openai_role)

    def create_federated_credential(self) -> StepResult:
        return self._run("create-federated-credential", steps.create_federated_credential, progress=self.progress)

    def create_service_account(self) -> StepResult:
        return self._run("create-service-account", steps.create_service_account)

    def redeploy_app(self) -> StepResult:
        return self._run("redeploy-app", steps.redeploy_app, progress=self.progress)

    def verify(self, timeout: float | None = None, expect_failure: bool = False,
               after_exercise: bool = False) -> StepResult:
        """`expect_failure=True` is for the learner exercise: a failure is the lesson, not an error.
        `after_exercise=True`: the check once the exercise is undone, skipped when the exercise did not run
        (`exercise = False`, or a dry run): the chain is as the check before the exercise found it."""
        return self._run("verify", steps.verify, expect_failure=expect_failure, after_exercise=after_exercise,
                         progress=self.progress, timeout=timeout)

    def remove_pod_label(self) -> StepResult:
        return self._run("remove-pod-label", steps.remove_pod_label, progress=self.progress)

    def disable_key_access(self) -> StepResult:
        """Beyond the article: regenerate the account's keys and turn key-based authentication off."""
        return self._run("disable-key-access", steps.disable_key_access, progress=self.progress)

    def plan_clean_up(self) -> StepResult:
        return self._run("clean-up-plan", steps.plan_clean_up)

    def clean_up(self) -> StepResult:
        return self._run("clean-up", steps.clean_up, progress=self.progress)

    # ---- start from nothing: the prerequisite article's end state, and its teardown ----------
    def cost_notice(self) -> StepResult:
        """What the prerequisites would cost; on Azure a refusal unless `confirm_costs` is True."""
        from .results import OK

        def notice(clients: Any, params: Parameters, state: StateFile) -> StepResult:
            refusal = costs_refusal(params)
            if refusal is not None:
                raise refusal
            if params.target != "azure":
                return StepResult("cost-notice", OK, "the emulator bills nothing: every resource is local")
            return StepResult("cost-notice", OK, "confirm_costs is True: the billed resources will be created",
                              values={f"{i + 1}": b for i, b in enumerate(BILLED)})

        return self._run("cost-notice", notice)

    def _prerequisite(self, name: str, fn: Callable[..., StepResult], **kw: Any) -> StepResult:
        refusal = costs_refusal(self.params)
        if refusal is not None:  # checked again at every step: a skipped notice cell sends nothing either
            def refused(*_: Any, **__: Any) -> StepResult:
                raise refusal

            return self._run(name, refused)
        return self._run(name, fn, **kw)

    def create_resource_group(self) -> StepResult:
        return self._prerequisite("create-resource-group", steps.create_resource_group)

    def create_cluster(self) -> StepResult:
        return self._prerequisite("create-cluster", steps.create_cluster, progress=self.progress)

    def create_openai_account(self) -> StepResult:
        return self._prerequisite("create-openai-account", steps.create_openai_account, progress=self.progress)

    def create_model_deployment(self) -> StepResult:
        return self._prerequisite("create-model-deployment", steps.create_model_deployment, progress=self.progress)

    def deploy_store(self) -> StepResult:
        return self._prerequisite("deploy-store", steps.deploy_store, progress=self.progress)

    def wait_for_store_admin(self) -> StepResult:
        return self._prerequisite("wait-for-store-admin", steps.wait_for_store_admin, progress=self.progress)

    def delete_resource_group(self) -> StepResult:
        return self._run("delete-resource-group", steps.delete_resource_group, progress=self.progress)

    def purge_openai_accounts(self) -> StepResult:
        return self._run("purge-openai-accounts", steps.purge_openai_accounts, progress=self.progress)

    # ---- the form ------------------------------------------------------------------------
    def form(self) -> Any:
        """Interactive: show the form (returns it). Headless: print the plain summary (returns None)."""
        from .widgets import ParameterForm, live_suggestions, summary

        if not self.interactive:
            print(summary(self.params))
            return None
        form = ParameterForm(self.params, live_suggestions(self.clients))
        form.show()
        return form

    def apply(self, form: Any) -> Runbook | StepResult:
        """Take the form's current values (no click needed) and save them for the next notebooks (the one
        parameter channel: they are read back by `init` there); headless this keeps the parameters. A value
        the rules refuse comes back as a failed result naming the parameter and the rule, nothing kept."""
        if form is None:
            return self
        try:
            params = form.parameters()
        except ParameterError as e:
            result = StepResult("apply-form", FAILED, str(e), hint="correct it in the form above, then run this "
                                "cell again; nothing was saved or changed", values={"error": "InvalidParameter"})
            if self.raise_on_failure:
                _show(result)
                raise StepFailed(result) from None
            return result
        save(params)
        if hasattr(form, "freeze"):
            form.freeze(params)
        for name in (n for n in form.values() if getattr(params, n) != getattr(self.params, n)):
            self.sources[name] = "set in this notebook's form"
        if params != self.params:
            self.params = params
            self.state = StateFile.for_environment(params.home, params.target, self.clients.subscription_id,
                                                   params.resource_group)
        return self

    def summary(self) -> str:
        lines = [f"{r.step}: {r.status}" for r in self.results]
        return "\n".join(lines) if lines else "no steps run yet"

    def __repr__(self) -> str:
        p = self.params
        head = (f"Runbook(target={p.target}, resource_group={p.resource_group}, "
                f"subscription={self.clients.subscription_id}, state={self.state.path.name})")
        lines = describe_sources(p, self.sources)
        return "\n".join([head, "  parameters not at their defaults:", *("    " + line for line in lines)]) \
            if lines else head


def _show(result: StepResult) -> None:
    try:
        from IPython.display import display
        display(result)
    except ImportError:
        print(repr(result))


# The connections made in this process, when the runner asks for reuse (KEYLESS_REUSE_CONNECTION=1).
_CONNECTIONS: dict[tuple[str, ...], Clients] = {}


def _connection(params: Parameters, emulator: Any) -> Clients:
    """The target's clients. The runner runs every notebook of a run in one kernel and sets
    KEYLESS_REUSE_CONNECTION=1 there: each notebook's `init` then reuses the connection an earlier one
    made for the same target, cloud, subscription and data folder — one sign-in and one kubeconfig per
    run, the credential renewing its own tokens. Anywhere else every `init` connects afresh, as a
    learner who restarts a kernel expects."""
    import os

    if os.environ.get("KEYLESS_REUSE_CONNECTION", "") != "1":
        return connect(params, emulator)
    key = (params.target, params.cloud, params.subscription, str(params.home), str(getattr(emulator, "url", "")))
    if key not in _CONNECTIONS:
        _CONNECTIONS[key] = connect(params, emulator)
    return _CONNECTIONS[key]


def init(namespace: Mapping[str, Any] | Parameters | None = None, *, emulator: Any = None,
         **overrides: Any) -> Runbook:
    """Parameters from the notebook's globals (or a Parameters), connect to the target, open the state."""
    quiet_logging()
    sources: dict[str, str] = {}
    if isinstance(namespace, Parameters):
        params = namespace.replace(**overrides) if overrides else namespace
        if emulator is None:  # KEYLESS_ATTENDEE: the attendee's own data folder and credentials
            params = for_attendee(params)
    else:
        given = {**(namespace or {}), **overrides}
        params, sources = from_notebook(given)
        attendee = for_attendee(params) if emulator is None else params
        if attendee.home != params.home:  # the attendee's saved form values live in their own data folder
            params, sources = from_notebook({**given, "data_dir": str(attendee.home)})
    clients = _connection(params, emulator)
    state = StateFile.for_environment(params.home, params.target, clients.subscription_id, params.resource_group)
    return Runbook(params, clients, state, raise_on_failure=stop_on_failure(), interactive=not headless(),
                   sources=sources)
