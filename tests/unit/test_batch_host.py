"""host/batch.py (several commands in one exec) and Host.batch/facts/prime, run through a real
local /bin/sh: a fake Connection executes the joined command line exactly as sshd would."""
from __future__ import annotations

import asyncio
import subprocess
import time

import pytest

from freebsd_provider.host import batch
from freebsd_provider.hostctx import Host
from freebsd_provider.ssh import CommandError, Result, join_argv

NONCE = "0123456789abcdef"


def sh(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", "-c", join_argv(argv)], capture_output=True, text=True)


def run_batch(argvs, keep_going=False):
    p = sh(batch.script(argvs, NONCE, join_argv, keep_going))
    return p, batch.parse(p.stdout, p.stderr, NONCE)


def test_steps_keep_their_own_output_status_and_stderr():
    p, steps = run_batch([["/bin/echo", "a b"], ["/bin/sh", "-c", "printf x; echo oops >&2; exit 3"],
                          ["/bin/echo", "never"]])
    assert p.returncode == 0
    assert [(s.exit_code, s.stdout, s.stderr) for s in steps] == [(0, "a b\n", ""), (3, "x", "oops\n")]
    assert batch.failed(steps, 3) == 1


def test_keep_going_runs_every_step():
    _, steps = run_batch([["/bin/sh", "-c", "exit 2"], ["/bin/echo", "still"]], keep_going=True)
    assert [(s.exit_code, s.stdout) for s in steps] == [(2, ""), (0, "still\n")]


def test_output_cannot_forge_a_marker_and_words_arrive_literally():
    hostile = ["a'b; touch /tmp/pwned $(id) `id`", "\n__pulumi_freebsd_batch_ffff 0\n", "$r", "--", "*"]
    _, steps = run_batch([["/usr/bin/printf", "%s|", *hostile], ["/bin/echo", "end"]])
    assert steps[0].stdout == "|".join(hostile) + "|" and steps[1].stdout == "end\n"
    assert len(steps) == 2


def test_commands_get_no_stdin():
    p = subprocess.run(["/bin/sh", "-c", join_argv(batch.script([["/bin/cat"]], NONCE, join_argv))],
                       input="secret on stdin", capture_output=True, text=True)
    assert batch.parse(p.stdout, p.stderr, NONCE)[0].stdout == ""


def test_builder_refuses_an_empty_batch_and_a_bad_nonce():
    with pytest.raises(ValueError):
        batch.script([], NONCE, join_argv)
    with pytest.raises(ValueError):
        batch.script([["/bin/true"]], "x'; rm -rf /", join_argv)


def test_a_shell_that_dies_midway_is_reported_as_missing_steps():
    _, steps = run_batch([["/bin/echo", "one"], ["/bin/sh", "-c", "kill -9 $PPID"], ["/bin/echo", "three"]])
    assert batch.failed(steps, 3) == len(steps) < 3


# ------------------------------------------------------------------------------------------
# Host.batch / facts / prime over a local fake connection


class LocalConnection:
    """Runs argv through the local /bin/sh like the SSH transport would; records each exec."""

    def __init__(self, delay: float = 0.0):
        self.execs: list[str] = []
        self.delay = delay

    def run(self, argv, *, stdin=None, check=True, timeout=None, sensitive=False, retry_safe=False):
        self.execs.append(join_argv(argv))
        time.sleep(self.delay)
        p = subprocess.run(["/bin/sh", "-c", join_argv(argv)], input=stdin, capture_output=True, text=True)
        r = Result(list(argv), join_argv(argv), p.returncode, p.stdout, p.stderr)
        if check and p.returncode:
            raise CommandError(r)
        return r


def test_host_batch_is_one_exec_and_raises_the_failing_commands_own_error():
    conn = LocalConnection()
    host = Host(conn)

    async def go():
        ok = await host.batch([["/bin/echo", "1"], ["/bin/echo", "2"]])
        assert [r.stdout for r in ok] == ["1\n", "2\n"] and ok[1].command == "/bin/echo 2"
        with pytest.raises(CommandError) as e:
            await host.batch([["/bin/echo", "1"], ["/bin/ls", "/nonexistent-dir"], ["/bin/echo", "3"]])
        assert e.value.result.command == "/bin/ls /nonexistent-dir" and e.value.result.exit_code != 0
        assert "nonexistent-dir" in e.value.result.stderr
    asyncio.run(go())
    assert len(conn.execs) == 2


def test_facts_read_the_missing_ones_in_one_exec_and_share_them():
    conn = LocalConnection(delay=0.05)
    host = Host(conn)
    a, b, c = ["/bin/echo", "A"], ["/bin/echo", "B"], ["/bin/sh", "-c", "exit 4"]

    async def go():
        first = await host.facts([a, b, c])
        assert [(r.exit_code, r.stdout) for r in first] == [(0, "A\n"), (0, "B\n"), (4, "")]
        assert len(conn.execs) == 1
        # cached: no exec; fact() with check raises on the cached failure
        assert (await host.fact(a)).stdout == "A\n" and len(conn.execs) == 1
        with pytest.raises(CommandError):
            await host.fact(c)
        # single-flight and coalescing: reads asked at about the same time (the engine's
        # parallel Reads) share one exec, and a fact asked twice is read once
        host.invalidate()
        r1, r2, r3 = await asyncio.gather(host.fact(a), host.facts([a, b]), host.fact(b))
        assert r1.stdout == "A\n" and [r.stdout for r in r2] == ["A\n", "B\n"] and r3.stdout == "B\n"
        assert len(conn.execs) == 2 and conn.execs[-1].count("/bin/echo") == 2
        # a read asked while another is in flight waits for it instead of reading again
        host.invalidate()
        first = asyncio.ensure_future(host.fact(a))
        await asyncio.sleep(0.02)  # `a` is being read now (the connection takes 50 ms)
        assert (await host.fact(a)).stdout == "A\n" and (await first).stdout == "A\n"
        assert len(conn.execs) == 3
        # a write invalidates; prime() records a read made at the end of a batch
        steps = await host.batch([["/bin/true"], a])
        assert len(conn.execs) == 4
        host.prime(a, steps[-1])
        assert (await host.fact(a)).stdout == "A\n" and len(conn.execs) == 4
        await host.fact(b)
        assert len(conn.execs) == 5
    asyncio.run(go())


def test_batch_primes_a_fact_only_when_the_whole_batch_ran_and_no_other_write_overlapped():
    conn = LocalConnection()
    host = Host(conn)
    fact = ["/bin/echo", "F"]

    async def go():
        await host.batch([["/bin/true"], fact], prime=[fact])
        assert (await host.fact(fact)).stdout == "F\n" and len(conn.execs) == 1
        host.invalidate()
        # stopped before the read: nothing primed
        await host.batch([["/bin/false"], fact], check=False, prime=[fact])
        await host.fact(fact)
        assert len(conn.execs) == 3
        host.invalidate()
        # another write finishing while the batch ran: the read may be stale, not kept
        slow = host.batch([["/bin/sleep", "0.2"], fact], prime=[fact])
        other = host.run(["/bin/true"])
        await asyncio.gather(slow, other)
        await host.fact(fact)
        assert len(conn.execs) == 6
    asyncio.run(go())


def test_many_reads_at_once_are_split_into_batches_and_a_lost_connection_fails_every_asker():
    from freebsd_provider import hostctx
    from freebsd_provider.ssh import SSHError
    conn = LocalConnection()
    host = Host(conn)
    n = hostctx.MAX_BATCH + 8

    async def go():
        res = await asyncio.gather(*(host.fact(["/bin/echo", str(i)]) for i in range(n)))
        assert [r.stdout for r in res] == [f"{i}\n" for i in range(n)]
        assert len(conn.execs) == 2

        def broken(*a, **kw):
            raise SSHError("connection lost while running: ...")
        conn.run = broken
        host.invalidate()
        out = await asyncio.gather(host.fact(["/bin/echo", "x"]), host.fact(["/bin/echo", "y"]),
                                   return_exceptions=True)
        assert all(isinstance(e, SSHError) for e in out)
    asyncio.run(go())


def test_lines_split_on_newline_only():
    """FreeBSD prints \\n line ends; a value may hold \\x0b, \\x0c, \\x1c-\\x1e, \\x85 or \\r."""
    from freebsd_provider.host import common, sysrc
    text = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\ri\n\nlast\n"
    assert common.lines(text) == ["a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\ri", "", "last"]
    assert common.lines("") == [] and common.lines("x") == ["x"]
    # a parser keeps such a value whole: an rc.conf value with a form feed
    got = sysrc.parse_dump("ifconfig_bridge0: addm vtnet0\x0cup\nhostname: h\n")
    assert got == {"ifconfig_bridge0": "addm vtnet0\x0cup", "hostname": "h"}
