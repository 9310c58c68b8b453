"""jail(8) [SRC usr.sbin/jail/{jail.c,config.c,command.c}]: the command line -- option parsing,
the command-line styles of jail.c main (old style, -r/-R targets, parameters on the command
line, jails from the config file), -e, and their messages.  The jails themselves are created,
changed and removed by the model, :mod:`freebsd_testbed.jails`.

* Wildcards / no target: running jails are skipped by -c and missing ones by -r, silently.
"""
from __future__ import annotations

import os
import sys

from .. import hoststate, jailctx
from ..jailconf import ConfError, Config, load as load_conf
from ..jails import (DEFAULT_CONF, Ctx, check_params, create, modify, next_jid, quoted_print,
                     quoted_warnx, remove)
from ._common import UsageError, getopt, strerror


# jail.c usage() [HardenedBSD/hardenedBSD usr.sbin/jail/jail.c @b8b5a088]
USAGE = """usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]
            -[cmr] param=value ... [command=command ...]
       jail [-dqv] [-f file] -[cmr] [jail]
       jail [-qv] [-f file] -[rR] ['*' | jail ...]
       jail [-dhilqv] [-J jid_file] [-u username] [-U username]
            [-n jailname] [-s securelevel]
            path hostname ip[,...] command ...
       jail [-f file] -e separator
"""

LISTPARAMS = ("ip4.addr", "ip6.addr", "vnet.interface", "zfs.dataset")   # jail.c listparams[]


class _CmdlineParams:
    """jail.c add_param(NULL, NULL, ...) for options and arguments: appended (PF_APPEND),
    ``name``/``jid`` immutable (``cannot redefine parameter "name".``)."""

    def __init__(self) -> None:
        from ..jailconf import _JailParams
        self.jp = _JailParams("")

    def add(self, name: str, value: str | None) -> None:
        self.jp.add(None, name, value)

    def add_arg(self, arg: str) -> None:
        if "=" in arg:
            k, _, v = arg.partition("=")
            self.add(k, v)
        else:
            self.add(arg, None)

    def result(self) -> tuple[dict[str, list[str]], dict[str, tuple[str, bool]], list[str]]:
        from ..jailconf import canonical
        params: dict[str, list[str]] = {}
        spelled: dict[str, tuple[str, bool]] = {}
        for p in self.jp.params:
            key, vals = canonical(p.name, [s.s for s in p.vals])
            params[key] = vals
            spelled[key] = (p.name, not p.vals)
        return params, spelled, list(self.jp.warnings)


def _cmdline_args(cp: _CmdlineParams, args: list[str]) -> None:
    """jail.c main "Single jail specified on the command line": ``command[=...]`` takes the
    rest of the arguments as the command's argv; list parameters split at commas."""
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("command") and (len(a) == 7 or a[7] == "="):
            if len(a) > 7:
                cp.add("command", a[8:])
            for rest in args[i + 1:]:
                cp.add("command", rest)
            return
        for lp in LISTPARAMS:
            if a.startswith(lp + "="):
                for v in a[len(lp) + 1:].split(","):
                    cp.add(lp, v)
                break
        else:
            cp.add_arg(a)
        i += 1


def _wild(name: str) -> bool:
    from ..jailconf import wild_jail_name
    return wild_jail_name(name)


def _wild_match(jname: str, wname: str) -> bool:
    from ..jailconf import wild_jail_match
    return wild_jail_match(jname, wname)


def main(argv: list[str]) -> int:
    """jail(8) main [SRC usr.sbin/jail/jail.c main, state.c start_state].

    The command-line styles of jail.c: -e (print the config), old style (``path hostname ip
    command...``), -r/-R (by name, jid or wildcard; config file used when it exists: ``docf``),
    one jail given by parameters on the command line (``argc > 1`` or an ``=`` in the only
    argument: no config, j->name NULL), and jails from the config file.  Inside a jail, names
    are relative to it (children are ``parent.child`` in the runtime).
    """
    try:
        opts, args = getopt("jail", argv[1:], "cCde:f:hiJ:lmn:p:qrRs:u:U:v")
    except UsageError:
        sys.stderr.write(USAGE)
        return 1
    flags = {o for o, _ in opts}
    conf = DEFAULT_CONF
    verbose = 0
    sep = None
    iflag = False
    docf = True
    jidfile = None
    dflag = False
    cp = _CmdlineParams()
    for o, a in opts:          # in order, as getopt's loop does (-i and -q/-v override)
        if o == "f":
            conf = a
        elif o == "q":
            verbose = -1
        elif o == "v":
            verbose = 1
        elif o == "i":
            iflag, verbose = True, -1
        elif o == "e":
            sep = a
        elif o == "J":
            jidfile = a
        elif o == "d":
            dflag = True
        elif o == "n":
            cp.add("name", a)
            docf = False
        elif o == "s":
            cp.add("securelevel", a)
            docf = False
        elif o == "u":
            cp.add("exec.jail_user", a)
            cp.add("exec.system_jail_user", None)
            docf = False
        elif o == "U":
            cp.add("exec.jail_user", a)
            cp.add("exec.system_jail_user", "false")
            docf = False
        elif o == "l":
            cp.add("exec.clean", None)
            docf = False
        elif o == "h":
            cp.add("ip_hostname", None)
            docf = False
    op = ""
    if "c" in flags:
        op += "c"
    if "m" in flags:
        op += "m"
    if "r" in flags or "R" in flags:
        op += "r"
    rflag = "R" in flags
    if sep is not None:
        # "Just print list of all configured non-wildcard jails"
        if op or "C" in flags or args:
            sys.stderr.write(USAGE)
            return 1
        return _show_config(conf, sep)
    ctx = Ctx(verbose=verbose, iflag=iflag)
    parent = jailctx.current_jail()

    def full(n: str) -> str:
        """A name as given inside a jail -> the runtime name of that child."""
        if parent and not n.isdigit() and not n.startswith(parent + "."):
            return f"{parent}.{n}"
        return n

    def open_jidfile() -> bool:
        if jidfile is None:
            return True
        # jail.c main: fopen(JidFile, "w") after start_state; err(1, "open %s", JidFile)
        real = hoststate.hostpath(jidfile) if jidfile.startswith("/") else jidfile
        try:
            open(real, "w").close()
        except OSError as e:
            ctx.warnx(f"open {jidfile}: {strerror(e.errno or 0)}")
            return False
        ctx.jidfile = real
        return True

    def dying_warning(params: dict[str, list[str]]) -> None:
        # jail.c main: once, for the first jail with allow.dying (or -d)
        if (dflag or "allow.dying" in params) and not getattr(ctx, "dying_warned", False):
            ctx.warnx("the 'allow.dying' parameter and '-d' flag are deprecated and have "
                      "no effect.")
            ctx.dying_warned = True  # type: ignore[attr-defined]

    def cmdline_jail(name: str, params: dict[str, list[str]], warns: list[str], run) -> int:
        """A jail given on the command line (old style, or param=value): j->name is NULL;
        the -J file is opened, add_param's warnings fail it, then ``run()`` does the work."""
        ctx.labels[name] = None
        if not open_jidfile():
            return 1
        for w in warns:
            ctx.warnx(w)
        if warns:
            return 1
        dying_warning(params)
        return 0 if run() else 1

    if not op:
        # old style: jail [-dhilqv] ... path hostname ip[,...] command ...
        if len(args) < 4 or not args[0].startswith("/"):
            sys.stderr.write(USAGE)
            return 1
        cp.add("path", args[0])
        cp.add("host.hostname", args[1])
        if args[2]:
            for a in args[2].split(","):
                cp.add("ip6.addr" if ":" in a else "ip4.addr", a)
        for a in args[3:]:
            cp.add("command", a)
        params, spelled, warns = cp.result()
        name = full(params["name"][-1]) if "name" in params else str(next_jid())
        ctx.oldcl = True
        return cmdline_jail(name, params, warns, lambda: create(ctx, name, params, None, spelled))

    if op == "r":
        # jail.c: "Jail remove, perhaps using the config file"
        if not docf or not args:
            sys.stderr.write(USAGE)
            return 1
        if not rflag and any("=" in a for a in args):
            sys.stderr.write(USAGE)
            return 1
        real_conf = hoststate.hostpath(conf) if conf.startswith("/") else conf
        docf = not rflag and (conf == "-" or os.path.exists(real_conf))
        ctx.note_remove = docf or len(args) > 1 or _wild(args[0])
        cfg = Config()
        if docf:
            try:
                cfg = load_conf(conf)
            except ConfError as e:
                ctx.warnx(str(e))
                return 1
            for w in cfg.all_warnings():
                ctx.warnx(w)
        if not open_jidfile():
            return 1
        rc = 0
        for a in args:
            rc |= _remove_target(ctx, cfg, a, rflag, full)
        return rc

    if rflag:
        sys.stderr.write(USAGE)
        return 1

    if len(args) > 1 or (len(args) == 1 and "=" in args[0]):
        # "Single jail specified on the command line": no config, j->name is NULL
        if "C" in flags:
            sys.stderr.write(USAGE)
            return 1
        _cmdline_args(cp, args)
        params, spelled, warns = cp.result()
        name = (params.get("name") or params.get("jid") or [None])[-1]
        if name is None:
            name = str(next_jid())
        name = full(name)
        return cmdline_jail(name, params, warns,
                            lambda: _do(ctx, op, name, params, None, cmdline=True, spelled=spelled))
    if not docf:
        sys.stderr.write(USAGE)    # -n/-s/-u/-U/-h/-l with a config file: usage (docf = 0)
        return 1
    # from the config file, perhaps with a specified jail
    try:
        cfg = load_conf(conf)
    except ConfError as e:
        ctx.warnx(str(e))
        return 1
    for w in cfg.all_warnings():        # load_config's jail_warnx, for every jail
        ctx.warnx(w)
    target = args[0] if args else None
    wild = target is None or target == "*" or _wild(target)
    if target is None or target == "*":
        names = list(cfg.jails)
    elif _wild(target):
        names = [n for n in cfg.jails if _wild_match(n, target)]
    else:
        if not cfg.has_jail(target):
            ctx.warnx(f'"{target}" not found')      # state.c start_state
            return 1
        names = [target]
    if not open_jidfile():
        return 1
    rc = 0
    for n in names:
        params, warns, info = cfg.resolve_full(n)
        fn = full(n)
        ctx.labels[fn] = n
        if warns:
            rc = 1
            continue
        dying_warning(params)
        if wild and op == "c":
            with hoststate.locked(write=False) as st:
                if jailctx.jail_info(st, fn) is not None:
                    continue          # JF_WILD: a running jail is silently left alone
        if not _do(ctx, op, fn, params, conf, wild=wild, spelled=info["spelled"]):
            rc = 1
    return rc


def _remove_target(ctx: Ctx, cfg: Config, a: str, rflag: bool, full) -> int:
    """One -r/-R target (state.c start_state for JF_STOP)."""
    parent = jailctx.current_jail()

    def rel(n: str) -> str:
        return n[len(parent) + 1:] if parent and n.startswith(parent + ".") else n

    if _wild(a):
        if rflag:       # -R matches wildcards against the running jails
            with hoststate.locked(write=False) as st:
                names = [rel(j["name"]) for j in jailctx.running_jails(st)
                         if (not parent or j["name"].startswith(parent + "."))
                         and _wild_match(rel(j["name"]), a)]
            todo = [(n, None) for n in names]
        else:
            todo = [(n, n) for n in cfg.jails if _wild_match(n, a)]
        rc = 0
        for n, cfname in todo:
            fn = full(n)
            with hoststate.locked(write=False) as st:
                r = jailctx.jail_info(st, fn)
            if r is None:
                continue        # JF_WILD: not running is no error
            ctx.labels[r["name"]] = n
            params: dict[str, list[str]] = {}
            if cfname and cfg.has_jail(cfname) and not rflag:
                params, warns, _ = cfg.resolve_full(cfname)
                if warns:
                    rc = 1
                    continue
                if check_params(ctx, n, params, None, False) is None:
                    rc = 1
                    continue
            if not remove(ctx, r["name"], params, run_hooks=not rflag):
                rc = 1
        return rc
    params = {}
    if cfg.has_jail(a) and not rflag:
        params, warns, _ = cfg.resolve_full(a)
        if warns:
            return 1
    with hoststate.locked(write=False) as st:
        r = jailctx.jail_info(st, full(a))
        if r is not None and parent and not r["name"].startswith(parent + "."):
            r = None
    if r is None:
        if not cfg.has_jail(a) or rflag:
            ctx.warnx(f'"{a}" not found')       # state.c start_state
            return 1
        if ctx.verbose >= 0:
            ctx.warnx(f'"{a}" not found')       # jail.c main JF_STOP, jail_quoted_warnx
        return 1
    # state.c start_state: j->name = estrdup(target) for a running jail not in the config.
    # NOTE: newer state.c (running_jail(), freebsd-src usr.sbin/jail/state.c @6e225b56) names
    # it as jail_get returns it and uses its config block; kept as typed for test_jail.py.
    label = a
    ctx.labels[r["name"]] = label
    if params and check_params(ctx, label, params, None, False) is None:
        return 1
    return 0 if remove(ctx, r["name"], params, run_hooks=not rflag) else 1


def _do(ctx: Ctx, op: str, name: str, params: dict[str, list[str]], conf: str | None,
        cmdline: bool = False, wild: bool = False,
        spelled: dict[str, tuple[str, bool]] | None = None) -> bool:
    """One jail through jail.c's main loop (JF_START / JF_SET / JF_STOP / JF_RESTART)."""
    with hoststate.locked(write=False) as st:
        exists = jailctx.jail_info(st, name) is not None

    if op == "c":
        return create(ctx, name, params, conf, spelled)
    if op in ("cm", "cmr"):     # JF_START_SET(_RESTART): create, or update a running jail
        return modify(ctx, name, params, spelled) if exists else \
            create(ctx, name, params, conf, spelled)
    if op in ("m", "mr"):
        if check_params(ctx, ctx.lbl(name), params, spelled, True) is None:
            return False
        if not exists:
            quoted_warnx(ctx, name, params, "not found", "no jail specified")
            return False
        return modify(ctx, name, params, spelled)
    if op in ("r", "cr"):       # JF_STOP, JF_RESTART: a running jail is removed first
        if check_params(ctx, ctx.lbl(name), params, spelled, op == "cr") is None:
            return False
        if not exists:
            if ctx.verbose >= 0:
                quoted_warnx(ctx, name, params, "not found", "no jail specified")
            return False
        if op == "r":
            return remove(ctx, name, params)
        ctx.note_remove = False     # JF_RESTART: stop (no "removed": note_remove is 0), start
        if not remove(ctx, name, params):
            return False
        return create(ctx, name, params, conf, spelled)
    sys.stderr.write(USAGE)
    return False


def _show_config(conf: str, sep: str) -> int:
    """jail -e SEP: jail.c show_jails -> print_jail(stdout, j, 0, 0) for every configured
    non-wildcard jail: its parameters (internal ones too, as spelled) joined by SEP, each
    ``name`` or ``name=v1,v2`` with quoted_print values."""
    try:
        cfg = load_conf(conf)
    except ConfError as e:
        sys.stderr.write(f"jail: {e}\n")
        return 1
    for w in cfg.all_warnings():
        sys.stdout.flush()
        sys.stderr.write(f"jail: {w}\n")
    for n in cfg.jails:
        _, _, info = cfg.resolve_full(n)
        items = []
        for pname, vals in info["raw"]:
            if pname == "jid":
                continue
            items.append(pname if not vals else
                         f"{pname}=" + ",".join(quoted_print(v) for v in vals))
        sys.stdout.write(sep.join(items) + "\n")
    return 0
