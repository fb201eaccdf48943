"""keyless.notebook: progress as one updated line for learners, milestones only when headless."""
from __future__ import annotations

import keyless


def test_interactive_progress_updates_one_line_and_headless_prints_milestones(capsys):
    from keyless.notebook import Runbook
    rb = Runbook(keyless.Parameters(), clients=None, state=None, interactive=True)  # type: ignore[arg-type]
    rb.progress("first")
    rb.progress("  detail", detail=True)
    shown = rb._progress_line.widget.value           # the milestone stays above the latest detail
    assert shown.startswith("<div class='keyless-progress'><div><code>first</code></div><div style='color:#57606a'>"
                            "<code>detail</code></div>") and "elapsed " in shown
    capsys.readouterr()
    rb.interactive, rb._progress_line = False, None
    rb.progress("milestone")
    rb.progress("  detail", detail=True)
    assert capsys.readouterr().out == "milestone\n"


def _surfaces(admin) -> list[str]:
    return [r["surface"] for r in admin.requests()]


def test_in_a_runner_kernel_every_notebook_reuses_the_runs_one_sign_in(fresh, params, admin, monkeypatch):
    """KEYLESS_REUSE_CONNECTION=1 (set by the runner for its one kernel): a later notebook's `init`
    sends nothing to Entra or Resource Manager to connect, and reuses the same clients (kubeconfig too)."""
    from keyless import notebook

    monkeypatch.setattr(notebook, "_CONNECTIONS", {})
    monkeypatch.setenv("KEYLESS_REUSE_CONNECTION", "1")
    first = keyless.init(params, emulator=fresh.info)
    admin.clear_requests()
    second = keyless.init(params, emulator=fresh.info)
    assert second.clients is first.clients
    assert _surfaces(admin) == []
    assert keyless.init(params.replace(resource_group="otherGroup"), emulator=fresh.info).clients is first.clients
    assert keyless.init(params.replace(data_dir=params.data_dir + "-other"), emulator=fresh.info).clients \
        is not first.clients


def test_elsewhere_every_init_connects_afresh(fresh, params, admin, monkeypatch):
    from keyless import notebook

    monkeypatch.setattr(notebook, "_CONNECTIONS", {})
    monkeypatch.delenv("KEYLESS_REUSE_CONNECTION", raising=False)
    first = keyless.init(params, emulator=fresh.info)
    admin.clear_requests()
    second = keyless.init(params, emulator=fresh.info)
    assert second.clients is not first.clients
    assert "entra" in _surfaces(admin) and "arm" in _surfaces(admin)
