"""`python -m keyless.emulator`: a one-line alias of `python -m keyless_emulator`."""
from keyless_emulator.cli import run

run()
