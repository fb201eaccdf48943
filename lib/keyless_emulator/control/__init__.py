"""The emulator-only control API under /_emulator/: health, reset, snapshot, request log, faults, latency."""
