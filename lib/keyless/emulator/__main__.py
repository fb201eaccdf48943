from keyless_emulator.cli import run; run()  # noqa: E702 - the alias: `python -m keyless.emulator` runs keyless_emulator
