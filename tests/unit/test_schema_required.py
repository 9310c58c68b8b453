"""The schema's `required` outputs come from the fields' always-present declarations (no host).

tests/provider/test_required_outputs.py checks them against what each resource really returns.
"""
import json
from dataclasses import dataclass
from typing import Optional

from freebsd_provider import schema
from freebsd_provider.resources import RESOURCES
from freebsd_provider.resources.base import field, fields_of


def resources():
    return json.loads(schema.render())["resources"]


def test_required_outputs_are_the_always_present_fields():
    s = resources()
    for r in RESOURCES:
        fields = {f.wire: f for f in r.input_fields() + r.output_fields()}
        assert set(s[r.token]["required"]) == {w for w, f in fields.items() if f.always_present}, r.token


def test_outputs_recorded_only_when_there_was_something_are_optional():
    s = resources()
    for token, prop in [("Sysrc", "previousValue"), ("KernelModule", "previousLoad"),
                        ("Bridge", "movedFrom"), ("Bridge", "movedRcConf"), ("Bridge", "movedDefaultRouter"),
                        ("Bridge", "previousMemberIfaddrs"), ("PfRuleset", "previousContent"),
                        ("PfRuleset", "previousPfEnable"), ("PfRuleset", "previousPfRules"),
                        ("VnetJail", "jid"), ("JailFile", "previousContent"), ("JailFile", "previousMode"),
                        ("JailFile", "previousOwner"), ("Sysrc", "jail"), ("VnetJail", "epair")]:
        res = s[f"freebsd:index:{token}"]
        assert prop in res["properties"] and prop not in res["required"], f"{token}.{prop}"


def test_always_present_overrides_the_type():
    @dataclass
    class S:
        plain: str = field("x", default="")
        maybe: Optional[str] = field("x", default=None)
        cleared: str = field("x", default="", always_present=False)
        filled: Optional[str] = field("x", default=None, always_present=True)
    got = {f.wire: f.always_present for f in fields_of(S)}
    assert got == {"plain": True, "maybe": False, "cleared": False, "filled": True}


def test_rejections_show_control_characters_escaped():
    """A check failure echoing the input shows its control characters escaped, on one line."""
    from freebsd_provider.resources.base import shown
    from freebsd_provider.resources.zfs_dataset import ZfsDataset
    reasons = [f.reason for f in ZfsDataset().op_validate({"name": "zroot/x", "properties": {"bad\nkey\x00": "v"}})]
    assert [shown(r) for r in reasons] == ["invalid property 'bad\\nkey\\x00'"]
    assert shown("a\rb\tc\x1bd\x7fe\x85f\u2028g\u2029h") == "a\\rb\\tc\\x1bd\\x7fe\\x85f\\u2028g\\u2029h"
    assert shown("plain text, unchanged: ü €") == "plain text, unchanged: ü €"
