"""pkg(8) inside a jail: argv builders and output parsers (no I/O).

The provider drives the jail's own pkg through jexec, exactly as the tutorial does
(``jexec webserver env ASSUME_ALWAYS_YES=yes pkg bootstrap`` then ``jexec webserver pkg install
-y nginx``), so the host does not need pkg at all.  Every pkg run of one jail is serialized by a
per-jail lockf(1) lock (pkg itself fails instead of waiting when its database is locked).

The read side is ONE command per jail and run (a shared fact): a constant script that prints
``bootstrapped`` / ``not-bootstrapped`` and then ``pkg query -a`` with name, version, automatic
flag and one line per reverse dependency.

Writes go out as one batch (one remote exec, see ``Host.batch``) that ends with that same read:
``bootstrap``, then ``state`` (what the bootstrap left) and ``only_pkg`` (stops the batch unless
pkg is the jail's only package, i.e. the planned install still holds), then ``install``, then
``state`` again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ..errors import NoSuchFile, classify
from .common import JEXEC, SH, in_jail, locked, lines
from .factbase import Fact, fact

PKG_STUB = "/usr/sbin/pkg"          # the bootstrapper in base
PKG = "/usr/local/sbin/pkg"         # the real pkg, once bootstrapped
ENV = "/usr/bin/env"
YES = "ASSUME_ALWAYS_YES=yes"
# pkg runs can be long (downloads): they get their own lock file per jail and a long timeout,
# so they never hold up the host-wide lock used for rc.conf edits.
LOCK_TIMEOUT = 1800

BOOTSTRAPPED = "bootstrapped"
NOT_BOOTSTRAPPED = "not-bootstrapped"
# one line per package: name TAB version TAB automatic
QUERY_FORMAT = "%n\\t%v\\t%a"
# one line per (package, reverse dependency) pair
RDEPS_FORMAT = "%n\\t%rn"

_STATE_SCRIPT = (
    'if [ -x ' + PKG + ' ]; then echo ' + BOOTSTRAPPED + '; '
    'exec ' + PKG + ' query -a "$1"; else echo ' + NOT_BOOTSTRAPPED + '; fi'
)

# Exit 0 when pkg is the only installed package (a fresh bootstrap), 1 when there are others, 2
# when pkg cannot be queried.  Constant text, no values.
_ONLY_PKG_SCRIPT = (
    'l=$(' + PKG + ' query -a %n) || exit 2; '
    'for n in $l; do [ "$n" = pkg ] || exit 1; done'
)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]*\Z")
_VERSION_RE = re.compile(r"^[0-9][A-Za-z0-9.+_,]*\Z")


# --------------------------------------------------------------------------------------------
# Package specs: "nginx" or "nginx-1.28.0_3,3" (pkg's own name-version form)


def split_spec(spec: str) -> tuple[str, Optional[str]]:
    """``nginx-1.28.0_3,3`` -> (nginx, 1.28.0_3,3); ``postgresql17-server`` -> (it, None).

    As in pkg, the version is what follows the last '-' when it starts with a digit.
    """
    head, sep, tail = spec.rpartition("-")
    if sep and head and tail[:1].isdigit():
        return head, tail
    return spec, None


def spec_error(spec: str) -> Optional[str]:
    if not isinstance(spec, str) or not spec:
        return "a package must be a non-empty string such as 'nginx' or 'nginx-1.28.2,3'"
    if len(spec) > 200:
        return f"package spec too long ({len(spec)} > 200 characters)"
    name, version = split_spec(spec)
    if not _NAME_RE.match(name):
        return (f"invalid package name {name!r}: use letters, digits and '+._-', starting with a "
                f"letter or digit (e.g. 'nginx', 'postgresql17-server', 'p5-Foo-Bar')")
    if version is not None and not _VERSION_RE.match(version):
        return (f"invalid version {version!r} in {spec!r}: a version starts with a digit and "
                f"uses letters, digits and '.+_,' (e.g. '1.28.2,3', '17.9')")
    if name == "pkg":
        return ("'pkg' itself is bootstrapped by JailPackage when needed; do not declare it "
                "(deleting the resource would remove the package manager)")
    return None


def version_matches(pin: Optional[str], live: str) -> bool:
    """A pinned version matches the installed one exactly, or up to pkg's port revision and
    epoch: pin ``1.28.2`` matches ``1.28.2``, ``1.28.2_3`` and ``1.28.2,3``."""
    if pin is None or pin == live:
        return True
    return live.startswith(pin) and live[len(pin):len(pin) + 1] in ("_", ",")


# --------------------------------------------------------------------------------------------
# argv builders


def lockfile(jail: str) -> str:
    return f"/var/run/pulumi-freebsd-pkg.{jail}.lock"


def state(jail: str) -> list[str]:
    """Read-only: bootstrap marker then ``name\\tversion\\tautomatic`` lines (one shared fact)."""
    return in_jail(jail, [SH, "-c", _STATE_SCRIPT, "sh", QUERY_FORMAT])


def only_pkg(jail: str) -> list[str]:
    """Read-only: exit 0 when pkg itself is the jail's only package (nothing else installed)."""
    return in_jail(jail, [SH, "-c", _ONLY_PKG_SCRIPT])


def reverse_deps(jail: str) -> list[str]:
    """Read-only: ``name\\trdep`` lines for every installed package that others depend on."""
    return in_jail(jail, [PKG, "query", "-a", RDEPS_FORMAT])


def bootstrap(jail: str) -> list[str]:
    """``jexec J env ASSUME_ALWAYS_YES=yes pkg bootstrap`` (as in the tutorial), under the lock."""
    return locked(in_jail(jail, [ENV, YES, PKG_STUB, "bootstrap"]), lockfile(jail), LOCK_TIMEOUT)


def install(jail: str, specs: list[str]) -> list[str]:
    if not specs:
        raise ValueError("nothing to install")
    return locked(in_jail(jail, [ENV, YES, PKG, "install", "-y", *specs]), lockfile(jail), LOCK_TIMEOUT)


def delete(jail: str, names: list[str]) -> list[str]:
    if not names:
        raise ValueError("nothing to delete")
    return locked(in_jail(jail, [ENV, YES, PKG, "delete", "-y", *names]), lockfile(jail), LOCK_TIMEOUT)


# --------------------------------------------------------------------------------------------
# parsers


@dataclass
class Installed:
    version: str
    automatic: bool = False


@dataclass
class PkgState:
    bootstrapped: bool
    packages: dict[str, Installed] = field(default_factory=dict)


def parse_state(text: str) -> PkgState:
    rows = lines(text)
    if not rows:
        raise ValueError("empty output from the pkg state script")
    head = rows[0].strip()
    if head == NOT_BOOTSTRAPPED:
        return PkgState(False)
    if head != BOOTSTRAPPED:
        raise ValueError(f"unexpected first line from the pkg state script: {head!r}")
    out = PkgState(True)
    for line in rows[1:]:
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"unexpected pkg query line: {line!r}")
        auto = len(parts) > 2 and parts[2].strip() == "1"
        out.packages[parts[0]] = Installed(parts[1], auto)
    return out


def parse_reverse_deps(text: str) -> dict[str, set[str]]:
    """``name\\trdep`` lines -> {name: {packages that depend on it}}."""
    out: dict[str, set[str]] = {}
    for line in lines(text):
        if not line.strip():
            continue
        name, sep, rdep = line.partition("\t")
        if not sep:
            raise ValueError(f"unexpected pkg query line: {line!r}")
        out.setdefault(name, set()).add(rdep)
    return out


def to_install(specs: list[str], st: PkgState) -> list[str]:
    """The specs of ``specs`` that are not installed, or installed with another version than
    pinned (in declaration order)."""
    todo = []
    for s in specs:
        name, pin = split_spec(s)
        have = st.packages.get(name)
        if have is None or not version_matches(pin, have.version):
            todo.append(s)
    return todo


def installed_versions(specs: list[str], st: PkgState) -> dict[str, str]:
    """The installed version of every package of ``specs`` that is installed, by name."""
    out = {}
    for s in specs:
        name = split_spec(s)[0]
        if name in st.packages:
            out[name] = st.packages[name].version
    return out


def added_dependencies(before: set[str], after: PkgState, specs: list[str]) -> list[str]:
    """Packages an install pulled in as automatic dependencies: in ``after``, not in ``before``
    (the names installed before it), not declared in ``specs``."""
    declared = {split_spec(s)[0] for s in specs}
    return sorted(n for n in set(after.packages) - before
                  if n not in declared and after.packages[n].automatic)


def install_problem(todo: list[str], after: PkgState, jail: str) -> Optional[str]:
    """Why the install of ``todo`` did not give what was asked (``after``: the state read after
    it), or None: a package missing although pkg succeeded, or another version than pinned."""
    for s in todo:
        name, pin = split_spec(s)
        have = after.packages.get(name)
        if have is None:
            return f"pkg reported success but {name} is not installed in jail {jail}"
        if not version_matches(pin, have.version):
            return (f"{name} {pin} was requested but jail {jail} has {name} {have.version} (the "
                    f"repository offers another version)")
    return None


def removable(names: list[str], rdeps: dict[str, set[str]]) -> tuple[list[str], dict[str, list[str]]]:
    """Split ``names`` into those that can go now and those still needed by other packages.

    ``pkg delete`` without ``-f`` also removes every package that depends on the ones named;
    the provider never lets it: a package another installed package needs (and that is not
    being deleted too) is kept.  Returns (deletable, {kept: [needed by, ...]}).
    """
    going = set(names)
    changed = True
    kept: dict[str, list[str]] = {}
    while changed:
        changed = False
        for n in sorted(going):
            others = sorted(rdeps.get(n, set()) - going)
            if others:
                going.discard(n)
                kept[n] = others
                changed = True
    return [n for n in names if n in going], kept


# --------------------------------------------------------------------------------------------
# facts (a jail that is not running raises JailNotRunning; the jail's package list itself is the
# shared ``facts.pkg_state``)


def _rdeps(res) -> dict[str, set[str]]:
    if res.exit_code != 0:
        err = classify(res)
        if isinstance(err, NoSuchFile):
            return {}  # pkg is not bootstrapped: no package, no dependency
        raise err
    return parse_reverse_deps(res.stdout)


def dependants(jail: str) -> Fact[dict[str, set[str]]]:
    """Reverse dependencies of the jail's packages: {name: {packages that depend on it}}."""
    return fact(reverse_deps(jail), _rdeps, f"pkg rdeps {jail}")


__all__ = ["JEXEC"]
