"""The bad-input table: every way a user or pipeline can hand `python -m keyless run` a bad value
(naming rules, numbers, booleans, the cloud, a location the subscription does not offer, the data
folder, parameters files, usage) exits 2 with a message naming the parameter and its rule, quotes
at most a bounded prefix of the value, writes no output folder and sends nothing: the emulator the
data folder points at logs no mutating request (and no request at all where no sign-in is needed).

The CLI's `main` runs in-process (the same code as the subprocess) against an emulator of its own
whose runtime file is written, so `-p data_dir` finds it exactly as a user's run finds theirs."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from keyless.__main__ import main
from keyless.params import SHOWN_CHARACTERS, YAML_MAX_BYTES
from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, start_in_thread

HUGE = "x" * 20_000
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(  # "billion laughs": 9**9 x's once expanded
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
RULE_OF_NAMES = "1-90"


@dataclass
class Case:
    id: str
    args: list[str]                     # after `run`; DATA and OUT are substituted
    name: str                           # the parameter (or option) the message names
    rule: str                           # words of the rule the message quotes
    files: dict[str, str | bytes] = field(default_factory=dict)
    reads: bool = False                 # a sign-in and read-only requests are allowed (location)


def p(name: str, value: str, rule: str, id: str | None = None) -> Case:
    return Case(id or f"{name}={value[:16]}", ["-p", name, value], name, rule)


CASES: list[Case] = [
    # naming rules (Azure resource names, DNS-1123/1035), one per rule edge
    p("target", "prod", "one of emulator, azure"),
    p("target", "", "one of emulator, azure", "target-empty"),
    p("target", "Emulator", "one of emulator, azure"),
    p("resource_group", "", RULE_OF_NAMES, "resource_group-empty"),
    p("resource_group", "my group", RULE_OF_NAMES),
    p("resource_group", "rg.", "does not end with '.'"),
    p("resource_group", "r" * 91, RULE_OF_NAMES, "resource_group-91"),
    p("resource_group", "rg/x", RULE_OF_NAMES),
    p("resource_group", "rg#1", RULE_OF_NAMES),
    p("cluster", "-aks", "starting and ending with a letter or digit"),
    p("cluster", "aks-", "starting and ending with a letter or digit"),
    p("cluster", "a" * 64, "1-63", "cluster-64"),
    p("cluster", "my aks", "1-63"),
    p("identity", "ab", "3-128"),
    p("identity", "_identity", "starting with a letter or digit"),
    p("identity", "my.identity", "3-128"),
    p("identity", "i" * 129, "3-128", "identity-129"),
    p("identity", "my identity", "3-128"),
    p("federated_credential", "fi", "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$"),
    p("federated_credential", "-fed", "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$"),
    p("federated_credential", "f" * 121, "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$", "federated_credential-121"),
    p("federated_credential", "fed.cred", "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$"),
    p("openai_account", "acc_1", "2-64 letters, digits or '-'"),
    p("openai_account", "a", "2-64 letters, digits or '-'"),
    p("openai_account", "my.account", "2-64 letters, digits or '-'"),
    p("openai_account", "-acc", "2-64 letters, digits or '-'"),
    p("openai_deployment", ".gpt", "1-64 letters"),
    p("openai_deployment", "g" * 65, "1-64 letters", "openai_deployment-65"),
    p("namespace", "Default", "DNS-1123 label"),
    p("namespace", "a" * 64, "DNS-1123 label", "namespace-64"),
    p("namespace", "kube_system", "DNS-1123 label"),
    p("namespace", "-ns", "DNS-1123 label"),
    p("service_account", "AI_Service", "DNS-1123 subdomain"),
    p("service_account", "sa-", "DNS-1123 subdomain"),
    p("service_account", "s" * 254, "DNS-1123 subdomain", "service_account-254"),
    p("service_account", "sa..x", "DNS-1123 subdomain"),
    p("app", "ai service", "DNS-1123 subdomain"),
    p("app", "AI", "DNS-1123 subdomain"),
    p("store_admin_service", "1-admin", "DNS-1035 label"),
    p("store_admin_service", "store.admin", "DNS-1035 label"),
    p("store_admin_service", "s" * 64, "DNS-1035 label", "store_admin_service-64"),
    p("subscription", "not-a-guid", "GUID"),
    p("subscription", "00000000-0000-0000-0000-00000000000", "GUID", "subscription-short"),
    p("subscription", "{00000000-0000-0000-0000-000000000000}", "GUID", "subscription-braces"),
    p("cloud", "AzureGermanCloud", "one of AzureCloud, AzureUSGovernment, AzureChinaCloud"),
    p("cloud", "http://example.invalid/metadata", "one of AzureCloud, AzureUSGovernment, AzureChinaCloud"),
    p("cloud", "AzureChinaCloud", "the emulator target reads its cloud from the emulator's metadata endpoint"),
    # numbers and booleans
    p("rollout_timeout", "0", "between 5 and 3600"),
    p("rollout_timeout", "3601", "between 5 and 3600"),
    p("rollout_timeout", "-5", "between 5 and 3600"),
    p("rollout_timeout", "1.5", "whole number"),
    p("verify_timeout", "soon", "whole number"),
    p("verify_timeout", "4", "between 5 and 3600"),
    p("verify_timeout", "", "whole number", "verify_timeout-empty"),
    p("restore_deployment", "maybe", "True or False"),
    p("restore_deployment", "2", "True or False"),
    p("dry_run", "perhaps", "True or False"),
    # names: unknown, secret-looking, bounded in the message
    p("clustr", "x", "unknown parameter; known parameters: target, resource_group"),
    p("Cluster", "x", "unknown parameter"),
    p("openai_api_key", "abc123", "secrets are never parameters"),
    p("client_secret", "abc123", "secrets are never parameters"),
    p("password", "abc123", "secrets are never parameters"),
    p("n" * 5000, "x", "unknown parameter", "name-5000"),
    # huge values are quoted as a bounded prefix
    p("identity", HUGE, "3-128", "identity-huge"),
    p("namespace", HUGE, "DNS-1123 label", "namespace-huge"),
    p("location", HUGE, "lower-case", "location-huge"),
    p("subscription", HUGE, "GUID", "subscription-huge"),
    # location: the format, then the subscription's own list (a sign-in and a read, nothing else)
    p("location", "East US", "lower-case"),
    p("location", "east-us", "lower-case"),
    p("location", "e", "lower-case"),
    Case("location=mars", ["-p", "location", "mars"], "location", "must be one of the subscription's locations",
         reads=True),
    Case("location=eastus9", ["-p", "location", "eastus9"], "location", "e.g. australiaeast, australiasoutheast",
         reads=True),
    Case("location=moon", ["-p", "location", "moon"], "location", "az account list-locations", reads=True),
    # the data folder
    Case("data_dir=file", ["-p", "data_dir", "FILE"], "data_dir", "must be a folder, but it is an existing file",
         files={"FILE": "not a folder"}),
    Case("data_dir=under-a-file", ["-p", "data_dir", "FILE/data"], "data_dir", "on the way is a file",
         files={"FILE": "not a folder"}),
    Case("data_dir=/proc", ["-p", "data_dir", "/proc"], "data_dir", "must be a folder you can write to"),
    Case("data_dir=/proc/x", ["-p", "data_dir", "/proc/keyless-data"], "data_dir",
         "must be a folder you can create: you cannot write to '/proc'"),
    Case("data_dir=/sys/x", ["-p", "data_dir", "/sys/keyless/data"], "data_dir", "must be a folder you can create"),
    Case("data_dir=NUL", ["-p", "data_dir", "data\x00x"], "data_dir", "without NUL characters"),
    Case("data_dir=long", ["-p", "data_dir", "d" * 2000], "data_dir", "at most 1024 characters"),
    Case("data_dir=yaml-list", ["-f", "P"], "data_dir", "must be a folder path as text",
         files={"P": "data_dir: [1]\n"}),
    # parameters files
    Case("yaml=alias-bomb", ["-f", "P"], "-f", "aliases (*name) are not allowed", files={"P": BOMB}),
    Case("yaml=one-alias", ["-f", "P"], "-f", "aliases (*name) are not allowed",
         files={"P": "identity: &i myIdentity\nfederated_credential: *i\n"}),
    Case("yaml=too-big", ["-f", "P"], "-f", f"at most {YAML_MAX_BYTES // 1024} KiB",
         files={"P": "identity: myIdentity\n" + "# padding\n" * 7000}),
    Case("yaml=not-utf8", ["-f", "P"], "-f", "must be UTF-8 text", files={"P": b"identity: \xff\xfe\n"}),
    Case("yaml=list", ["-f", "P"], "-f", "must be a mapping of NAME: VALUE", files={"P": "- a\n- b\n"}),
    Case("yaml=invalid", ["-f", "P"], "-f", "is not valid YAML", files={"P": "identity: [unclosed\n"}),
    Case("yaml=missing", ["-f", "NOFILE"], "-f", "does not exist"),
    Case("yaml=folder", ["-f", "DIR"], "-f", "must be a file, not a folder", files={"DIR/x": ""}),
    Case("yaml=nested", ["-f", "P"], "identity", "must be text", files={"P": "identity: {name: x}\n"}),
    Case("yaml=secret", ["-f", "P"], "openai_api_key", "secrets are never parameters",
         files={"P": "resource_group: rg1\nopenai_api_key: abc123\n"}),
    Case("yaml=huge-value", ["-f", "P"], "identity", "3-128", files={"P": f"identity: {'y' * 30000}\n"}),
    Case("yaml=python-object", ["-f", "P"], "-f", "is not valid YAML",
         files={"P": "identity: !!python/object/apply:os.system ['true']\n"}),
    # usage
    Case("only=77", ["--only", "77"], "--only 77", "no such notebook"),
    Case("timeout=0", ["--timeout", "0"], "--timeout", "must be a positive number of seconds"),
    Case("timeout=-1", ["--timeout", "-1"], "--timeout", "must be a positive number of seconds"),
]


@pytest.fixture(scope="module")
def own_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    """An emulator `-p data_dir` finds by its runtime file, as a user's run finds theirs."""
    emu = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("bad-input-home"), kubelet=False),
                          write_runtime=True)
    yield emu
    emu.stop()


def _materialize(case: Case, tmp_path: Path, home: Path) -> list[str]:
    for rel, content in case.files.items():
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(content if isinstance(content, bytes) else content.encode())
    swap = {"FILE": str(tmp_path / "FILE"), "FILE/data": str(tmp_path / "FILE" / "data"), "P": str(tmp_path / "P"),
            "NOFILE": str(tmp_path / "NOFILE"), "DIR": str(tmp_path / "DIR")}
    args = [swap.get(a, a) for a in case.args]
    if not case.id.startswith("data_dir"):
        args += ["-p", "data_dir", str(home)]   # the emulator that would receive anything sent
    return args


def test_the_table_has_at_least_80_cases(figures):
    assert len(CASES) >= 80 and len({c.id for c in CASES}) == len(CASES)
    figures.append(f"bad input: {len(CASES)} cases in the table, each exit 2 naming parameter and rule, nothing sent "
                   f"({sum(c.reads for c in CASES)} of them sign in and read the subscription's locations)")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_naming_the_parameter_and_rule_and_sends_nothing(case, own_emulator, tmp_path, capsys):
    control = ControlClient.of(own_emulator.info)
    control.clear_requests()
    out = tmp_path / "out"
    code = main(["run", *_materialize(case, tmp_path, Path(own_emulator.info.home)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    named = case.name if case.name.startswith("--") else f"parameter {case.name[:SHOWN_CHARACTERS]!r}"
    assert named in err and case.rule in err, err[:2000]
    assert len(err) < 2000                                    # a bounded prefix of any bad value, never all of it
    assert "abc123" not in err and HUGE not in err
    assert not out.exists()
    sent = control.client_requests()
    if case.reads:
        assert control.mutating_requests() == [] and all(r["method"] in ("GET", "POST") for r in sent)
        assert not [r for r in sent if r["method"] == "POST" and "/oauth2/" not in r["path"]]
        assert [r["status"] for r in sent if r["path"].endswith("/locations")] == [200]   # the list it checked
    else:
        assert sent == []


@pytest.mark.slow
def test_a_new_data_folder_starts_its_emulator_saying_so_and_an_existing_one_is_reused_quietly(tmp_path,
                                                                                                  own_emulator):
    import keyless
    from keyless.runner import prepare_target
    from keyless_emulator import stop

    said: list[str] = []
    home = tmp_path / "new-data"
    try:
        info = prepare_target(keyless.Parameters(data_dir=str(home)), reset=False, echo=said.append)
        assert said == [f"started an emulator for the data folder {home} (none was running there) at {info.url}; it "
                        f"keeps running after this run: --stop-emulator, or python -m keyless_emulator --home {home} "
                        "stop"]
    finally:
        stop(home)
    said.clear()
    again = prepare_target(keyless.Parameters(data_dir=own_emulator.info.home), reset=False, echo=said.append)
    assert again.url == own_emulator.info.url and said == []
