"""Property-based tests of the validators and of the one quoting point."""
from __future__ import annotations

import shlex

from hypothesis import example, given, settings, strategies as st

from freebsd_provider.host import common, sysrc, zfs
from freebsd_provider.ssh import join_argv

METACHARS = set(";|&$`<>\\\"'()*?[]{}!~#\n\r\t\x00 ")
anytext = st.text(max_size=80)


@settings(max_examples=400)
@given(st.lists(st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s), min_size=1, max_size=6))
def test_join_argv_round_trips_through_sh_word_splitting(argv):
    assert shlex.split(join_argv(argv)) == argv


@settings(max_examples=400)
@given(anytext)
def test_accepted_jail_names_are_inert(name):
    if common.jail_name_error(name) is None:
        assert not (set(name) & METACHARS) and not name.startswith("-") and not name.isdigit()
        assert len(name) <= 63 and name.isascii()


@settings(max_examples=400)
@given(anytext)
def test_accepted_interface_names_are_inert(name):
    if common.interface_name_error(name) is None:
        assert name.isascii() and name.isalnum() and name[0].isalpha() and len(name) <= 15


@settings(max_examples=400)
@given(anytext)
def test_accepted_paths_are_absolute_and_plain(path):
    if common.abs_path_error(path) is None:
        assert path.startswith("/") and "\n" not in path and "\x00" not in path
        assert ".." not in path.split("/")


@settings(max_examples=400)
@given(anytext)
@example("_")
@example("__")
@example("_9")
def test_accepted_sysrc_names_and_values(text):
    if sysrc.name_error(text) is None:
        assert text.replace("_", "").isalnum() and not text[0].isdigit()
    if sysrc.value_error(text) is None:
        assert not (set(text) & set('\x00\n\r"\\`$'))


@settings(max_examples=400)
@given(anytext)
def test_accepted_zfs_names(text):
    name = "zroot/" + text
    if zfs.dataset_name_error(name) is None:
        assert not (set(text) & (METACHARS - {" "})) and "@" not in text and not text.endswith("/")
        assert all(p not in (".", "..", "") for p in text.split("/"))


@settings(max_examples=300)
@given(st.text(max_size=40), st.text(max_size=40))
def test_accepted_zfs_property_values_have_no_line_breaks(prop, value):
    if zfs.property_name_error(prop) is None and zfs.property_value_error(prop, value) is None:
        assert "\n" not in value and "\t" not in value and "\x00" not in value


_word = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_word, min_size=1, max_size=4), min_size=1, max_size=4))
def test_a_batch_delivers_every_word_literally_and_keeps_each_commands_output(words):
    # Host.batch's script through a real /bin/sh: command i prints its own words, NUL-separated
    # (printf %s\0); the parsed steps give back exactly those words, command by command, and
    # nothing a word contains (quotes, markers, newlines, $(...)) runs or splits a step.
    import subprocess

    from freebsd_provider.host import batch
    nonce = "0123abcd0123abcd"
    argvs = [["printf", "%s\\0", *w] for w in words]
    script = batch.script(argvs, nonce, join_argv)
    p = subprocess.run(["/bin/sh", "-c", join_argv(script)], capture_output=True, env={"PATH": "/usr/bin:/bin"})
    steps = batch.parse(p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode(), nonce)
    assert [s.exit_code for s in steps] == [0] * len(words)
    assert [s.stdout.split("\x00")[:-1] for s in steps] == words
