"""Hostile input through every string input of every resource and of the provider config.

Each value is either rejected by Check with a clear message (before anything can run on the
host), or accepted and then carried literally (the checked inputs hold exactly the value given).
"""
from __future__ import annotations

import dataclasses
import pathlib
import sys
from typing import Any, get_args, get_origin

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "provider"))
sys.path.insert(0, str(pathlib.Path(__file__).parent))

from corpus import HOSTILE  # noqa: E402
from harness import ProviderClient  # noqa: E402

from freebsd_provider import wire  # noqa: E402
from freebsd_provider.config import CONFIG_FIELDS  # noqa: E402
from freebsd_provider.resources import RESOURCES  # noqa: E402
from freebsd_provider.resources.base import _strip_optional, fields_of  # noqa: E402


def string_slots(fields, example: dict[str, Any], prefix=()) -> list[tuple]:
    """Paths (tuples) of every string slot: str fields, list items, map keys and values."""
    slots = []
    for f in fields:
        tp = _strip_optional(f.type)
        origin = get_origin(tp)
        path = prefix + (f.wire,)
        if tp is str:
            slots.append(path)
        elif origin is list and _strip_optional(get_args(tp)[0]) is str:
            slots.append(path + (0,))
        elif origin is dict and get_args(tp)[1] is str:
            slots.append(path + ("<key>",))
            slots.append(path + ("<value>",))
        elif origin is list and get_origin(get_args(tp)[0]) is list:
            slots.append(path + (0, 0))
        elif origin is list and dataclasses.is_dataclass(get_args(tp)[0]):
            slots += string_slots(fields_of(get_args(tp)[0]), {}, path + (0,))
        elif dataclasses.is_dataclass(tp):
            slots += string_slots(fields_of(tp), {}, path)
    return slots


def substitute(example: dict, path: tuple, value: str) -> dict:
    import copy
    data = copy.deepcopy(example)
    cur: Any = data
    for i, key in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(cur, dict):
            if key not in cur or cur[key] is None:
                cur[key] = [] if nxt == 0 else {}
            cur = cur[key]
        else:
            while len(cur) <= key:
                cur.append({} if nxt != 0 else [])
            cur = cur[key]
    last = path[-1]
    if last == "<key>":
        old = next(iter(cur), None)
        v = cur.pop(old) if old is not None else "x"
        cur[value] = v
    elif last == "<value>":
        k = next(iter(cur), "com.example:k")
        cur[k] = value
    elif isinstance(cur, list):
        if cur:
            cur[last] = value
        else:
            cur.append(value)
    else:
        cur[last] = value
    return data


def get_at(data: dict, path: tuple, value: str):
    cur: Any = wire.reveal(data)
    for key in path[:-1]:
        cur = cur[key]
    last = path[-1]
    if last == "<key>":
        return value if value in cur else None
    if last == "<value>":
        return value if value in cur.values() else None
    return cur[last]


@pytest.fixture(scope="module")
def client():
    c = ProviderClient()
    yield c
    c.close()


def check_outcome(label, failures, inputs, path, value):
    if failures:
        for prop, reason in failures:
            assert reason and len(reason) < 600, (label, prop, reason)
            assert "Traceback" not in reason, (label, reason)
        return "rejected"
    got = wire.reveal(get_at(inputs, path, value))
    assert got == value, f"{label}: accepted but not carried literally: {got!r} != {value!r}"
    return "accepted"


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.token.split(":")[-1] for r in RESOURCES])
def test_hostile_strings_in_every_input(client, resource):
    assert resource.example, f"{resource.token} needs an `example` (valid inputs)"
    _, failures = client.check(resource.token, "ex", resource.example)
    assert failures == [], f"{resource.token}.example is not valid: {failures}"
    slots = string_slots(resource.input_fields(), resource.example)
    assert slots
    outcomes = {"rejected": 0, "accepted": 0}
    for path in slots:
        for value in HOSTILE:
            news = substitute(resource.example, path, value)
            inputs, failures = client.check(resource.token, "h", news)
            outcomes[check_outcome(f"{resource.token} {path} {value[:40]!r}", failures, inputs, path, value)] += 1
    assert outcomes["rejected"] > 0


def test_hostile_strings_in_provider_config(client):
    base = {"host": "192.0.2.10", "port": 22, "user": "root",
            "hostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"}
    for f in CONFIG_FIELDS:
        if _strip_optional(f.type) is not str:
            continue
        for value in HOSTILE:
            news = dict(base, **{f.wire: value})
            inputs, failures = client.check_config(**news)
            if f.wire in ("host", "user", "become", "hostKey", "privateKey", "knownHostsFile"):
                if value.strip() != value or any(c in value for c in ";|&$`\n\x00 "):
                    assert failures, f"config {f.wire}={value!r} should be rejected"
            for _, reason in failures:
                assert "Traceback" not in reason and len(reason) < 600


def test_nothing_runs_on_the_host_for_rejected_input(testbed):
    """Check runs nothing remotely: a whole corpus pass leaves the testbed's command log as it was."""
    c = ProviderClient()
    try:
        c.configure(**{**testbed.provider_config(), "privateKey": wire.Secret(testbed.provider_config()["privateKey"])})
        before = len(testbed.log())
        for resource in RESOURCES:
            for path in string_slots(resource.input_fields(), resource.example)[:3]:
                for value in HOSTILE[:60]:
                    c.check(resource.token, "h", substitute(resource.example, path, value))
        assert len(testbed.log()) == before
    finally:
        c.close()
