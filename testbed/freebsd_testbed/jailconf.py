"""jail.conf(5) parsing and per-jail parameter resolution, modelled on FreeBSD's
usr.sbin/jail/jaillex.l, jailparse.y and config.c.

Sources read (the newest stored copies; 15.0 itself was not in the store):
HardenedBSD/hardenedBSD usr.sbin/jail/config.c @bca3c76f (a FreeBSD-main derivative),
Dr-Deep/HardenedBSD-src and 5BSD/5BSD usr.sbin/jail/jailparse.y (pure parser, nested jail
blocks, ``special_param`` for ``.include``), jaillex.l (sobomax/freebsd14_vendor @3f5fdd6c and
MidnightBSD; the rules are unchanged since 9.x).  Line references below are to those files.

Lexer (jaillex.l): ``[ \\t]+`` and newlines separate words; ``#``/``//`` comments run to the end
of the line, even inside a word; ``/* */`` comments; reserved ``+=`` ``, ; = { }``; atoms
``[A-Za-z0-9_!%&()\\-.:<>?@[]^`|~]+``, single ``$ * + / \\`` characters and backslash escapes;
``'...'`` (escapes processed, no variables) and ``"..."`` (escapes and ``$var``/``${var}``);
pieces written without blanks between them make one string (STR then STR1/VAR1).  A variable
is ``$[A-Za-z_][A-Za-z_0-9]*`` or ``${...}``.  Any other character is a token of its own (so
``\\r`` is a syntax error).  Errors: ``FILE line N: unterminated string`` / ``... comment`` /
``... variable`` (lexer), ``FILE line N: TOKEN: syntax error`` and ``FILE: unexpected EOF``
(yyerror, jailparse.y); ``FILE line N: variables not permitted in '.include' filename``.

Grammar (jailparse.y): ``conf: | conf jail | conf param ';' | conf ';'``, ``jail: STR '{' conf
'}'`` (a block inside a block is the jail ``outer.inner``), params ``name``, ``name = v, ...``,
``name += v, ...``, ``name v, ...`` (the last form with name ``.include`` includes each value,
globbed, relative to the including file's directory; depth > 32 is ``maximum include depth
exceeded``; a missing non-glob file is ``FILE: No such file or directory``, config.c
include_config/parse_config).  Parameters outside any block go to ONE global ``*`` jail, created
where the first of them appears (jailparse.y ``global_jail``).

Resolution (config.c load_config/add_param): a jail's parameters start with its implied
``name`` (``jid`` for a numeric name); then its own and the matching wildcard jails'
parameters, the wildcards that come before the jail in the file first, its own, then those
after it; ``name`` is back-filled when only ``jid`` was implied.  The same parameter (compared
with equalopts: ``allow.nomount`` is ``allow.mount``) is replaced by ``=`` and a bare name and
appended to by ``+=``, keeping its first position and its latest spelling.  Errors there are
warnings naming the jail (``NAME: ...``) that fail only that jail.
"""
from __future__ import annotations

import glob
import re
import sys
from dataclasses import dataclass, field
from typing import Any

MAX_INCLUDE_DEPTH = 32          # config.c:47

PF_VAR, PF_APPEND, PF_NAMEVAL, PF_BAD = 0x01, 0x02, 0x04, 0x08
PF_IMMUTABLE, PF_INTERNAL, PF_BOOL, PF_INT = 0x10, 0x20, 0x40, 0x80

# config.c intparams[] (name -> flags); PF_CONV entries are not matched by name
INTPARAMS: dict[str, int] = {
    "allow.dying": PF_INTERNAL | PF_BOOL, "command": PF_INTERNAL, "depend": PF_INTERNAL,
    "exec.clean": PF_INTERNAL | PF_BOOL, "exec.consolelog": PF_INTERNAL,
    "exec.fib": PF_INTERNAL | PF_INT, "exec.jail_user": PF_INTERNAL,
    "exec.poststart": PF_INTERNAL, "exec.poststop": PF_INTERNAL, "exec.prepare": PF_INTERNAL,
    "exec.prestart": PF_INTERNAL, "exec.prestop": PF_INTERNAL, "exec.release": PF_INTERNAL,
    "exec.created": PF_INTERNAL, "exec.start": PF_INTERNAL, "exec.stop": PF_INTERNAL,
    "exec.system_jail_user": PF_INTERNAL | PF_BOOL, "exec.system_user": PF_INTERNAL,
    "exec.timeout": PF_INTERNAL | PF_INT, "interface": PF_INTERNAL,
    "ip_hostname": PF_INTERNAL | PF_BOOL, "mount": PF_INTERNAL,
    "mount.devfs": PF_INTERNAL | PF_BOOL, "mount.fdescfs": PF_INTERNAL | PF_BOOL,
    "mount.procfs": PF_INTERNAL | PF_BOOL, "mount.fstab": PF_INTERNAL,
    "stop.timeout": PF_INTERNAL | PF_INT, "vnet.interface": PF_INTERNAL,
    "zfs.dataset": PF_INTERNAL,
    "allow.chflags": 0, "allow.mount": 0, "allow.raw_sockets": 0, "allow.set_hostname": 0,
    "allow.socket_af": 0, "allow.sysvipc": 0, "devfs_ruleset": 0, "host.hostname": 0,
    "ip4.addr": 0, "ip6.addr": 0, "jid": PF_IMMUTABLE, "name": PF_IMMUTABLE, "path": 0,
    "persist": 0, "securelevel": 0, "vnet": 0,
}


class ConfError(Exception):
    """``str(e)`` is the message without the ``jail: `` prefix (lines joined by
    ``\\njail: `` when there are several)."""


# ----------------------------------------------------------------------------- values

@dataclass
class CfString:
    """config.c struct cfstring: literal text with variable references at positions."""
    s: str = ""
    vars: list[list[Any]] = field(default_factory=list)    # [name, pos]

    def copy(self) -> "CfString":
        return CfString(self.s, [list(v) for v in self.vars])


@dataclass
class CfParam:
    name: str
    vals: list[CfString] = field(default_factory=list)
    flags: int = 0
    gen: int = 0
    file: str = ""
    line: int = 0


@dataclass
class CfJail:
    name: str
    params: list[CfParam] = field(default_factory=list)
    parent: "CfJail | None" = None
    seq: int = 0


# ----------------------------------------------------------------------------- lexer

_ATOM = re.compile(r"[A-Za-z0-9_!%&()\-.:<>?@\[\]^`|~]+")
_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.|\n)", re.S)
_VAR = re.compile(r"\$[A-Za-z_][A-Za-z_0-9]*")
_BVAR = re.compile(r"\$\{(?:[^\n{}\\]|\\(?:.|\n))*\}", re.S)
_BVAR_DQ = re.compile(r"\$\{(?:[^\n\"{}\\]|\\(?:.|\n))*\}", re.S)
_BVAR_BAD = re.compile(r"\$\{(?:[^\n{}\\]|\\.)*")
_SQ = re.compile(r"'(?:[^'\\]|\\(?:.|\n))*'", re.S)
_DQ = re.compile(r"\"(?:[^\"\\]|\\(?:.|\n))*\"", re.S)
_DQ_REST = re.compile(r"[^\"$\\](?:[^\"\\]|\\(?:.|\n))*\"", re.S)
_SQ_BAD = re.compile(r"'(?:[^\n'\\]|\\.)*")
_DQ_BAD = re.compile(r"\"(?:[^\n\"\\]|\\.)*")
_COMMENT = re.compile(r"/\*(?:[^*]|\*+[^*/])*\*+/", re.S)
_COMMENT_BAD = re.compile(r"/\*(?:[^*]|\*+[^*/])*\**", re.S)


def _text2lval(t: str, tovar: bool) -> tuple[str, int, int]:
    """jaillex.l text2lval: backslash escapes; with ``tovar`` stop at an unescaped ``$``.
    Returns (value, index where it stopped or -1, newlines consumed)."""
    out = []
    i, n, nl = 0, len(t), 0
    while i < n:
        c = t[i]
        if c != "\\":
            if tovar and c == "$":
                return "".join(out), i, nl
            if c == "\n":
                nl += 1
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            break
        c = t[i]
        if c in "01234567":
            v = int(c)
            if i + 1 < n and t[i + 1] in "01234567":
                i += 1
                v = v * 8 + int(t[i])
                if i + 1 < n and t[i + 1] in "01234567":
                    i += 1
                    v = v * 8 + int(t[i])
            out.append(chr(v & 0xFF))
            i += 1
            continue
        simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
        if c in simple:
            out.append(simple[c])
        elif c == "\n":
            nl += 1
        elif c == "x":
            v = 0
            for _ in range(2):
                if i + 1 < n and t[i + 1] in "0123456789abcdefABCDEF":
                    i += 1
                    v = v * 16 + int(t[i], 16)
                else:
                    break
            out.append(chr(v))
        else:
            out.append(c)
        i += 1
    return "".join(out), -1, nl


@dataclass
class Tok:
    kind: str        # STR STR1 VAR VAR1 PLEQ { } ; , = EOF or a single character
    val: str
    text: str        # yytext, as yyerror prints it
    line: int        # the lexer's line number after the token


class _Lexer:
    """A pull lexer with jaillex.l's states ``_`` and ``DQ``."""

    def __init__(self, text: str, cfname: str, errors: list[str]):
        self.s = text
        self.i = 0
        self.line = 1
        self.instr = False
        self.dq = False
        self.cfname = cfname
        self.errors = errors

    def _tok(self, kind: str, val: str, text: str) -> Tok:
        if kind in ("STR", "VAR"):
            if self.instr:
                kind += "1"
            self.instr = True
        return Tok(kind, val, text, self.line)

    def next(self) -> Tok:
        s, n = self.s, len(self.s)
        while True:
            i = self.i
            if i >= n:
                return Tok("EOF", "", "", self.line)
            c = s[i]
            if self.dq:
                # <DQ> rules: atoms, escapes, [$*+/\\], the rest of the string, '"', variables
                if c == '"':
                    self.i += 1
                    self.dq = False
                    continue
                cands = []
                m = _ATOM.match(s, i)
                if m:
                    cands.append(("atom", m.end()))
                m2 = _DQ_REST.match(s, i)
                if m2:
                    cands.append(("rest", m2.end()))
                m3 = _VAR.match(s, i)
                if m3:
                    cands.append(("var", m3.end()))
                m4 = _BVAR_DQ.match(s, i)
                if m4:
                    cands.append(("bvar", m4.end()))
                if c == "\\":
                    m5 = _ESC.match(s, i)
                    if m5:
                        cands.append(("esc", m5.end()))
                if c in "$*+/\\":
                    cands.append(("char", i + 1))
                if c == "$" and not m4:
                    mb = re.compile(r"\$\{(?:[^\n\"{}\\]|\\.)*").match(s, i)
                    if mb and mb.end() > i + 1:
                        cands.append(("badvar", mb.end()))
                if not cands:
                    # "." in <DQ> is the catch-all: back to state _
                    self.dq = False
                    continue
                kind, end = max(cands, key=lambda x: x[1])
                return self._rule(kind, i, end)
            if c in " \t":
                j = i
                while j < n and s[j] in " \t":
                    j += 1
                self.i = j
                self.instr = False
                continue
            if c == "\n":
                self.i += 1
                self.line += 1
                self.instr = False
                continue
            if c == "#" or s.startswith("//", i):
                j = s.find("\n", i)
                self.i = n if j < 0 else j
                continue
            if s.startswith("/*", i):
                m = _COMMENT.match(s, i)
                if m:
                    self.line += m.group(0).count("\n")
                    self.i = m.end()
                    self.instr = False
                    continue
                m = _COMMENT_BAD.match(s, i)
                self.errors.append(f"{self.cfname} line {self.line}: unterminated comment")
                self.line += m.group(0).count("\n")
                self.i = m.end()
                continue
            if s.startswith("+=", i):
                self.i += 2
                self.instr = False
                return Tok("PLEQ", "+=", "+=", self.line)
            if c in ",;={}":
                self.i += 1
                self.instr = False
                return Tok(c, c, c, self.line)
            cands = []
            m = _ATOM.match(s, i)
            if m:
                cands.append(("atom", m.end()))
            if c == "\\":
                m = _ESC.match(s, i)
                if m:
                    cands.append(("esc", m.end()))
            if c in "$*+/\\":
                cands.append(("char", i + 1))
            if c == "$":
                m = _VAR.match(s, i)
                if m:
                    cands.append(("var", m.end()))
                m = _BVAR.match(s, i)
                if m:
                    cands.append(("bvar", m.end()))
                else:
                    m = _BVAR_BAD.match(s, i)
                    if m and m.end() > i + 1:
                        cands.append(("badvar", m.end()))
            if c == "'":
                m = _SQ.match(s, i)
                if m:
                    cands.append(("sq", m.end()))
                else:
                    cands.append(("badstr", _SQ_BAD.match(s, i).end()))
            if c == '"':
                m = _DQ.match(s, i)
                if m:
                    cands.append(("dq", m.end()))
                else:
                    cands.append(("badstr", _DQ_BAD.match(s, i).end()))
            if not cands:
                self.i += 1
                return Tok(c, c, c, self.line)
            kind, end = max(cands, key=lambda x: x[1])
            return self._rule(kind, i, end)

    def _rule(self, kind: str, i: int, end: int) -> Tok:
        s = self.s
        text = s[i:end]
        if kind in ("badstr", "badvar"):
            self.i = end
            what = "string" if kind == "badstr" else "variable"
            self.errors.append(f"{self.cfname} line {self.line}: unterminated {what}")
            return self.next()
        if kind in ("atom", "esc", "char"):
            val, _, nl = _text2lval(text, False)
            self.line += nl
            self.i = end
            return self._tok("STR", val, text)
        if kind == "sq":
            val, _, nl = _text2lval(text[1:-1], False)
            self.line += nl
            self.i = end
            return self._tok("STR", val, text)
        if kind in ("dq", "rest"):
            skip = 1 if kind == "dq" else 0
            val, at, nl = _text2lval(text[skip:-1], True)
            self.line += nl
            if at < 0:
                self.i = end
                self.dq = False
            else:
                # yyless(atvar): keep the text before the "$", go to DQ for the variable
                self.i = i + skip + at
                text = s[i:self.i]
                self.dq = True
            return self._tok("STR", val, text)
        if kind == "var":
            self.i = end
            return self._tok("VAR", text[1:], text)
        if kind == "bvar":
            val, _, nl = _text2lval(text[2:-1], False)
            self.line += nl
            self.i = end
            return self._tok("VAR", val, text)
        raise AssertionError(kind)


# ----------------------------------------------------------------------------- parser

class _Fatal(Exception):
    """A message jail(8) prints before exiting 1 (the text after ``jail: ``)."""


class Config:
    """The parsed file(s): ``cfjails`` in file order (wildcards and the global ``*`` too)."""

    def __init__(self) -> None:
        self.cfjails: list[CfJail] = []
        self._global: CfJail | None = None
        self._current: CfJail | None = None
        self._depth = 0
        self.messages: list[str] = []       # warnings printed while parsing
        self._resolved: dict[str, tuple[dict[str, list[str]], list[str], dict[str, Any]]] = {}

    # ---------------------------------------------------------------- public view
    @property
    def jails(self) -> list[str]:
        """Non-wildcard jail names in file order (duplicates kept once)."""
        out: list[str] = []
        for j in self.cfjails:
            if not wild_jail_name(j.name) and j.name not in out:
                out.append(j.name)
        return out

    def wildcard_names(self) -> list[str]:
        return list(self.jails)

    def has_jail(self, name: str) -> bool:
        return any(j.name == name for j in self.cfjails if not wild_jail_name(j.name))

    # ---------------------------------------------------------------- loading
    def load(self, fname: str, real: str | None = None, depth: int = 0) -> None:
        """Parse ``fname`` (``-`` is stdin); raise ConfError on any parse error."""
        try:
            self._parse_config(fname, real or fname, fname == "-")
        except _Fatal as e:
            raise ConfError("\njail: ".join(self.messages + [str(e)])) from None
        if self.messages:
            raise ConfError("\njail: ".join(self.messages))

    def _parse_config(self, cfname: str, real: str, is_stdin: bool) -> None:
        """config.c parse_config: err(1, "%s", cfname) when it can't be opened."""
        if is_stdin:
            cfname = "STDIN"
            text = sys.stdin.read()
        else:
            try:
                with open(real, encoding="utf-8", errors="surrogateescape", newline="") as f:
                    text = f.read()
            except OSError as e:
                from .tools._common import strerror
                raise _Fatal(f"{cfname}: {strerror(e.errno or 0)}") from None
        errors: list[str] = []
        lex = _Lexer(text, cfname, errors)
        p = _Parser(self, lex, cfname, real, is_stdin)
        ok = p.parse()
        if not ok or errors or p.error:
            # messages are printed in the order they were produced
            raise _Fatal("\njail: ".join(p.out))

    def _include(self, cfname: str, outer: str, outer_real: str, is_stdin: bool,
                 lineno: int) -> None:
        """config.c include_config."""
        from . import hoststate
        self._depth += 1
        try:
            if self._depth > MAX_INCLUDE_DEPTH:
                raise _Fatal("maximum include depth exceeded")
            if not is_stdin and not cfname.startswith("/") and "/" in outer:
                cfname = outer[:outer.rfind("/") + 1] + cfname
            if glob.has_magic(cfname):
                real_pat = hoststate.hostpath(cfname) if cfname.startswith("/") else cfname
                prefix = real_pat[: len(real_pat) - len(cfname)] if real_pat.endswith(cfname) \
                    else ""
                for m in sorted(glob.glob(real_pat)):
                    shown = m[len(prefix):] if prefix and m.startswith(prefix) else m
                    self._parse_config(shown, m, False)
            else:
                real = hoststate.hostpath(cfname) if cfname.startswith("/") else cfname
                self._parse_config(cfname, real, False)
        finally:
            self._depth -= 1

    def _add_jail(self, name: str) -> CfJail:
        j = CfJail(name)
        self.cfjails.append(j)
        return j

    # ---------------------------------------------------------------- resolution
    def resolve_full(self, name: str) -> tuple[dict[str, list[str]], list[str], dict[str, Any]]:
        """(params, warnings, info) for the jail ``name`` (config.c load_config).

        ``params`` maps canonical names (``allow.nomount`` -> ``allow.mount``) to values;
        booleans given bare are ``["true"]`` (``["false"]`` for a ``no`` spelling).
        ``info["spelled"]`` maps a canonical name to (spelling, given-bare) for -v output.
        ``warnings`` are the messages after ``jail: `` (the jail fails if there are any)."""
        if name in self._resolved:
            return self._resolved[name]
        jails = [j for j in self.cfjails if j.name == name and not wild_jail_name(j.name)]
        if not jails:
            raise ConfError(f'"{name}" not found')
        seqd = {id(j): k + 1 for k, j in enumerate(self.cfjails)}
        j = jails[0]
        res = _load_one(j, [w for w in self.cfjails if wild_jail_name(w.name)], seqd)
        self._resolved[name] = res
        return res

    def all_warnings(self) -> list[str]:
        """What load_config prints for every jail of the file, in file order
        (``NAME: MSG``, jail_warnx)."""
        out: list[str] = []
        for n in self.jails:
            _, w, _ = self.resolve_full(n)
            out.extend(f"{n}: {m}" for m in w)
        return out

    def resolve(self, name: str) -> dict[str, list[str]]:
        params, warnings, _ = self.resolve_full(name)
        if warnings:
            raise ConfError("\njail: ".join(f"{name}: {w}" for w in warnings))
        return params


class _Parser:
    """jailparse.y as recursive descent over the lexer's tokens (one token of lookahead)."""

    def __init__(self, cfg: Config, lex: _Lexer, cfname: str, real: str, is_stdin: bool):
        self.cfg = cfg
        self.lex = lex
        self.cfname = cfname
        self.real = real
        self.is_stdin = is_stdin
        self.tok: Tok = lex.next()
        self.error = False
        self.out: list[str] = []          # messages, in order (lexer's interleaved)

    def _flush_lex(self) -> None:
        self.out.extend(self.lex.errors)
        if self.lex.errors:
            self.error = True
        self.lex.errors.clear()

    def advance(self) -> Tok:
        t = self.tok
        self._flush_lex()
        self.tok = self.lex.next()
        return t

    def syntax_error(self) -> bool:
        self._flush_lex()
        t = self.tok
        if t.kind == "EOF":
            self.out.append(f"{self.cfname}: unexpected EOF")
        else:
            self.out.append(f"{self.cfname} line {t.line}: {t.text}: syntax error")
        self.error = True
        return False

    def parse(self) -> bool:
        ok = self.conf(top=True)
        self._flush_lex()
        return ok and not self.error

    def conf(self, top: bool) -> bool:
        while True:
            k = self.tok.kind
            if k == "EOF":
                if top:
                    return True
                return self.syntax_error()
            if k == "}" and not top:
                return True
            if k == ";":
                self.advance()
                continue
            if k == "STR":
                # STR '{' is a jail block; anything else makes it a parameter name
                t = self.advance()
                if self.tok.kind == "{":
                    self.advance()
                    cur = self.cfg._current
                    jname = t.val if cur is None else f"{cur.name}.{t.val}"
                    j = self.cfg._add_jail(jname)
                    j.parent = cur
                    self.cfg._current = j
                    if not self.conf(top=False):
                        return False
                    self.advance()          # '}'
                    self.cfg._current = cur
                    continue
                p = CfParam(t.val, line=t.line, file=self.cfname)
            elif k == "VAR":
                t = self.advance()
                p = CfParam(t.val, flags=PF_VAR, line=t.line, file=self.cfname)
            else:
                return self.syntax_error()
            if not self.param_rest(p):
                return False
            if self.tok.kind != ";":
                return self.syntax_error()
            line = self.tok.line
            self.advance()
            if not self.add_param(p, line):
                return False

    def param_rest(self, p: CfParam) -> bool:
        k = self.tok.kind
        if k == ";":
            return True
        if k in ("=", "PLEQ"):
            self.advance()
            if k == "PLEQ":
                p.flags |= PF_APPEND
            if self.tok.kind not in ("STR", "VAR"):
                self.syntax_error()
                return False
        elif k in ("STR", "VAR"):
            p.flags |= PF_NAMEVAL
        else:
            self.syntax_error()
            return False
        while True:
            p.vals.append(self.string())
            if self.tok.kind != ",":
                return True
            self.advance()
            if self.tok.kind not in ("STR", "VAR"):
                self.syntax_error()
                return False

    def string(self) -> CfString:
        t = self.advance()
        s = CfString()
        if t.kind == "STR":
            s.s = t.val
        else:
            s.vars.append([t.val, 0])
        while self.tok.kind in ("STR1", "VAR1"):
            t = self.advance()
            if t.kind == "STR1":
                s.s += t.val
            else:
                s.vars.append([t.val, len(s.s)])
        return s

    def add_param(self, p: CfParam, line: int) -> bool:
        """The ``conf param ';'`` action: special_param (``.include``) or add to the jail."""
        if (p.flags & (PF_VAR | PF_APPEND | PF_NAMEVAL)) == PF_NAMEVAL and p.name == ".include":
            for s in p.vals:
                if s.vars:
                    self.out.append(f"{self.cfname} line {line}: "
                                    "variables not permitted in '.include' filename")
                    self.error = True
                    continue
                try:
                    self.cfg._include(s.s, self.cfname, self.real, self.is_stdin, line)
                except _Fatal as e:
                    self.out.append(str(e))
                    raise _Fatal("\njail: ".join(self.out)) from None
            return True
        j = self.cfg._current
        if j is None:
            if self.cfg._global is None:
                self.cfg._global = self.cfg._add_jail("*")
            j = self.cfg._global
        j.params.append(p)
        return True


# ----------------------------------------------------------------------------- config.c

def equalopts(a: str, b: str) -> bool:
    """config.c equalopts: equal, or equal but for a ``no`` prefix of the last component."""
    if a == b:
        return True
    if a.startswith("no") and a[2:] == b:
        return True
    if b.startswith("no") and a == b[2:]:
        return True
    while True:
        p = a.find(".")
        if p < 0 or a[:p + 1] != b[:p + 1]:
            return False
        a, b = a[p + 1:], b[p + 1:]
        if a.startswith("no") and a[2:] == b:
            return True
        if b.startswith("no") and a == b[2:]:
            return True


def wild_jail_name(name: str) -> bool:
    """config.c wild_jail_name: a ``*`` making up a whole dot-separated component."""
    for i, c in enumerate(name):
        if c == "*" and (i == 0 or name[i - 1] == ".") and (i + 1 == len(name)
                                                           or name[i + 1] == "."):
            return True
    return False


def wild_jail_match(jname: str, wname: str) -> bool:
    """config.c wild_jail_match: a non-final ``*`` matches one component, a final one any."""
    jc, wc = jname, wname
    while "." in jc and "." in wc:
        jd, wd = jc.index("."), wc.index(".")
        if jc[:jd + 1] != wc[:jd + 1] and not wc.startswith("*."):
            return False
        jc, wc = jc[jd + 1:], wc[wd + 1:]
    return jc == wc or wc == "*"


class _JailParams:
    """One jail's parameter list while load_config builds it (config.c add_param)."""

    def __init__(self, jname: str):
        self.jname = jname
        self.params: list[CfParam] = []
        self.warnings: list[str] = []

    def find(self, name: str) -> CfParam | None:
        for dp in self.params:
            if equalopts(dp.name, name):
                return dp
        return None

    def add(self, p: CfParam | None, name: str = "", value: str | None = None) -> None:
        if p is not None:
            name, flags = p.name, p.flags
            nss = [s.copy() for s in p.vals]
        else:
            flags = PF_APPEND | INTPARAMS.get(name, 0)
            nss = [CfString(value)] if value is not None else []
        dp = self.find(name)
        if dp is not None:
            if (flags ^ dp.flags) & PF_VAR:
                self.warnings.append(f'variable "${name}" cannot have the same name as a '
                                     "parameter.")
                return
            if dp.flags & PF_IMMUTABLE:
                self.warnings.append(f'cannot redefine parameter "{dp.name}".')
                return
            dp.name = name
            if not (flags & PF_APPEND) or not nss:
                dp.vals = []
            dp.vals.extend(nss)
            dp.flags |= flags
            return
        np = CfParam(name, nss, flags)
        if p is not None:
            for ipname, ipflags in INTPARAMS.items():
                if equalopts(name, ipname):
                    if flags & PF_VAR:
                        self.warnings.append(f'variable "${name}" cannot have the same name '
                                             "as a parameter.")
                        return
                    np.flags |= ipflags
                    break
        self.params.append(np)


def _is_int_name(name: str) -> bool:
    """``strtol(j->name, &ep, 10) && !*ep``: a non-zero decimal name implies ``jid``."""
    m = re.fullmatch(r"\s*[+-]?\d+", name)
    return bool(m) and int(name) != 0


def _load_one(j: CfJail, wild: list[CfJail], seqd: dict[int, int]
              ) -> tuple[dict[str, list[str]], list[str], dict[str, Any]]:
    jp = _JailParams(j.name)
    jp.add(None, "jid" if _is_int_name(j.name) else "name", j.name)
    did_self = False
    jseq = seqd[id(j)]
    for wj in wild:
        if jseq < seqd[id(wj)] and not did_self:
            for p in j.params:
                jp.add(p)
            did_self = True
        if wild_jail_match(j.name, wj.name):
            for p in wj.params:
                jp.add(p)
    if not did_self:
        for p in j.params:
            jp.add(p)
    if not any(equalopts(x.name, "name") for x in jp.params):     # the KP_NAME back-fill
        jp.add(None, "name", j.name)
    _substitute(jp)
    params: dict[str, list[str]] = {}
    spelled: dict[str, tuple[str, bool]] = {}
    raw: list[tuple[str, list[str]]] = []
    for p in jp.params:
        if p.flags & PF_VAR:
            continue
        key, vals = canonical(p.name, [s.s for s in p.vals])
        params[key] = vals
        spelled[key] = (p.name, not p.vals)
        raw.append((p.name, [s.s for s in p.vals]))
    return params, jp.warnings, {"spelled": spelled, "raw": raw}


def _substitute(jp: _JailParams) -> None:
    """config.c load_config "Resolve any variable substitutions"."""
    params = jp.params
    pgen = 0
    i = 0
    while i < len(params):
        p = params[i]
        pgen += 1
        p.gen = pgen
        restart = True
        while restart:
            restart = False
            si = 0
            while si < len(p.vals):
                s = p.vals[si]
                while s.vars:
                    v = s.vars[0]
                    vp = next((x for x in params if x.name == v[0]), None)
                    bad = False
                    if vp is None or not vp.vals:
                        jp.warnings.append(f'{p.name}: variable "{v[0]}" not found')
                        bad = True
                    elif vp.flags & PF_BAD:
                        bad = True
                    elif vp.gen == pgen:
                        jp.warnings.append(f"{v[0]}: variable loop")
                        bad = True
                    elif any(vs.vars for vs in vp.vals):
                        vp.gen = pgen
                        params.remove(vp)
                        i = params.index(p)
                        params.insert(i, vp)
                        p = vp
                        restart = True
                        break
                    else:
                        vs = vp.vals[0]
                        if len(vp.vals) > 1 and (s.s != "" or len(s.vars) > 1):
                            jp.warnings.append(f"{p.name}: array cannot be substituted inline")
                            bad = True
                        else:
                            pos = v[1]
                            s.s = s.s[:pos] + vs.s + s.s[pos:]
                            for vv in s.vars[1:]:
                                vv[1] += len(vs.s)
                            for k, extra in enumerate(vp.vals[1:]):
                                p.vals.insert(si + 1 + k, CfString(extra.s))
                    if bad:
                        for x in params:
                            if x.gen == pgen:
                                x.flags |= PF_BAD
                    s.vars.pop(0)
                if restart:
                    break
                si += 1
        i += 1


# ----------------------------------------------------------------------------- helpers

def canonical(name: str, vals: list[str]) -> tuple[str, list[str]]:
    """A parameter as jails.py keys it: ``allow.nomount`` -> (``allow.mount``, ["false"]);
    a bare boolean -> ["true"]; a bare non-boolean keeps [] (jailparam_import(NULL))."""
    from .jails import INTERNAL_BOOL, KERNEL_BOOL_DEFAULTS
    head, _, last = name.rpartition(".")
    if last.startswith("no"):
        stripped = f"{head}.{last[2:]}" if head else last[2:]
        if stripped in KERNEL_BOOL_DEFAULTS or stripped in INTERNAL_BOOL:
            if not vals:
                return stripped, ["false"]
            v = vals[-1]
            b = _parse_bool(v)
            if b is None:
                return stripped, ["\0bad:" + name + ":" + v]
            return stripped, ["false" if b else "true"]
    if not vals and (name in KERNEL_BOOL_DEFAULTS or name in INTERNAL_BOOL):
        return name, ["true"]
    return name, vals


def _parse_bool(v: str) -> bool | None:
    """libjail jailparam_import_enum(bool_values): "false"/"true" (any case) or an integer."""
    if v.lower() == "true":
        return True
    if v.lower() == "false":
        return False
    try:
        return int(v, 10) != 0
    except ValueError:
        return None


def _bool_name(pname: str) -> tuple[str, str]:
    """``allow.nomount`` -> (allow.mount, false); ``persist`` -> (persist, true)."""
    key, vals = canonical(pname, [])
    return key, (vals[-1] if vals else "true")


def load(fname: str) -> Config:
    """Parse a config file given as a host path (``-`` for stdin)."""
    from . import hoststate
    cfg = Config()
    real = hoststate.hostpath(fname) if fname.startswith("/") else fname
    cfg.load(fname, real)
    return cfg
