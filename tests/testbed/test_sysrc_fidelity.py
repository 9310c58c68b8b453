"""sysrc(8) fidelity against usr.sbin/sysrc/sysrc and sysrc.subr (f_sysrc_set / f_sysrc_delete
file handling, option scanning, argument validation order).  In-process, like test_sysrc.py."""
from __future__ import annotations

import os

from freebsd_testbed import hoststate


def _path(p: str) -> str:
    return hoststate.hostpath(p)


def _write(p: str, text: str) -> None:
    with open(_path(p), "w") as f:
        f.write(text)


def _read(p: str) -> str:
    with open(_path(p)) as f:
        return f.read()


def test_x_leaves_an_empty_file_when_nothing_is_left(tool):
    # f_sysrc_delete: awk prints every kept record; no record left -> 0-byte file
    _write("/etc/rc.conf", 'foo="1"\n')
    assert tool("sysrc", "-x", "foo") == (0, "", "")
    assert _read("/etc/rc.conf") == ""
    assert tool("sysrc", "foo") == (1, "", "sysrc: unknown variable 'foo'\n")


def test_x_removes_every_assignment_in_every_file(tool):
    _write("/etc/rc.conf", '# c\nfoo="1"\n  foo=2\nbar="x"\n#foo="3"\n')
    _write("/etc/rc.conf.local", 'foo="4"')          # no final newline: awk adds one
    assert tool("sysrc", "-x", "foo") == (0, "", "")
    assert _read("/etc/rc.conf") == '# c\nbar="x"\n#foo="3"\n'
    assert _read("/etc/rc.conf.local") == ""
    # a variable only in the defaults: known, nothing to delete, exit 0
    assert tool("sysrc", "-x", "jail_enable") == (0, "", "")
    assert tool("sysrc", "jail_enable") == (0, "jail_enable: NO\n", "")
    # unknown: the query branch's error, status 1, later arguments still processed
    assert tool("sysrc", "-x", "nosuch", "bar") == (1, "", "sysrc: unknown variable 'nosuch'\n")
    assert "bar" not in _read("/etc/rc.conf")
    # name=value with -x: the value is ignored, no unknown check
    assert tool("sysrc", "-x", "nosuch=1") == (0, "", "")


def test_x_with_D_uses_rc_conf_files(tool):
    # for file in ${RC_CONFS:-$( f_sysrc_get rc_conf_files )}: -D sets RC_CONFS to NULL
    _write("/etc/rc.conf", 'foo="1"\nbar="2"\n')
    assert tool("sysrc", "-D", "-x", "foo") == (1, "", "sysrc: unknown variable 'foo'\n")
    assert tool("sysrc", "-D", "-x", "jail_enable") == (0, "", "")
    assert _read("/etc/rc.conf") == 'foo="1"\nbar="2"\n'


def test_x_incompatible_with_a(tool):
    assert tool("sysrc", "-x", "-a") == \
        (1, "", "sysrc: `-x' option incompatible with `-a'/`-A' options (use `-X' to override)\n")
    assert tool("sysrc", "-c", "-A") == (1, "", "sysrc: `-c' option incompatible with `-a'/`-A' options\n")


def test_set_appends_without_adding_a_newline(tool):
    # f_sysrc_set, variable not found: echo "$varname=\"$new_value\"" >> "$file"
    _write("/etc/rc.conf", 'a="1"')
    # ... and sh then reads `a="1"b="2"' as one assignment: a is `1b=2', b stays unset
    assert tool("sysrc", "b=2") == (0, "b:  -> \n", "")
    assert _read("/etc/rc.conf") == 'a="1"b="2"\n'
    assert tool("sysrc", "-n", "a") == (0, "1b=2\n", "")


def test_set_in_place_drops_leading_empty_lines(tool):
    # new_contents=$( tail -r $file ) ... echo "$new_contents" | tail -r: the command
    # substitutions strip the reversed text's trailing newlines (the file's leading ones)
    _write("/etc/rc.conf", '\n\nfoo="1"\n\n')
    assert tool("sysrc", "foo=2") == (0, "foo: 1 -> 2\n", "")
    assert _read("/etc/rc.conf") == 'foo="2"\n\n'
    # the last assignment is the one rewritten, keeping its quoting and trailing comment
    _write("/etc/rc.conf", "foo='1'\nfoo='2' # two\n")
    assert tool("sysrc", "foo=3") == (0, "foo: 2 -> 3\n", "")
    assert _read("/etc/rc.conf") == "foo='1'\nfoo='3' # two\n"


def test_help_and_version_are_found_anywhere(tool):
    # for arg in "$@": --help/--version are seen even as an option's argument, not after --
    rc, out, err = tool("sysrc", "-f", "--help")
    assert rc == 1 and out == "" and err.startswith("Usage: sysrc [OPTIONS] name[[+|-]=value] ...\nOPTIONS:\n")
    assert tool("sysrc", "-f", "/x", "--version") == (1, "7.2 Mar-4,2024\n", "")
    assert tool("sysrc", "--", "--version")[0] == 1
    assert tool("sysrc", "--", "--version")[1] == ""


def test_validation_comes_before_the_other_checks(tool):
    # "Validate arguments" precedes the -x/-a, -c and -j/-R handling
    assert tool("sysrc", "-j", "nosuch", "a.b=1") == \
        (1, "", "sysrc: a.b: name contains characters not allowed in shell\n")
    assert tool("sysrc", "-R", "/nonexistent", "a.b") == \
        (1, "", "sysrc: a.b: name contains characters not allowed in shell\n")
    assert tool("sysrc", "-R", "/nonexistent", "x") == \
        (1, "", "chroot: /nonexistent: No such file or directory\n")


def test_empty_name(tool):
    # f_sysrc_set "" and f_sysrc_delete "" return FAILURE silently; a query's unknown check
    # is f_sysrc_get "?" ("${?}", always set), so it prints the separator only
    assert tool("sysrc", "=x") == (1, "", "")
    assert tool("sysrc", "") == (0, ": \n", "")
    assert tool("sysrc", "-n", "") == (0, "\n", "")
    assert tool("sysrc", "-x", "") == (1, "", "")
    assert os.path.exists(_path("/etc/rc.conf"))


FULL_DEFAULTS_TAIL = '''
: ${_localbase:="/usr/local"}
local_startup="${_localbase}/etc/rc.d" # startup script dirs.
rc_conf_files="/etc/rc.conf /etc/rc.conf.local"
zz_enable="NO"

if [ -z "${source_rc_confs_defined}" ]; then
	source_rc_confs_defined=yes
	source_rc_confs() {
		local i sourced_files
		for i in ${rc_conf_files}; do
			case ${sourced_files} in
			*:$i:*)
				;;
			*)
				sourced_files="${sourced_files}:$i:"
				if [ -r $i ]; then
					. $i
				fi
				;;
			esac
		done
	}
fi
'''


def test_defaults_code_like_freebsds(tool):
    """FreeBSD's own /etc/defaults/rc.conf has `: ${_localbase:=...}' and the
    source_rc_confs() function: the function body's assignments are not variables of -A."""
    os.chmod(_path("/etc/defaults/rc.conf"), 0o644)
    _write("/etc/defaults/rc.conf", "#!/bin/sh\n" + FULL_DEFAULTS_TAIL)
    _write("/etc/rc.conf", 'zz_enable="YES"\n')
    assert tool("sysrc", "local_startup") == (0, "local_startup: /usr/local/etc/rc.d\n", "")
    rc, out, err = tool("sysrc", "-A")
    assert (rc, err) == (0, "")
    assert out == ("_localbase: /usr/local\nlocal_startup: /usr/local/etc/rc.d\n"
                   "rc_conf_files: /etc/rc.conf /etc/rc.conf.local\n"
                   "source_rc_confs_defined: yes\nzz_enable: YES\n")
    assert tool("sysrc", "-a") == (0, "zz_enable: YES\n", "")


def test_getopts_messages(tool):
    # bin/sh/options.c getopts(): "Illegal option -%c" / "No arg for -%c option", no prefix;
    # then the script's `\?) usage' / die
    rc, out, err = tool("sysrc", "-z", "x")
    assert (rc, out) == (1, "") and err == ("Illegal option -z\nUsage: sysrc [OPTIONS] name[[+|-]=value] ...\n"
                                            "Try `sysrc --help' for more information.\n")
    rc, out, err = tool("sysrc", "-f")
    assert (rc, out) == (1, "") and err.startswith("No arg for -f option\nUsage: sysrc")


def test_values_go_through_echo(tool):
    # f_sysrc_get: eval echo '"${name}"' -- sh's echo takes a lone -n / -e as its option
    _write("/etc/rc.conf", 'a_flags="-n"\nb_flags="-e"\nc_flags="-s"\n')
    assert tool("sysrc", "a_flags", "b_flags", "c_flags") == \
        (0, "a_flags: \nb_flags: \nc_flags: -s\n", "")
    assert tool("sysrc", "a_flags=-x") == (0, "a_flags:  -> -x\n", "")


def test_set_into_an_uncreatable_file(tool):
    # echo ... >> "$file" fails: sh's "cannot create" (with $0), f_sysrc_set fails, no line
    rc, out, err = tool("sysrc", "-f", "/nonexistent/dir/x.conf", "foo=1")
    assert (rc, out) == (1, "")
    assert err == "/usr/sbin/sysrc: cannot create /nonexistent/dir/x.conf: No such file or directory\n"
    # -N prints the name before f_sysrc_set runs
    rc, out, err = tool("sysrc", "-N", "-f", "/nonexistent/dir/x.conf", "foo=1")
    assert (rc, out) == (1, "foo\n") and "cannot create" in err
