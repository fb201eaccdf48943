"""Figures tests report for the end of the session (the torture suite's held/total counts).

A test appends lines to FIGURES (through the `figures` fixture). Under pytest-xdist each worker process
has its own list: the worker hands it to the controller when it finishes (xdist's `workeroutput`), and
the controller prints every worker's lines with its own in one terminal section (tests/conftest.py)."""
from __future__ import annotations

FIGURES: list[str] = []
WORKER_KEY = "keyless_figures"
