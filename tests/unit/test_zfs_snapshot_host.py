"""Fixture tests of the zfs snapshot fact (builders and parse_get on `-t snapshot` output)."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider.host import zfs

FIX = pathlib.Path(__file__).parent / "fixtures" / "zfs_snapshot"
CASES = sorted(FIX.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(zfs, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
        return
    got = {}
    for name, ds in zfs.parse_get(case["output"]).items():
        got[name] = {p: v.value for p, v in ds.props.items()}
        got[name]["clones"] = zfs.clones_list(got[name].get("clones", ""))
    assert got == case["result"]


def test_split_snapshot():
    assert zfs.split_snapshot("zroot/a@s") == ("zroot/a", "s")
    for bad in ("zroot/a", "@s", "zroot/a@"):
        with pytest.raises(ValueError):
            zfs.split_snapshot(bad)


@pytest.mark.parametrize("snap,ok", [("15.0-RELEASE", True), ("before-update", True), ("a:b.c_d", True),
                                     ("", False), ("a@b", False), ("a/b", False), ("a b", True),
                                     ("a;b", False), ("$(x)", False), ("..", False)])
def test_snapshot_component(snap, ok):
    assert (zfs.snapshot_component_error(snap) is None) is ok


def test_dependent_clones_message():
    assert zfs.has_dependent_clones("cannot destroy 'zroot/x@s': snapshot has dependent clones")
