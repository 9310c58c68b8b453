"""Host.run_steps (host/steps.py) and Host.get (typed facts), run through a real local /bin/sh:
the fake connection executes the joined command line exactly as sshd would."""
from __future__ import annotations

import asyncio

import pytest

from freebsd_provider.errors import CommandFailed, ConnectionLost, NoSuchFile, UnknownVariable
from freebsd_provider.host.factbase import fact, parsing
from freebsd_provider.host.steps import ANSWER, Step, StepResults, batches, read, steps_of
from freebsd_provider.hostctx import Host
from freebsd_provider.ssh import Result

from test_batch_host import LocalConnection  # noqa: E402  (tests/unit is on sys.path)


def run(host, steps, done=None):
    return asyncio.run(host.run_steps(steps, done))


def test_a_sequence_that_succeeds_is_one_exec_and_results_come_by_name():
    conn = LocalConnection()
    done = run(Host(conn), [Step(["/bin/echo", "a"], "first"), Step(["/bin/echo", "b"], "second"),
                            Step(["/bin/echo", "c"], "second")])
    assert len(conn.execs) == 1
    assert done["first"].stdout == "a\n" and done["second"].stdout == "c\n"
    assert [r.stdout for r in done.all("second")] == ["b\n", "c\n"]
    assert done.names() == ["first", "second", "second"] and done.ok("first") and "nope" not in done


def test_a_tolerated_failure_ends_the_exec_and_the_rest_goes_in_the_next():
    conn = LocalConnection()
    steps = [Step(["/bin/echo", "1"], "one"), Step(["/bin/sh", "-c", "exit 3"], "status", ANSWER),
             Step(["/bin/echo", "3"], "three"), Step(["/bin/echo", "4"], "four")]
    done = run(Host(conn), steps)
    assert len(conn.execs) == 2
    assert done["status"].exit_code == 3 and done["four"].stdout == "4\n"


def test_an_untolerated_failure_raises_the_classified_error_carrying_what_ran():
    conn = LocalConnection()
    steps = [Step(["/bin/echo", "1"], "one"), Step(["/bin/cat", "/nonexistent/file"], "cat"),
             Step(["/bin/echo", "never"], "never")]
    done = StepResults()
    with pytest.raises(NoSuchFile) as e:
        run(Host(conn), steps, done)
    assert e.value.result.argv == ["/bin/cat", "/nonexistent/file"]
    assert steps_of(e.value) is done and done.names() == ["one", "cat"] and "never" not in done
    assert len(conn.execs) == 1


def test_tolerate_by_type_only_passes_that_type():
    unknown = ["/bin/sh", "-c", "echo \"sysrc: unknown variable 'x'\" >&2; exit 1", "sysrc"]
    # the program is /bin/sh here, so sysrc's rule does not apply: a plain CommandFailed
    with pytest.raises(CommandFailed):
        run(Host(LocalConnection()), [Step(unknown, "x", tolerate=(UnknownVariable,))])


def test_one_step_with_stdin_per_exec_reads_it_wherever_it_stands():
    conn = LocalConnection()
    steps = [Step(["/bin/echo", "before"], "a"), Step(["/bin/cat"], "cat", stdin="hello\n"),
             Step(["/bin/cat"], "nostdin"), Step(["/bin/cat"], "cat2", stdin="again\n"),
             Step(["/bin/cat"], "after")]
    assert [len(b) for b in batches(steps)] == [3, 2]
    done = run(Host(conn), steps)
    assert len(conn.execs) == 2
    assert done["a"].stdout == "before\n"
    assert done["cat"].stdout == "hello\n" and done["nostdin"].stdout == ""
    assert done["cat2"].stdout == "again\n" and done["after"].stdout == ""


def test_one_line_readers_share_an_exec_with_the_step_reading_all_of_stdin():
    conn = LocalConnection()
    steps = [Step(["/bin/sh", "-c", 'IFS= read -r l; echo "got $l"'], "line", stdin="first\n", stdin_line=True),
             Step(["/bin/echo", "between"], "between"),
             Step(["/bin/cat"], "rest", stdin="all\nof it\n"),
             Step(["/bin/cat"], "more", stdin="next exec\n")]
    assert [len(b) for b in batches(steps)] == [3, 1]
    done = run(Host(conn), steps)
    assert len(conn.execs) == 2
    assert done["line"].stdout == "got first\n" and done["rest"].stdout == "all\nof it\n"
    assert done["more"].stdout == "next exec\n"


def test_a_read_step_primes_its_fact_and_the_next_get_costs_nothing():
    conn = LocalConnection()
    host = Host(conn)
    f = fact(["/bin/echo", "x y"], parsing(str.split), "words")

    async def go():
        await host.run_steps([Step(["/bin/true"], "change"), read(f.argv, "words", primes=f)])
        assert await host.get(f) == ["x", "y"]
        assert len(conn.execs) == 1
        # a later write invalidates it: read again
        await host.run_steps([Step(["/bin/true"], "change")])
        assert await host.get(f) == ["x", "y"]
        assert len(conn.execs) == 3
    asyncio.run(go())


def test_get_many_reads_missing_facts_in_one_exec_and_parsers_raise_typed_errors():
    conn = LocalConnection()
    host = Host(conn)
    a = fact(["/bin/echo", "A"], parsing(str.strip))
    missing = fact(["/bin/cat", "/nonexistent/file"], parsing(str.strip))

    async def go():
        assert await host.get_many(a) == ["A"]
        with pytest.raises(NoSuchFile):
            await host.get_many(a, missing)
    asyncio.run(go())
    assert len(conn.execs) == 2


class LosingConnection(LocalConnection):
    def run(self, argv, **kw):
        self.execs.append(argv)
        raise ConnectionLost("connection lost while running: ...")


def test_a_lost_connection_leaves_the_exec_steps_pending_and_may_have_changed_the_host():
    done = StepResults()
    with pytest.raises(ConnectionLost) as e:
        run(Host(LosingConnection()), [Step(["/bin/true"], "a"), Step(["/bin/true"], "b")], done)
    assert steps_of(e.value) is done and [s.name for s in done.pending] == ["a", "b"]
    assert done.changed()
    only_reads = StepResults(pending=[read(["/bin/true"])])
    assert not only_reads.changed()


def test_changed_counts_only_successful_writes():
    ok = Result(["/bin/true"], "/bin/true", 0, "", "")
    bad = Result(["/bin/false"], "/bin/false", 1, "", "")
    d = StepResults()
    d.add(Step(["/bin/false"], "w"), bad)
    assert not d.changed()
    d.add(read(["/bin/true"]), ok)
    assert not d.changed()
    d.add(Step(["/bin/true"], "w2"), ok)
    assert d.changed()
