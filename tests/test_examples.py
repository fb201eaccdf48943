"""The CI examples under examples/ are valid YAML and do what the README says: the offline test
suite, the runbook against the emulator with JUnit, a drift check, and a commented Azure job."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name", ["github-actions.yml", "azure-pipelines.yml"])
def test_the_ci_example_tests_offline_runs_the_emulator_and_shows_the_azure_job(name):
    text = (EXAMPLES / name).read_text()
    doc = yaml.safe_load(text)
    commands = " ".join(str(v) for v in _strings(doc))
    assert "make test" in commands
    assert "-m keyless run --target emulator" in commands and "--junit" in commands
    assert "-m keyless check" in commands
    assert "#     - uses: azure/login" in text or "#     - task: AzureCLI@2" in text
    assert "--target azure" in text and "--target azure" not in commands  # the Azure job stays commented out


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []
