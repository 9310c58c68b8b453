"""jail.conf(5) parsing and per-jail parameter resolution (usr.sbin/jail/jaillex.l, jailparse.y,
config.c).

:func:`load` reads a file (``-`` is stdin) with ``.include "glob";`` (relative to the including
file, depth <= 32), comments (``#``, ``//``, ``/* */``), single/double quotes with C escapes,
``$var``/``${var}`` references, ``name;`` booleans, ``name = v1, v2;``, ``name += v;``,
``name value;``, blocks ``name { ... }``, wildcard blocks ``*`` / ``foo.*`` and parameters outside
any block (the global ``*``).  :func:`resolve` gives one jail's parameters: every statement of the
matching blocks, applied in file order (a wildcard before the jail sets defaults, one after it
forces its values), then variables substituted.

Errors are :class:`ConfError` carrying the text jail(8) prints after ``jail: ``.
"""
from __future__ import annotations

import fnmatch
import glob
import os
import sys
from dataclasses import dataclass, field
from typing import Any

MAX_INCLUDE_DEPTH = 32


class ConfError(Exception):
    """``str(e)`` is the message without the ``jail: `` prefix."""


@dataclass
class Value:
    """One string value: literal pieces and variable references [(kind, text)]."""
    parts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        if kind == "lit" and self.parts and self.parts[-1][0] == "lit":
            self.parts[-1] = ("lit", self.parts[-1][1] + text)
        else:
            self.parts.append((kind, text))


@dataclass
class Stmt:
    block: str          # jail name, "*" for global / wildcard
    name: str           # parameter name ("$x" for variables)
    op: str             # "=", "+=", "bool"
    values: list[Value]
    seq: int
    file: str
    line: int


class _Lexer:
    SPECIAL = set('{};,="\'')

    def __init__(self, text: str, fname: str):
        self.s = text
        self.i = 0
        self.line = 1
        self.fname = fname

    def _skip_ws(self) -> bool:
        """Skip whitespace and comments; return True if any was skipped."""
        s, n = self.s, len(self.s)
        start = self.i
        while self.i < n:
            c = s[self.i]
            if c == "\n":
                self.line += 1
                self.i += 1
            elif c in " \t\r\f\v":
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.line += 1
                self.i += 2
            elif c == "#" or s.startswith("//", self.i):
                j = s.find("\n", self.i)
                self.i = n if j < 0 else j
            elif s.startswith("/*", self.i):
                j = s.find("*/", self.i + 2)
                if j < 0:
                    self.i = n
                    raise ConfError(f"{self.fname}: unexpected EOF")
                self.line += s.count("\n", self.i, j)
                self.i = j + 2
            else:
                break
        return self.i > start

    def tokens(self) -> list[tuple[str, Any, int]]:
        """(kind, value, line): kinds "{", "}", ";", ",", "=", "+=", "word" (a Value), "EOF"."""
        out: list[tuple[str, Any, int]] = []
        s, n = self.s, len(self.s)
        while True:
            self._skip_ws()
            if self.i >= n:
                out.append(("EOF", None, self.line))
                return out
            c = s[self.i]
            line = self.line
            if c in "{};,=":
                out.append((c, c, line))
                self.i += 1
                continue
            if s.startswith("+=", self.i):
                out.append(("+=", "+=", line))
                self.i += 2
                continue
            val = Value()
            raw: list[str] = []
            while self.i < n:
                c = s[self.i]
                if c in " \t\r\n\f\v{};,=" or (c == "+" and s.startswith("+=", self.i)):
                    break
                if c == "#" or s.startswith("/*", self.i) or (s.startswith("//", self.i) and not raw):
                    break
                if c == '"':
                    self.i += 1
                    self._dquote(val, raw)
                elif c == "'":
                    j = s.find("'", self.i + 1)
                    if j < 0:
                        raise ConfError(f"{self.fname}: unexpected EOF")
                    txt = s[self.i + 1:j]
                    self.line += txt.count("\n")
                    val.add("lit", txt)
                    raw.append(s[self.i:j + 1])
                    self.i = j + 1
                elif c == "$":
                    name = self._var()
                    val.add("var", name)
                    raw.append("$" + name)
                elif c == "\\":
                    if self.i + 1 < n and s[self.i + 1] == "\n":
                        self.line += 1
                        self.i += 2
                        continue
                    ch, adv = _escape(s, self.i + 1)
                    val.add("lit", ch)
                    raw.append(s[self.i:self.i + 1 + adv])
                    self.i += 1 + adv
                else:
                    val.add("lit", c)
                    raw.append(c)
                    self.i += 1
            out.append(("word", (val, "".join(raw)), line))

    def _var(self) -> str:
        s, n = self.s, len(self.s)
        self.i += 1
        if self.i < n and s[self.i] == "{":
            j = s.find("}", self.i)
            if j < 0:
                raise ConfError(f"{self.fname} line {self.line}: unterminated variable")
            name = s[self.i + 1:j]
            self.i = j + 1
            return name
        j = self.i
        while j < n and (s[j].isalnum() or s[j] in "_."):
            j += 1
        name = s[self.i:j]
        self.i = j
        return name

    def _dquote(self, val: Value, raw: list[str]) -> None:
        s, n = self.s, len(self.s)
        start = self.i - 1
        while True:
            if self.i >= n:
                raise ConfError(f"{self.fname}: unexpected EOF")
            c = s[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\":
                if self.i + 1 < n and s[self.i + 1] == "\n":
                    self.line += 1
                    self.i += 2
                    continue
                ch, adv = _escape(s, self.i + 1)
                val.add("lit", ch)
                self.i += 1 + adv
            elif c == "$":
                val.add("var", self._var())
            else:
                if c == "\n":
                    self.line += 1
                val.add("lit", c)
                self.i += 1
        raw.append(s[start:self.i])


_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _escape(s: str, i: int) -> tuple[str, int]:
    if i >= len(s):
        return "\\", 0
    c = s[i]
    if c in _ESC:
        return _ESC[c], 1
    if c in "01234567":
        j = i
        while j < len(s) and j < i + 3 and s[j] in "01234567":
            j += 1
        return chr(int(s[i:j], 8)), j - i
    if c == "x":
        j = i + 1
        while j < len(s) and j < i + 3 and s[j] in "0123456789abcdefABCDEF":
            j += 1
        if j > i + 1:
            return chr(int(s[i + 1:j], 16)), j - i
    return c, 1


class Config:
    def __init__(self) -> None:
        self.stmts: list[Stmt] = []
        self.jails: list[str] = []       # non-wildcard block names, in order of appearance
        self.seq = 0

    # ---------------------------------------------------------------- loading
    def load(self, fname: str, real: str | None = None, depth: int = 0) -> None:
        real = real or fname
        try:
            if fname == "-":
                text = sys.stdin.read()
            else:
                with open(real, encoding="utf-8", errors="surrogateescape") as f:
                    text = f.read()
        except OSError as e:
            raise ConfError(f"{fname}: {e.strerror}") from None
        self._parse(text, fname, real, depth)

    def _parse(self, text: str, fname: str, real: str, depth: int) -> None:
        toks = _Lexer(text, fname).tokens()
        pos = 0
        block = "*"
        in_block = False

        def err(tok) -> ConfError:
            kind, val, line = tok
            if kind == "EOF":
                return ConfError(f"{fname}: unexpected EOF")
            txt = val[1] if kind == "word" else val
            return ConfError(f"{fname} line {line}: {txt}: syntax error")

        while True:
            kind, val, line = toks[pos]
            if kind == "EOF":
                if in_block:
                    raise err(toks[pos])
                return
            if kind == ";":
                pos += 1
                continue
            if kind == "}" and in_block:
                in_block = False
                block = "*"
                pos += 1
                continue
            if kind != "word":
                raise err(toks[pos])
            word, rawtxt = val
            # .include "file";
            if rawtxt == ".include" and not in_block:
                k2, v2, _ = toks[pos + 1]
                if k2 != "word" or any(p[0] == "var" for p in v2[0].parts):
                    raise err(toks[pos + 1])
                if toks[pos + 2][0] != ";":
                    raise err(toks[pos + 2])
                self._include(_lit(v2[0]), fname, real, depth)
                pos += 3
                continue
            nxt = toks[pos + 1]
            if nxt[0] == "{" and not in_block:
                name = _lit(word)
                block = name
                in_block = True
                if "*" not in name and name not in self.jails:
                    self.jails.append(name)
                pos += 2
                continue
            pname = ("$" + word.parts[0][1]) if (len(word.parts) == 1 and word.parts[0][0] == "var") \
                else _lit(word)
            pos += 1
            op = "bool"
            values: list[Value] = []
            if toks[pos][0] in ("=", "+="):
                op = toks[pos][0]
                pos += 1
                values, pos = self._values(toks, pos, err)
            elif toks[pos][0] == "word":
                op = "="
                values, pos = self._values(toks, pos, err)
            if toks[pos][0] != ";":
                raise err(toks[pos])
            pos += 1
            self.seq += 1
            self.stmts.append(Stmt(block, pname, op, values, self.seq, fname, line))

    @staticmethod
    def _values(toks, pos, err) -> tuple[list[Value], int]:
        vals: list[Value] = []
        while True:
            if toks[pos][0] != "word":
                raise err(toks[pos])
            vals.append(toks[pos][1][0])
            pos += 1
            if toks[pos][0] == ",":
                pos += 1
                continue
            return vals, pos

    def _include(self, pattern: str, fname: str, real: str, depth: int) -> None:
        if depth + 1 > MAX_INCLUDE_DEPTH:
            raise ConfError(f"{fname}: too many nested includes")
        from . import hoststate
        if not pattern.startswith("/"):
            base = os.path.dirname(fname if fname != "-" else "/")
            pattern = os.path.join(base or "/", pattern)
        real_pat = hoststate.hostpath(pattern) if pattern.startswith("/") else pattern
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(real_pat))
            prefix = real_pat[: len(real_pat) - len(pattern)] if real_pat.endswith(pattern) else ""
            for m in matches:
                shown = m[len(prefix):] if prefix and m.startswith(prefix) else m
                self.load(shown, m, depth + 1)
        else:
            self.load(pattern, real_pat, depth + 1)

    # ---------------------------------------------------------------- resolution
    def has_jail(self, name: str) -> bool:
        return name in self.jails

    def resolve(self, name: str) -> dict[str, Any]:
        """The parameters of jail ``name``: {param: [values]} (booleans as ["true"/"false"])."""
        stmts = [s for s in self.stmts if s.block == name or _wild_match(s.block, name)]
        stmts.sort(key=lambda s: s.seq)
        raw: dict[str, list[Value] | str] = {}
        order: list[str] = []
        for s in stmts:
            pname = s.name
            if pname in ("name", "jid") and s.block == name and pname in raw:
                raise ConfError(f'{name}: cannot redefine parameter "{pname}".')
            if s.op == "bool":
                key, val = _bool_name(pname)
                if key not in raw:
                    order.append(key)
                raw[key] = val
                continue
            if s.op == "+=" and isinstance(raw.get(pname), list):
                raw[pname] = list(raw[pname]) + list(s.values)  # type: ignore[operator]
            else:
                if pname not in raw:
                    order.append(pname)
                raw[pname] = list(s.values)
        params: dict[str, Any] = {}
        for k in order:
            if k.startswith("$") and k[1:] in raw:
                raise ConfError(f'{name}: variable "{k}" cannot have the same name as a parameter.')
        # implicit name / jid
        try:
            int(name)
            params["jid"] = [name]
        except ValueError:
            params["name"] = [name]
        resolving: set[str] = set()
        cache: dict[str, list[str]] = {}

        def lookup(var: str, ctx: str) -> list[str]:
            if var in cache:
                return cache[var]
            key = "$" + var if ("$" + var) in raw else var
            if key == "name" and key not in raw:
                return [name]
            if key not in raw:
                raise ConfError(f'{name}: {ctx}: variable "{var}" not found')
            if key in resolving:
                raise ConfError(f"{name}: {var}: variable loop")
            resolving.add(key)
            v = raw[key]
            res = [v] if isinstance(v, str) else [subst(x, key) for x in v]
            resolving.discard(key)
            cache[var] = res
            return res

        def subst(v: Value, ctx: str) -> str:
            out = []
            for kind, txt in v.parts:
                if kind == "lit":
                    out.append(txt)
                else:
                    r = lookup(txt, ctx)
                    if len(r) > 1:
                        raise ConfError(f"{name}: {ctx}: array cannot be substituted inline")
                    out.append(r[0] if r else "")
            return "".join(out)

        for k in order:
            if k.startswith("$"):
                continue
            v = raw[k]
            params[k] = [v] if isinstance(v, str) else [subst(x, k) for x in v]
        if "name" in raw:
            params["name"] = params.get("name", [name])
        return params

    def wildcard_names(self) -> list[str]:
        return list(self.jails)


def _lit(v: Value) -> str:
    return "".join(t if k == "lit" else "$" + t for k, t in v.parts)


def _wild_match(block: str, name: str) -> bool:
    if block == "*":
        return True
    if "*" not in block:
        return False
    return fnmatch.fnmatchcase(name, block)


def _bool_name(pname: str) -> tuple[str, str]:
    """``allow.nomount`` -> (allow.mount, false); ``persist`` -> (persist, true)."""
    head, _, last = pname.rpartition(".")
    if last.startswith("no") and last not in NO_PREFIX_EXCEPTIONS:
        stripped = f"{head}.{last[2:]}" if head else last[2:]
        # libjail jailparam_init tries the name itself, then without "no" for a boolean;
        # an unknown name keeps its spelling for "unknown parameter: allow.nosuch"
        from .jails import INTERNAL_BOOL, KERNEL_BOOL_DEFAULTS
        if stripped in KERNEL_BOOL_DEFAULTS or stripped in INTERNAL_BOOL:
            return stripped, "false"
    return pname, "true"


NO_PREFIX_EXCEPTIONS = {"nodename"}


def load(fname: str) -> Config:
    """Parse a config file given as a host path (``-`` for stdin)."""
    from . import hoststate
    cfg = Config()
    real = hoststate.hostpath(fname) if fname.startswith("/") else fname
    cfg.load(fname, real)
    return cfg
