"""The host-side journal (host/journal.py): builders, parser, URN markers; the scripts run by a
real /bin/sh against a temporary directory (the directory is a positional parameter)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import given, strategies as st

from freebsd_provider.host import jail, journal

URN = "urn:pulumi:dev::freebsd-jails::freebsd:index:Sysrc::jail-enable"


def run(argv, d, stdin=None):
    """Run a journal argv with its directory ($1) swapped for ``d``."""
    assert argv[:2] == ["/bin/sh", "-c"] and argv[4] == journal.DIR
    return subprocess.run([*argv[:4], d, *argv[5:]], capture_output=True, text=True, check=False, input=stdin)


def put(d, rid, state, t):
    return run(journal.write(URN, rid), d, journal.record_line(URN, rid, state, t))


def test_builders_keep_values_out_of_the_script():
    w = journal.write(URN, "jail_enable")
    f = journal.forget(URN, "jail_enable")
    r = list(journal.records().argv)
    for argv in (w, f, r):
        assert argv[:2] == ["/bin/sh", "-c"] and argv[3:5] == ["sh", journal.DIR]
        assert URN not in " ".join(argv)
    assert w[5:] == f[5:] == [journal.file_name(URN, "jail_enable")]  # the record is not in argv
    line = journal.record_line(URN, "jail_enable", {"previousValue": "NO"}, 1765432100.5)
    assert line.endswith("\n") and line.count("\n") == 1 and line.isascii()
    assert json.loads(line) == {"urn": URN, "id": "jail_enable", "state": {"previousValue": "NO"},
                                "t": 1765432100.5}
    # one file per URN and id: a replacement's new object does not overwrite the old one's record
    assert journal.file_name(URN, "a") != journal.file_name(URN, "b")


def test_write_read_forget_with_a_real_shell(tmp_path):
    d = str(tmp_path / "pulumi-freebsd")
    assert run(list(journal.records().argv), d).stdout == ""  # no directory: no record, exit 0
    for i, (rid, t) in enumerate((("one", 1.0), ("two", 2.0))):
        r = put(d, rid, {"n": i, "text": "a\nb\u2028c"}, t)
        assert r.returncode == 0, r.stderr
    assert oct(os.stat(d).st_mode & 0o777) == "0o700"
    got = journal.parse(run(list(journal.records().argv), d).stdout)
    assert [(x.id, x.state) for x in got[URN]] == [("two", {"n": 1, "text": "a\nb\u2028c"}),
                                                    ("one", {"n": 0, "text": "a\nb\u2028c"})]
    assert journal.latest(got, URN).id == "two" and journal.latest(got, "urn:other") is None
    put(d, "two", {"n": 9}, 3.0)  # rewritten in place
    assert run(journal.write(URN, "two"), d, "").returncode != 0  # no record on stdin: nothing written
    assert journal.latest(journal.parse(run(list(journal.records().argv), d).stdout), URN).state == {"n": 9}
    assert run(journal.forget(URN, "one"), d).returncode == 0
    assert os.path.isdir(d)
    assert run(journal.forget(URN, "two"), d).returncode == 0
    assert not os.path.exists(d)  # the last record takes the directory along
    assert run(journal.forget(URN, "two"), d).returncode == 0  # nothing to forget: still 0


def test_parse_skips_what_is_not_a_record():
    good = json.dumps({"urn": URN, "id": "x", "state": {}, "t": 5})
    text = "\n".join(["garbage", "{\"urn\": 1}", "[1]", good[:-3], "", good, json.dumps({"urn": URN, "id": 3})])
    got = journal.parse(text)
    assert [r.id for r in got[URN]] == ["x"]


@given(st.text(min_size=1, max_size=80))
def test_comment_marker_round_trips_any_urn_on_one_line(urn):
    line = journal.comment_line(urn)
    assert len(line.split("\n")) == 1 and (line.isascii() or urn in line)
    assert journal.urn_of_comment(f"# header\n{line}\nrest {{\n") == urn


def test_comment_marker_only_among_the_leading_comments():
    line = journal.comment_line(URN)
    assert journal.urn_of_comment(f"{line}\n") == URN
    assert journal.urn_of_comment(f"webserver {{\n{line}\n}}\n") is None
    assert journal.urn_of_comment("# just a header\n") is None
    assert journal.urn_of_comment("") is None


def test_jail_conf_carries_the_marker_and_still_parses():
    spec = jail.JailSpec(name="webserver", path="/jails/containers/webserver", bridge="bridge0", unit=1,
                         addresses=["192.168.1.201/24"], urn=URN)
    text = jail.render_conf(spec)
    assert text.split("\n")[:2] == [jail.HEADER, journal.COMMENT + URN]
    assert journal.urn_of_comment(text) == URN
    name, params = jail.parse_conf(text)
    back = jail.spec_from_params(name, params)
    back.urn = journal.urn_of_comment(text)
    assert jail.render_conf(back) == text
    # a file written before markers reads back without one, and renders as it is
    spec.urn = None
    old = jail.render_conf(spec)
    assert journal.COMMENT not in old and journal.urn_of_comment(old) is None


@pytest.mark.parametrize("urn", [URN, "urn:pulumi:dev::p::freebsd:index:BaseSystem::base\nx=1"])
def test_base_system_marker_keeps_the_urn_on_one_line(urn):
    from freebsd_provider.host import fetch
    text = fetch.marker_text("15.0-RELEASE", "amd64", ["base.txz"], fetch.DEFAULT_MIRROR, urn)
    lines = text.split("\n")
    assert len(lines) == 6 and lines[-1] == ""
    value = [x for x in lines if x.startswith("urn=")][0][len("urn="):]
    assert journal.urn_of_comment(journal.COMMENT + value) == urn


def test_every_resource_says_how_it_survives_a_crash():
    from freebsd_provider.resources import RESOURCES
    from freebsd_provider.schema import render as render_schema
    schema = json.loads(render_schema())
    for r in RESOURCES:
        assert r.crash_safety in ("journal", "marker", "none"), r.token
        assert len(r.crash_note) > 100, r.token
        desc = schema["resources"][r.token]["description"]
        assert "## After a crash" in desc and r.crash_note in desc
        # a marker resource names its marker; a journal one, the journal
        assert (journal.DIR in r.crash_note) == (r.crash_safety == "journal"), r.token


@given(st.text(min_size=1, max_size=60))
def test_urn_encoding_is_one_printable_line_and_round_trips(urn):
    v = journal.encode_urn(urn)
    assert v.isprintable() and "\t" not in v and len(v.split("\n")) == 1
    assert journal.decode_urn(v) == urn


def test_zfs_marker_counts_only_where_it_is_local():
    """`zfs get` output of three snapshots: the marker set on the snapshot (local), one inherited
    from its dataset (the dataset's creator, not the snapshot's), none ("-")."""
    import pathlib
    from freebsd_provider.host import zfs
    case = json.loads((pathlib.Path(__file__).parent / "fixtures" / "zfs_snapshot" /
                       "get_snapshots_marker.json").read_text())
    got = {name: ds.urn_marker() for name, ds in zfs.parse_get(case["output"]).items()}
    assert got == {"zroot/jails/templates/base@15.0-RELEASE":
                   "urn:pulumi:dev::freebsd-jails::freebsd:index:ZfsSnapshot::template-snapshot",
                   "zroot/jails/containers/webserver@hand": None, "zroot/old@x": None}
