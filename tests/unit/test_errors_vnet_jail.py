"""The errors VnetJail decides on, from rctl(8)'s own messages (usr.bin/rctl/rctl.c enosys():
errx(1, ...) prefixes "rctl: "), and the rctl/cpuset facts it reads."""
from __future__ import annotations

import pytest

from freebsd_provider import errors as E
from freebsd_provider.host import cpuset, rctl
from freebsd_provider.host.steps import Step
from freebsd_provider.ssh import Result

DISABLED = "rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n"
NOT_PRESENT = "rctl: RACCT/RCTL support not present in kernel; see rctl(8) for details\n"


def res(argv, err="", code=1, out=""):
    return Result(list(argv), " ".join(argv), code, out, err)


@pytest.mark.parametrize("argv", [rctl.list_all(), rctl.add("web", "memoryuse:deny=1g"),
                                  rctl.remove("web"), rctl.remove("web", "memoryuse:deny")])
@pytest.mark.parametrize("err", [DISABLED, NOT_PRESENT])
def test_racct_off_is_rctl_disabled(argv, err):
    assert type(E.classify(res(argv, err))) is E.RctlDisabled


def test_other_rctl_failures_are_not_rctl_disabled():
    err = "rctl: failed to add rule 'jail:web:memoryuse:deny=1': Invalid argument\n"
    assert type(E.classify(res(rctl.add("web", "memoryuse:deny=1"), err))) is E.CommandFailed


def test_delete_tolerates_racct_off_only():
    step = Step(rctl.remove("web"), "rctl-clear", tolerate=(E.RctlDisabled,))
    assert step.tolerates(res(rctl.remove("web"), DISABLED))
    assert not step.tolerates(res(rctl.remove("web"), "rctl: failed to remove rule: Operation not permitted\n"))


def test_rules_fact():
    fact = rctl.rules()
    assert fact.argv == tuple(rctl.list_all())
    out = "jail:web:memoryuse:deny=536870912\njail:db:maxproc:deny=100\nuser:1001:maxproc:deny=10\n"
    assert fact.parse(res(fact.argv, code=0, out=out)) == {
        "web": ["memoryuse:deny=536870912"], "db": ["maxproc:deny=100"]}
    assert fact.parse(res(fact.argv, DISABLED)) is None  # RACCT off: no rules
    with pytest.raises(E.CommandFailed):
        fact.parse(res(fact.argv, "rctl: sysctl: Operation not permitted\n"))


def test_masks_fact():
    fact = cpuset.masks()
    out = "jail 4 mask: 0, 1\njail 4 domain policy: first-touch mask: 0\njail 7 mask: 2\n"
    assert fact.parse(res(fact.argv, code=0, out=out)) == {4: frozenset({0, 1}), 7: frozenset({2})}
