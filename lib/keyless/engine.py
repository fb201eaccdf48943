"""The papermill engine of a run: nbclient's, writing the executed notebook less often.

Papermill's own engine writes the whole executed notebook twice per cell (when the cell starts and when
it ends: a JSON dump with schema validation, 1-2 ms each for the runbook's notebooks), between the cells,
on the run's critical path: about a tenth of a second per run. This engine writes it when the notebook
starts and when it ends, whatever ends it (the last cell, a failing cell, a timeout, the kernel's death:
papermill's `notebook_complete` always runs), and in between at most every `SAVE_EVERY` seconds, so an
executed notebook watched during a long cell (a cluster update on Azure) still shows where the run is.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from papermill.engines import NBClientEngine, papermill_engines

NAME = "keyless"
SAVE_EVERY = 5.0  # seconds between two writes of the executed notebook while its cells run


def at_most_every(seconds: float, write: Callable[..., Any]) -> Callable[..., None]:
    """`write`, called only when `seconds` have passed since it last was (or since now); other calls do nothing."""
    last = time.monotonic()

    def throttled(**kwargs: Any) -> None:
        nonlocal last
        if time.monotonic() - last >= seconds:
            write(**kwargs)
            last = time.monotonic()

    return throttled


class RunEngine(NBClientEngine):  # type: ignore[misc]  # (papermill has no type hints)
    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        nb_man.save = at_most_every(SAVE_EVERY, nb_man.save)  # the cells' saves (the first one was just made)
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
        finally:
            del nb_man.save  # papermill's notebook_complete, which follows, writes the final state


def register() -> str:
    """Make the engine known to papermill (idempotent); returns its name for `execute_notebook(engine_name=)`."""
    papermill_engines.register(NAME, RunEngine)
    return NAME
