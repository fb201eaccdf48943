"""Beyond the article — lock the door: once the workload signs in with its token, the account's keys are
only a risk (any copy — a Secret, a laptop, a CI variable — still opens the account). Regenerate both
keys, so every copy made before is worthless even if key access is turned back on, then turn key-based
("local") authentication off (`disableLocalAuth`) and prove the key the app used before is refused with
Azure OpenAI's own answer: 403 `AuthenticationTypeDisabled`, "Key based authentication is disabled for
this resource."

The old key is read first and the keys regenerated before the switch, because Azure refuses key
operations once local auth is off (400 "Failed to list key. disableLocalAuth is set to be true"); the old
key is held in memory for the proof, never shown or stored. Clean-up turns key access back on only if
this step turned it off, and puts the prerequisite article's key-based Deployment back with the current
(regenerated) key, read then.
"""
from __future__ import annotations

import time
from typing import Any

from .. import retry
from ..params import Parameters
from ..results import PLANNED, UNCHANGED, UPDATED, Check, StepResult
from ..statefile import StateFile
from ._common import Progress, explained, say
from .discover import discovered

REFUSED_CODE = "AuthenticationTypeDisabled"
API_VERSION = "2024-10-21"
STEP = "disable-key-access"
NOT_A_KEY = "0" * 32  # what a re-run presents once the real keys can no longer be listed: any key gets the same 403


def _command(params: Parameters, found: dict[str, Any]) -> str:
    account = found["openai_account"]
    group = params.resource_group
    return (f"az cognitiveservices account keys list -n {account} -g {group}  # the old key, for the proof\n"
            f"az cognitiveservices account keys regenerate -n {account} -g {group} --key-name key1\n"
            f"az cognitiveservices account keys regenerate -n {account} -g {group} --key-name key2\n"
            f"az resource update --ids {found['openai_account_id']} --set properties.disableLocalAuth=true")


def key_refused(clients: Any, found: dict[str, Any], key: str, timeout: float,
                progress: Progress | None = None) -> tuple[bool, str]:
    """Ask the account's deployment for one token with `key`; (True, answer) once Azure OpenAI refuses it with
    403 AuthenticationTypeDisabled. Azure applies the setting within moments; this waits up to `timeout`."""
    import openai

    client = openai.AzureOpenAI(azure_endpoint=found["openai_endpoint"], api_key=key, api_version=API_VERSION,
                                http_client=clients.openai_http_client(), max_retries=0)
    deadline, delay = time.monotonic() + timeout, 1.0
    while True:
        try:
            client.chat.completions.create(model=found["openai_deployment"], max_tokens=1,
                                           messages=[{"role": "user", "content": "ping"}])
            answer = "HTTP 200: the key was accepted"
        except openai.APIStatusError as e:
            body = e.body if isinstance(e.body, dict) else {}
            code = str(body.get("code") or (body.get("error") or {}).get("code") or "")
            if e.status_code == 403 and code == REFUSED_CODE:
                return True, f"HTTP 403 {REFUSED_CODE}"
            answer = f"HTTP {e.status_code} {code}".strip()
        if time.monotonic() + delay > deadline:
            return False, answer
        say(progress, f"  the key is still answered ({answer}); asking again in {delay:.0f}s", detail=True)
        time.sleep(delay)
        delay = min(delay * 2, 15.0)


@explained
def set_key_access(clients: Any, group: str, name: str, disabled: bool) -> bool:
    """Set the account's disableLocalAuth and wait for the update to end; False when it already reads so
    (nothing is sent: a clean-up after an interruption that came before 06's PATCH finds key access on).
    The PATCH goes through the runbook's one retry mechanism, because azure-core does not re-send a
    long-running operation's first request whose answer was lost: before sending again the account is read
    back, and an update that had been applied is followed to its end (`retry.ReadBack`) instead."""
    accounts = clients.cognitive.accounts
    if bool(accounts.get(group, name).properties.disable_local_auth) == disabled:
        return False

    def landed() -> retry.ReadBack | None:
        now = accounts.get(group, name)
        return retry.ReadBack(lambda: accounts.get(group, name), now) \
            if bool(now.properties.disable_local_auth) == disabled else None

    retry.call(lambda: accounts.begin_update(group, name, {"properties": {"disableLocalAuth": disabled}}),
               what=f"disableLocalAuth={str(disabled).lower()} on {name}", landed=landed).result()
    return True


def regenerate(clients: Any, group: str, name: str, which: str, before: str) -> Any:
    """POST regenerateKey for `which` ("Key1"/"Key2") through the runbook's retry: azure-core does not
    re-send a POST action. After a lost answer the keys are listed first; if `which` no longer reads as
    `before` (its value when 06 began), the lost POST had rotated it and that listing is the answer —
    sent again, it would rotate the key a second time: harmless to security (every earlier copy is worthless
    either way) but one more change than the run says it made, and a rotation the request log shows
    twice. Answers the account's keys (both, as regenerateKey does)."""
    accounts = clients.cognitive.accounts
    attribute = which.lower()

    def landed() -> Any:
        keys = accounts.list_keys(group, name)
        return keys if getattr(keys, attribute) != before else None

    return retry.call(lambda: accounts.regenerate_key(group, name, which), what=f"regenerating {attribute} of {name}",
                      landed=landed)


def disable_key_access(clients: Any, params: Parameters, state: StateFile,
                       progress: Progress | None = None) -> StepResult:
    from .chain import ORDER, require  # here, not at the top: the chain reads the links these steps build

    # turning keys off breaks any client still using one: the workload must be keyless first (01-04)
    require(clients, params, state, "turning key access off", ORDER)
    found = discovered(clients, params, state)
    group, name = params.resource_group, found["openai_account"]
    account = clients.cognitive.accounts.get(group, name)
    values = {"account": name, "disableLocalAuth": "true"}
    if bool(account.properties.disable_local_auth):
        ok, answer = key_refused(clients, found, NOT_A_KEY, float(params.verify_timeout), progress)
        return StepResult(STEP, UNCHANGED, f"key access is already off on {name}; nothing sent", values=values,
                          command=_command(params, found),
                          checks=[Check("a key is refused", ok, answer, "check the account's disableLocalAuth")])
    if params.dry_run:
        return StepResult(STEP, PLANNED, f"dry run: {name}'s keys would be regenerated and key access turned off; "
                          "nothing sent", values={"account": name}, command=_command(params, found),
                          changes=[f"regenerate key1 and key2 of {name}", f"set disableLocalAuth=true on {name}"])
    old = clients.cognitive.accounts.list_keys(group, name)  # in memory only, for the proofs below
    say(progress, f"regenerating the keys of {name}, then turning key access off")
    regenerate(clients, group, name, "Key1", old.key1)
    new = regenerate(clients, group, name, "Key2", old.key2)  # answers with both keys
    renewed = new.key1 != old.key1 and new.key2 != old.key2
    state.record_original("local_auth", {"disableLocalAuth": False})
    with state.intent("local_auth_disabled", {"account": name}):  # before sending: clean-up can always undo it
        set_key_access(clients, group, name, disabled=True)
    ok, answer = key_refused(clients, found, old.key1, float(params.verify_timeout), progress)
    renewal = ("key1 and key2 differ from before: a copy made before is worthless" if renewed
               else "a key reads as before")
    checks = [Check("both keys regenerated", renewed, renewal,
                    "key access is off now: run 99-clean-up to turn it back on, then this notebook again"),
              Check("disableLocalAuth on the account", True, "true"),
              Check("the key ai-service used before is refused", ok, answer,
                    "Azure may take a moment to apply the setting: run this cell again")]
    return StepResult(STEP, UPDATED,
                      f"regenerated {name}'s keys and turned key access off", values=values, checks=checks,
                      command=_command(params, found), touched=[account.id])
