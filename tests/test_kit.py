"""The tests' kit (tests/kit): the bounded polling helper, without an emulator."""
from __future__ import annotations

import pytest
from kit import wait_for


def test_wait_for_returns_the_first_truthy_answer():
    answers = iter([None, [], "ready", "later"])
    assert wait_for(lambda: next(answers), 5, "an answer", interval=0) == "ready"


def test_wait_for_fails_naming_what_it_waited_for_and_the_last_answer():
    with pytest.raises(AssertionError) as e:
        wait_for(lambda: [], 0.05, "the pods", interval=0.01)
    assert str(e.value) == "timed out after 0.05s waiting for the pods; last answer: []"


def test_wait_for_checks_once_even_with_no_time_left():
    calls = []
    with pytest.raises(AssertionError):
        wait_for(lambda: calls.append(1), 0, "once")
    assert calls == [1]


def test_wait_for_counts_ignored_exceptions_as_not_yet():
    attempts = iter([ConnectionRefusedError("not listening"), ConnectionRefusedError("not listening"), "up"])

    def check():
        answer = next(attempts)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert wait_for(check, 5, "the server", interval=0, ignoring=(OSError,)) == "up"


def test_wait_for_names_the_last_ignored_exception_when_it_times_out():
    def down():
        raise OSError("down")
    with pytest.raises(AssertionError) as e:
        wait_for(down, 0.05, "the server", interval=0.01, ignoring=(OSError,))
    assert str(e.value).endswith("waiting for the server; last answer: OSError('down')")


def test_wait_for_lets_other_exceptions_through_at_once():
    with pytest.raises(ZeroDivisionError):
        wait_for(lambda: 1 / 0, 5, "the division", ignoring=(OSError,))
