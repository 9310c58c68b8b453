"""The number parsers shared by the simulated tools (tools/_common.py): strtoul(3) base 10 as
kldstat/kldunload use it, and strtol(3)/strtoul(3) base 0 with ERANGE as sysctl/rctl use it."""
from __future__ import annotations

from freebsd_testbed.tools._common import strtol_base0, strtoul_base10

ULONG_MAX = (1 << 64) - 1


def test_strtoul_base10_wraps():
    assert strtoul_base10("42") == (42, "")
    assert strtoul_base10("  +7abc") == (7, "abc")
    assert strtoul_base10("0x10") == (0, "x10")          # base 10: no prefix
    assert strtoul_base10("010") == (10, "")              # nor octal
    assert strtoul_base10("kernel") == (0, "kernel")      # no digits: nothing consumed
    assert strtoul_base10("-1") == (ULONG_MAX, "")        # negation modulo 2**64
    assert strtoul_base10("99999999999999999999999") == (ULONG_MAX, "")   # clamped, no error


def test_strtol_base0_erange():
    assert strtol_base0("0x1f") == (31, "", False)
    assert strtol_base0("010") == (8, "", False)
    assert strtol_base0(" -12z") == (-12, "z", False)
    assert strtol_base0("0x") == (0, "x", False)          # "0" then a non-hex "x"
    assert strtol_base0("abc") == (0, "abc", False)
    assert strtol_base0("9223372036854775808") == ((1 << 63) - 1, "", True)
    assert strtol_base0("-9223372036854775809") == (-(1 << 63), "", True)
    assert strtol_base0("18446744073709551616", unsigned=True) == (ULONG_MAX, "", True)
    assert strtol_base0("-1", unsigned=True) == (ULONG_MAX, "", False)
    assert strtol_base0("256", unsigned=True, bits=8) == (255, "", True)


class _Usage(Exception):
    pass


def _switch(args, spec, longs=None, **kw):
    """getopt_switch with err() collected and usage() raising, as zfs/zpool wire it."""
    from freebsd_testbed.tools._common import getopt_switch
    msgs: list[str] = []

    def usage():
        raise _Usage()
    try:
        return getopt_switch(args, spec, msgs.append, usage, longs, **kw), msgs
    except _Usage:
        return None, msgs


def test_getopt_switch_zfs_and_zpool_styles():
    # zfs: libc's diagnostic (opterr) then the switch's own line
    assert _switch(["-x"], "rH", prog="zfs") == (None, ["zfs: illegal option -- x",
                                                       "invalid option 'x'"])
    assert _switch(["-x"], "rH", {"json": "j"}, prog="zfs")[1][0] == "zfs: invalid option -- x"
    assert _switch(["--nope"], "r", {"json": "j"}, prog="zfs") == (
        None, ["zfs: unrecognized option `--nope'", "invalid option '\0'"])
    # a leading ':' silences libc; case ':' prints the given text, without one the option drops
    assert _switch(["-V"], ":V:", prog="zfs", colon_case="missing size argument") == (
        None, ["missing size argument"])
    assert _switch(["-o"], ":o:", prog="zfs", colon_case=False) == (([], []), [])
    # getopt_long permutes; zpool style (no prog) matches --name=value by name, stops at operands
    assert _switch(["a", "-r", "--json"], "r", {"json": "j"}, prog="zfs") == (
        ([("r", None), ("j", None)], ["a"]), [])
    assert _switch(["--json=x", "p", "-H"], ":H", {"json": "j"}, permute=False, long_eq=True,
                   bad_long="?") == (([("j", None)], ["p", "-H"]), [])
    assert _switch(["--bad"], ":H", {}, permute=False, long_eq=True, bad_long="?") == (
        None, ["invalid option '?'"])


def test_sh_getopts_messages(capsys):
    import pytest

    from freebsd_testbed.tools._common import UsageError, sh_getopts
    assert sh_getopts(["-af", "x", "name"], "af:") == ([("a", ""), ("f", "x")], ["name"])
    with pytest.raises(UsageError):
        sh_getopts(["-z"], "af:")
    with pytest.raises(UsageError):
        sh_getopts(["-f"], "af:")
    assert capsys.readouterr().err == "Illegal option -z\nNo arg for -f option\n"
