"""`python -m keyless.emulator ...` is kept as an alias of `python -m keyless_emulator ...`.

The emulator is its own top-level package (`keyless_emulator`); import it from there.
"""
