"""jail(8) / jail.conf(5) / jls(8) / jexec(8) outputs derived from FreeBSD's sources.

Sources (the newest stored copies; 15.0's own tree was not in the store):
  [JAIL]    HardenedBSD/hardenedBSD usr.sbin/jail/jail.c @b8b5a088 (main, usage, create_jail,
            jailparam_set_note, print_jail/show_jails)
  [CONFIG]  HardenedBSD/hardenedBSD usr.sbin/jail/config.c @bca3c76f (load_config, add_param,
            check_intparams, import_params, include_config, parse_config)
  [COMMAND] fel1x-developer/freebsd-src usr.sbin/jail/command.c @2d614aa2 (next_command,
            finish_command, run_command, check_path)
  [PARSE]   Dr-Deep/HardenedBSD-src usr.sbin/jail/jailparse.y @401050a4 (grammar, yyerror,
            special_param)
  [LEX]     sobomax/freebsd14_vendor usr.sbin/jail/jaillex.l @3f5fdd6c
  [LIBJAIL] HardenedBSD/hardenedBSD lib/libjail/jail.c @1725e7b1 (jailparam_type,
            jailparam_import)
  [STATE]   freebsd/freebsd-src usr.sbin/jail/state.c @6e225b56 (start_state)
  [JLS]     fel1x-developer/freebsd-src usr.sbin/jls/jls.c @2d614aa2
  [JEXEC]   fel1x-developer/freebsd-src usr.sbin/jexec/jexec.c @2d614aa2
"""
from __future__ import annotations

import pytest

from jail_helpers import make_base, write


@pytest.fixture
def host(host):
    make_base(host, "/jails/x")
    return host


@pytest.fixture
def run(run_cmd):
    return run_cmd


def conf(host: str, text: str) -> None:
    write(host, "/etc/jail.conf", text)


JAIL_USAGE = (  # [JAIL] usage()
    "usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n"
    "            -[cmr] param=value ... [command=command ...]\n"
    "       jail [-dqv] [-f file] -[cmr] [jail]\n"
    "       jail [-qv] [-f file] -[rR] ['*' | jail ...]\n"
    "       jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n"
    "            [-n jailname] [-s securelevel]\n"
    "            path hostname ip[,...] command ...\n"
    "       jail [-f file] -e separator\n")


# ----------------------------------------------------------------------------- create/remove

def test_created_removed_and_quiet(host, run):
    """[COMMAND] run_command IP__OP: "created" when verbose >= 0 and j->name; "removed" for
    -r when note_remove (config file used) -- [JAIL] main sets note_remove = docf || ..."""
    conf(host, 'x { path = "/jails/x"; persist; }\n')
    assert run("jail", "-c", "x") == (0, "x: created\n", "")
    assert run("jail", "-c", "x") == (1, "", 'jail: "x" already exists\n')   # jail_quoted_warnx
    assert run("jail", "-r", "x") == (0, "x: removed\n", "")
    assert run("jail", "-q", "-c", "x") == (0, "", "")
    assert run("jail", "-q", "-r", "x") == (0, "", "")
    # [STATE] start_state: a name neither configured nor running
    assert run("jail", "-c", "nosuch") == (1, "", 'jail: "nosuch" not found\n')
    assert run("jail", "-r", "nosuch") == (1, "", 'jail: "nosuch" not found\n')


def test_failed_exec_start_walks_back(host, run):
    """[COMMAND] next_command: after a failure (create_failed) the start list is walked
    backwards, skipping exec.* commands but undoing the jail (IP__OP "removed", since j->name)
    and mount.devfs (umount); finish_command prints "NAME: COMLINE: failed"."""
    conf(host, 'x { path = "/jails/x"; mount.devfs; exec.prestart = "echo pre"; '
               'exec.start = "false"; exec.poststop = "echo never"; }\n')
    assert run("jail", "-c", "x") == (1, "pre\nx: created\nx: removed\n",
                                      "jail: x: false: failed\n")
    rc, out, err = run("jail", "-v", "-c", "x")
    assert rc == 1 and err == "jail: x: false: failed\n"
    assert out.splitlines() == [
        "x: run command: /sbin/mount -t devfs -oruleset=4 . /jails/x/dev",
        "x: run command: echo pre", "pre",
        "x: jail_set(JAIL_CREATE) persist name=x path=/jails/x",     # [JAIL] jailparam_set_note
        "x: created",
        "x: run command in jail: false",
        "x: removed",
        "x: run command: /sbin/umount /jails/x/dev"]
    assert run("jls", "-j", "x")[0] == 1


def test_failed_prestart_creates_nothing(host, run):
    conf(host, 'x { path = "/jails/x"; mount.devfs; exec.prestart = "false"; }\n')
    assert run("jail", "-v", "-c", "x") == (
        1, "x: run command: /sbin/mount -t devfs -oruleset=4 . /jails/x/dev\n"
           "x: run command: false\n"
           "x: run command: /sbin/umount /jails/x/dev\n",
        "jail: x: false: failed\n")


def test_stop_failure_after_removal_keeps_going(host, run):
    """[JAIL] main JF_STOP: only `(j->flags & JF_FAILED) && j->jid > 0` stops the list, so
    after IP__OP removed the jail every remaining command still runs; exit 1."""
    conf(host, 'x { path = "/jails/x"; persist; exec.poststop = "false", "echo after"; '
               'exec.release = "echo rel"; }\n')
    assert run("jail", "-c", "x")[0] == 0
    assert run("jail", "-r", "x") == (1, "x: removed\nafter\nrel\n",
                                      "jail: x: false: failed\n")


def test_cmdline_command_is_the_argv(host, run):
    """[COMMAND] run_command IP_COMMAND: without j->name the values are the argv as given
    (no shell splitting); [JAIL] main: "command=" takes the rest of the arguments."""
    rc, out, err = run("jail", "-c", "name=c", "path=/jails/x", "command=/bin/echo", "a  b", "c")
    assert (rc, out, err) == (0, "a  b c\n", "")


def test_cmdline_name_is_immutable(host, run):
    """[CONFIG] add_param: PF_IMMUTABLE "cannot redefine parameter"; no jail name yet."""
    assert run("jail", "-c", "name=a", "name=b", "path=/", "persist") == (
        1, "", 'jail: cannot redefine parameter "name".\n')


def test_dying_flag_is_deprecated(host, run):
    """[JAIL] main: warnx once for IP_ALLOW_DYING (set by -d)."""
    assert run("jail", "-d", "-c", "name=a", "path=/jails/x", "persist") == (
        0, "", "jail: the 'allow.dying' parameter and '-d' flag are deprecated and have "
               "no effect.\n")


def test_usage(host, run):
    assert run("jail") == (1, "", JAIL_USAGE)
    assert run("jail", "-e", ",", "-c") == (1, "", JAIL_USAGE)   # [JAIL] main eflag


def test_verbose_update_lists_non_rdtun_params(host, run):
    """[JAIL] update_jail: jail_set(JAIL_UPDATE) with jid first and no CTLFLAG_RDTUN param."""
    conf(host, 'x { path = "/jails/x"; persist; host.hostname = "h"; }\n')
    run("jail", "-c", "x")
    assert run("jail", "-v", "-m", "x") == (
        0, "x: jail_set(JAIL_UPDATE) jid=1 name=x persist host.hostname=h\nx: updated\n", "")
    # a command-line jail has no name: nothing printed without -v
    assert run("jail", "-m", "name=x", "host.hostname=h2") == (0, "", "")


def test_sysv_namespaces_change_on_a_running_jail(host, run):
    """sysv_shm.c / sysv_msg.c / sysv_sem.c: SYSCTL_JAIL_PARAM_SYS_NODE(sysvshm, CTLFLAG_RW, ...)
    -- not create-only: `jail -m` gives a running jail its own SysV IPC (PostgreSQL needs it)."""
    assert run("jail", "-c", "name=s", "path=/", "persist")[0] == 0
    assert run("jail", "-m", "name=s", "sysvshm=new", "sysvmsg=new", "sysvsem=new") == (0, "", "")
    assert run("jls", "-j", "s", "sysvshm", "sysvmsg", "sysvsem") == (0, "new new new\n", "")
    # vnet is CTLFLAG_RDTUN: create-only
    rc, _, err = run("jail", "-m", "name=s", "vnet=new")
    assert rc == 1 and err == "jail: vnet cannot be changed after creation\n"


def test_vnet_interface_on_missing_interface(host, run):
    """[COMMAND] IP_VNET_INTERFACE runs "/sbin/ifconfig IF vnet NAME"; ifconfig refuses an
    unknown interface; the failed creation removes the (unnamed) jail silently."""
    assert run("jail", "-c", "name=q", "path=/jails/x", "vnet", "persist",
               "vnet.interface=epair9b") == (
        1, "", "ifconfig: interface epair9b does not exist\n"
               "jail: /sbin/ifconfig epair9b vnet q: failed\n")


def test_nested_jail_eperm_verbose(host, run):
    """kern_jail.c: children.max 0 -> EPERM without errmsg -> libjail "jail_set: %s";
    [JAIL] jailparam_set_note appends ": strerror" to the -v line."""
    assert run("jail", "-c", "name=p", "path=/jails/x", "persist")[0] == 0
    assert run("jexec", "p", "jail", "-v", "-c", "name=c", "persist") == (
        1, "jail_set(JAIL_CREATE) name=c persist: Operation not permitted\n",
        "jail: jail_set: Operation not permitted\n")


# ----------------------------------------------------------------------------- parameters

def test_param_import_errors(host, run):
    """[LIBJAIL] jailparam_import: jailsys / IPv4 / integer messages, all printed by [CONFIG]
    import_params before the jail fails."""
    conf(host, 'x { path = "/jails/x"; persist; vnet = maybe; ip4.addr = foo; '
               'securelevel = high; }\n')
    assert run("jail", "-c", "x") == (1, "", 'jail: x: vnet: unknown jailsys value "maybe"\n'
                                             "jail: x: ip4.addr: not an IPv4 address: foo\n"
                                             'jail: x: securelevel: non-integer value "high"\n')
    # kernel booleans take only true/false or a number (bool_values)
    conf(host, 'x { path = "/jails/x"; persist = yes; }\n')
    assert run("jail", "-c", "x") == (1, "", 'jail: x: persist: unknown boolean value "yes"\n')
    # [CONFIG] check_intparams runs first and stops the jail before import_params
    conf(host, 'x { path = "/jails/x"; persist = yes; exec.timeout = 5s; }\n')
    assert run("jail", "-c", "x") == (1, "", 'jail: x: exec.timeout: non-integer value "5s"\n')


def test_no_prefixed_boolean_spelling(host, run):
    """[CONFIG] equalopts merges allow.nomount with allow.mount; -v and -e print the name as
    spelled; jls -n prints a false boolean as its no-name ([JLS] print_jail)."""
    conf(host, 'exec.clean;\nx { path = "/jails/$name"; allow.nomount; persist; }\n'
               '* { securelevel = 2; }\n')
    assert run("jail", "-e", " ") == (
        0, "name=x exec.clean path=/jails/x allow.nomount persist securelevel=2\n", "")
    assert run("jail", "-v", "-c", "x") == (
        0, "x: jail_set(JAIL_CREATE) name=x path=/jails/x allow.nomount persist securelevel=2\n"
           "x: created\n", "")
    assert run("jls", "-n", "-j", "x", "allow.mount", "securelevel") == (
        0, "allow.nomount securelevel=2\n", "")


# ----------------------------------------------------------------------------- jail.conf

@pytest.mark.parametrize("text,err", [
    # [LEX] unterminated string; the rest of the line is skipped, parsing goes on
    ('x { path = "/jails/x;\n persist; }\n', "/etc/jail.conf line 1: unterminated string"),
    # [PARSE] yyerror "%s line %d: %s: %s" with the offending token
    ('x { path = /jails/x persist; }\n', "/etc/jail.conf line 1: persist: syntax error"),
    ('x {\n path = "/jails/x";\n}\n}\n', "/etc/jail.conf line 4: }: syntax error"),
    ('x { path = "/a" "/b"; }\n', '/etc/jail.conf line 1: "/b": syntax error'),
    ('x { path = "/a";\r\n}\n', "/etc/jail.conf line 1: \r: syntax error"),
    ('x { path = "/a";\n', "/etc/jail.conf: unexpected EOF"),
    # ... then the parser meets EOF inside the block
    ('x { /* open\n', "/etc/jail.conf line 1: unterminated comment\n"
                      "jail: /etc/jail.conf: unexpected EOF"),
    # [PARSE] special_param
    ('.include "$foo.conf";\n',
     "/etc/jail.conf line 1: variables not permitted in '.include' filename"),
    # [CONFIG] parse_config err(1, "%s", cfname)
    ('.include "nosuch.conf";\n', "/etc/nosuch.conf: No such file or directory"),
])
def test_conf_errors(host, run, text, err):
    conf(host, text)
    assert run("jail", "-c", "x") == (1, "", f"jail: {err}\n")


def test_conf_variables_arrays_and_load_warnings(host, run):
    """[CONFIG] load_config: a variable holding several strings expands into several values
    when it is a whole string, is an error inline; warnings of every jail are printed when
    the file is loaded (jail_warnx, "NAME: PARAM: ..."), failing only that jail."""
    conf(host, '$ips = "10.0.0.1", "10.0.0.2";\n'
               'x { path = "/jails/x"; persist; ip4.addr = $ips; }\n'
               'y { host.hostname = "h-$ips"; }\n'
               'z { exec.start = "echo $nope"; }\n')
    assert run("jail", "-v", "-c", "x") == (
        0, "x: jail_set(JAIL_CREATE) name=x path=/jails/x persist ip4.addr=10.0.0.1,10.0.0.2\n"
           "x: created\n",
        "jail: y: host.hostname: array cannot be substituted inline\n"
        'jail: z: exec.start: variable "nope" not found\n')
    assert run("jls", "-j", "x", "ip4.addr")[1] == "10.0.0.1,10.0.0.2\n"


def test_conf_global_block_and_nesting(host):
    """[PARSE] all parameters outside blocks go to ONE "*" jail created where the first of
    them is; a block inside a block is "outer.inner"; [CONFIG] wildcards before the jail
    apply first, its own parameters after."""
    from freebsd_testbed import jailconf
    write(host, "/etc/jail.conf", 'path = "/x";\nfoo { path = "/a"; bar { persist; } }\n'
                                  'path = "/b";\n')
    c = jailconf.load("/etc/jail.conf")
    assert c.jails == ["foo", "foo.bar"]
    assert c.resolve("foo")["path"] == ["/a"]
    assert c.resolve("foo.bar")["path"] == ["/b"]
    assert list(c.resolve("foo.bar")) == ["name", "path", "persist"]


def test_conf_lexer_details(host):
    """[LEX]: "#" and "//" end a word; $var names have no dots; single quotes process
    escapes but not variables; a lone "$" is literal."""
    from freebsd_testbed import jailconf
    write(host, "/etc/jail.conf",
          '$a = "A";\nx {\n p1 = foo#comment\n;\n p2 = $a.b;\n p3 = \'x\\ty $a\';\n'
          ' p4 = "cost $ 5";\n p5 = /u//c\n;\n}\n')
    p = jailconf.load("/etc/jail.conf").resolve("x")
    assert p["p1"] == ["foo"]
    assert p["p2"] == ["A.b"]
    assert p["p3"] == ["x\ty $a"]
    assert p["p4"] == ["cost $ 5"]
    assert p["p5"] == ["/u"]


# ----------------------------------------------------------------------------- jls / jexec

def test_jls_usage_and_empty_values(host, run):
    """[JLS] main: xo_errx(1, "usage: ...") adds "jls: "; special_print: an empty array is
    "-" (plain), nothing (-n) or "" (-q); quoted_print: an empty string is always \"\"."""
    assert run("jls", "-Z") == (1, "", "jls: illegal option -- Z\n"
                                       "jls: usage: jls [-dhNnqv] [-j jail] [param ...]\n")
    run("jail", "-c", "name=x", "path=/jails/x", "persist")
    assert run("jls", "-j", "x", "host.domainname", "ip4.addr") == (0, '"" -\n', "")
    assert run("jls", "-n", "-j", "x", "host.domainname", "ip4.addr") == (
        0, 'host.domainname="" ip4.addr=\n', "")
    assert run("jls", "-q", "-j", "x", "ip4.addr") == (0, '""\n', "")
    assert run("jls", "-j", "nosuch") == (1, "", 'jls: jail "nosuch" not found\n')


def test_jexec_errors(host, run):
    """[JEXEC] get_user_info: errx(1, "%s: no such user"); jail_getid's errmsg."""
    run("jail", "-c", "name=x", "path=/jails/x", "persist")
    assert run("jexec", "-u", "nobody2", "x", "true") == (1, "", "jexec: nobody2: no such user\n")
    assert run("jexec", "-U", "nobody2", "x", "true") == (1, "", "jexec: nobody2: no such user\n")
    assert run("jexec", "7", "true") == (1, "", "jexec: jail 7 not found\n")
