"""keyless.targets without a target: choosing a subscription, and the emulator loaded only when a target
needs it (the clouds themselves: test_clouds.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from keyless.errors import KeylessError
from keyless.targets import choose_subscription


def test_subscription_choice_refuses_to_guess_between_several():
    subs = [{"subscriptionId": "a", "displayName": "A", "state": "Enabled"},
            {"subscriptionId": "b", "displayName": "B", "state": "Enabled"}]
    with pytest.raises(KeylessError) as e:
        choose_subscription(subs, "")
    assert e.value.code == "AmbiguousSubscription" and "A (a)" in e.value.message
    assert choose_subscription(subs, "", default="b")["subscriptionId"] == "b"
    assert choose_subscription(subs, "B".lower())["subscriptionId"] == "b"
    assert choose_subscription(subs[:1], "")["subscriptionId"] == "a"
    with pytest.raises(KeylessError):
        choose_subscription(subs, "c")


def test_importing_the_library_does_not_load_the_emulator():
    code = "import keyless, keyless.runner, keyless.widgets, sys; print('keyless_emulator' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
