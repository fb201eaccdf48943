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
