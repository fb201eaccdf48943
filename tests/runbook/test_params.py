"""Parameters: the real naming rules, refused up front with the parameter named, nothing sent."""
from __future__ import annotations

import pytest

import keyless
from keyless.__main__ import main
from keyless.params import ParameterError, from_mapping, load

BAD = [
    ("target", "prod", "one of emulator, azure"),
    ("resource_group", "", "1-90"),
    ("resource_group", "my group", "1-90"),
    ("resource_group", "rg.", "does not end with '.'"),
    ("resource_group", "r" * 91, "1-90"),
    ("cluster", "-aks", "starting and ending with a letter or digit"),
    ("cluster", "a" * 64, "1-63"),
    ("identity", "ab", "3-128"),
    ("identity", "_identity", "starting with a letter or digit"),
    ("identity", "my.identity", "3-128"),
    ("federated_credential", "fi", "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$"),
    ("federated_credential", "-fed", "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$"),
    ("federated_credential", "f" * 121, "^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$"),
    ("openai_account", "acc_1", "2-64 letters, digits or '-'"),
    ("openai_account", "a", "2-64 letters, digits or '-'"),
    ("openai_account", "my.account", "2-64 letters, digits or '-'"),
    ("openai_deployment", ".gpt", "1-64 letters"),
    ("namespace", "Default", "DNS-1123 label"),
    ("namespace", "a" * 64, "DNS-1123 label"),
    ("service_account", "AI_Service", "DNS-1123 subdomain"),
    ("service_account", "sa-", "DNS-1123 subdomain"),
    ("app", "ai service", "DNS-1123 subdomain"),
    ("store_admin_service", "1-admin", "DNS-1035 label"),
    ("subscription", "not-a-guid", "GUID"),
    ("cloud", "AzureGermanCloud", "one of AzureCloud, AzureUSGovernment, AzureChinaCloud"),
    ("location", "East US", "lower-case"),
    ("rollout_timeout", "0", "between 5 and 3600"),
    ("verify_timeout", "soon", "whole number"),
    ("restore_deployment", "maybe", "True or False"),
    ("exercise", "skip", "True or False"),
]


@pytest.mark.parametrize("name,value,rule", BAD, ids=[f"{n}={v[:12]!s}" for n, v, _ in BAD])
def test_bad_value_is_refused_naming_the_parameter_and_rule(name, value, rule):
    with pytest.raises(ParameterError) as e:
        load(pairs=[(name, value)])
    assert e.value.name == name
    assert f"parameter {name!r}" in str(e.value)
    assert rule in str(e.value)


@pytest.mark.parametrize("name", ["api_key", "client_secret", "openai_key", "token", "password"])
def test_secret_looking_names_are_never_parameters(name):
    with pytest.raises(ParameterError) as e:
        from_mapping({name: "s3cr3t-value"})
    assert e.value.name == name and "secrets are never parameters" in str(e.value)
    assert "s3cr3t-value" not in str(e.value)


def test_unknown_parameter_is_refused_with_the_known_names():
    with pytest.raises(ParameterError) as e:
        from_mapping({"clustr": "x"})
    assert "unknown parameter" in str(e.value) and "cluster" in str(e.value)


def test_defaults_are_the_articles_names():
    p = keyless.Parameters()
    assert (p.target, p.resource_group, p.identity, p.federated_credential, p.namespace, p.service_account) == (
        "emulator", "myResourceGroup", "myIdentity", "myFedIdentity", "default", "ai-service-account")
    assert p.subject == "system:serviceaccount:default:ai-service-account"


def test_yaml_then_pairs_then_overrides(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("identity: fromFile\nnamespace: files\nrollout_timeout: 30\n")
    p = load([f], [("namespace", "pairs")], cluster="c1")
    assert (p.identity, p.namespace, p.cluster, p.rollout_timeout) == ("fromFile", "pairs", "c1", 30)


def test_yaml_that_is_not_a_mapping_is_refused(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("- a\n- b\n")
    with pytest.raises(ParameterError) as e:
        load([f])
    assert e.value.name == "-f" and "mapping" in str(e.value)


def test_emulator_target_plays_the_public_cloud_only():
    with pytest.raises(ParameterError) as e:
        keyless.Parameters(cloud="AzureChinaCloud")
    assert e.value.name == "cloud"
    assert keyless.Parameters(target="azure", cloud="AzureChinaCloud").cloud == "AzureChinaCloud"


@pytest.mark.parametrize("name,value,rule", BAD[::5])
def test_cli_refuses_bad_values_before_sending_anything(fresh, admin, capsys, tmp_path, name, value, rule):
    code = main(["run", "-p", name, value, "-p", "data_dir", str(tmp_path),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"parameter {name!r}" in err and rule in err and "nothing was changed" in err
    assert admin.requests() == []                 # not even a read reached the emulator
    assert not (tmp_path / "out").exists()


def test_a_parameters_file_with_a_secret_is_refused_before_anything_runs(tmp_path, capsys):
    f = tmp_path / "params.yaml"
    f.write_text("resource_group: rg1\nopenai_api_key: abc123\n")
    code = main(["run", "-f", str(f), "-p", "data_dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "openai_api_key" in err and "secrets are never parameters" in err and "abc123" not in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "data").exists()


def test_only_matching_no_notebook_is_a_usage_error_naming_it_without_starting_anything(tmp_path, capsys):
    code = main(["run", "--only", "77", "-p", "data_dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --only 77: no such notebook (choose from 00-before-you-begin, ")
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()
