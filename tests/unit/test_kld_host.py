"""Fixture tests of the kld (kldload/kldstat/kldunload) argv builders and kldstat parser."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider.errors import ModuleBusy, ModuleNotLoaded, classify
from freebsd_provider.host import kld
from freebsd_provider.ssh import Result

FIX = pathlib.Path(__file__).parent / "fixtures" / "kld"
CASES = sorted(FIX.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(kld, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
        return
    st = kld.parse_stat(case["output"])
    fact = case["fact"]
    assert {f.name: [f.path, f.modules] for f in st.files} == {k: v for k, v in fact["files"].items()}
    for name, loaded in fact["loaded"].items():
        assert st.is_loaded(name) is loaded, name
    for name, ink in fact["in_kernel"].items():
        assert st.in_kernel(name) is ink, name


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        kld.parse_stat("Id Refs Address Size Name\nwhat is this\n")


@pytest.mark.parametrize("name,ok", [
    ("if_epair", True), ("pf", True), ("if_bridge", True), ("linux64", True), ("zfs", True),
    ("", False), ("if_epair.ko", False), ("/boot/kernel/pf.ko", False), ("../pf", False),
    ("pf;reboot", False), ("pf load", False), ("-f", False), ("1pf", False), ("pf\n", False),
    ("a" * 64, False), ("рf", False), ("$(reboot)", False),
])
def test_name_error(name, ok):
    assert (kld.name_error(name) is None) is ok


def test_busy_and_missing_messages():
    def kind(err):
        return type(classify(Result(kld.unload("if_epair"), "kldunload if_epair", 1, "", err)))
    assert kind("kldunload: can't unload file: Device busy\n") is ModuleBusy
    assert kind("kldunload: can't find file if_epair: No such file or directory\n") is ModuleNotLoaded
