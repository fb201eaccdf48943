"""keyless.widgets driven by setting values: the form prefilled and read without a click, its refusals,
and the headless summary."""
from __future__ import annotations

import pytest

import keyless


def test_form_is_prefilled_and_read_without_a_click():
    from keyless.widgets import ParameterForm

    calls = []

    def suggest(name, values):
        calls.append((name, values["resource_group"]))
        return {"resource_group": ["myResourceGroup", "other"], "cluster": ["aks1"]}.get(name, [])

    form = ParameterForm(keyless.Parameters(identity="idA"), suggest)
    assert form.fields["identity"].value == "idA" and form.fields["cluster"].value == ""
    assert form.fields["resource_group"].options == ("myResourceGroup", "other")
    form.fields["resource_group"].value = "other"           # changing the group refreshes suggestions
    assert ("cluster", "other") in calls
    form.fields["cluster"].value = "typed-cluster"           # a typed value not among the options is fine
    p = form.parameters()
    assert (p.resource_group, p.cluster, p.identity) == ("other", "typed-cluster", "idA")


def test_form_refuses_a_bad_value_naming_the_field():
    from keyless.widgets import ParameterForm

    form = ParameterForm(keyless.Parameters())
    form.fields["namespace"].value = "Not_A_Label"
    with pytest.raises(keyless.ParameterError):
        form.parameters()
    assert "namespace" in form.error.value


def test_form_suggestions_failing_leave_typing_usable():
    from keyless.widgets import ParameterForm

    def broken(name, values):
        raise RuntimeError("no network")

    form = ParameterForm(keyless.Parameters(), broken)
    assert form.fields["resource_group"].options == ()
    assert form.parameters().resource_group == "myResourceGroup"


def test_headless_summary_is_plain_and_deterministic():
    from keyless.widgets import summary
    text = summary(keyless.Parameters())
    assert text == summary(keyless.Parameters())
    assert "cluster:              (discover)" in text and "subject:" in text
