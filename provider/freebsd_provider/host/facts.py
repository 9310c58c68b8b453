"""Typed facts: a read-only command and the parser of its result (pyinfra's ``FactBase``).

``await host.get(fact)`` returns the parsed value. The command runs at most once per run for
every resource that asks (single-flight, see ``hostctx.Host.facts``), reads asked together go
out in one exec, and a step that re-reads a fact after a change primes it (``Step.primes``).

A fact's ``parse`` gets the command's :class:`Result`. It returns the value for exit 0, and
decides about a non-zero exit with :mod:`..errors` types only: it returns a value where the
failure is an answer (e.g. a file that does not exist has no variables) and raises the
classified error otherwise (a jail that is not running is :class:`JailNotRunning`).

The facts below are the ones several resources share; a fact only one resource reads may live
beside it.
"""
from __future__ import annotations

from typing import Any, Optional

from ..errors import ModuleNotLoaded, NoSuchFile
from . import ifconfig, jail as jailmod, kld, pfctl, pkg, sysrc, zfs
from .factbase import Fact, fact, parsing

# -- rc.conf-style files ---------------------------------------------------------------------


def rc_vars(file: str = sysrc.RC_CONF, jail: Optional[str] = None) -> Fact[dict[str, str]]:
    """Every variable set in ``file`` itself (``sysrc -f FILE -a``; in a jail ``sysrc -j``).
    A missing file has none; a jail that is not running raises :class:`JailNotRunning`."""
    argv = sysrc.dump_file(file) if not jail else sysrc.dump(file=file, jail=jail)
    return fact(argv, parsing(sysrc.parse_dump, absent=(NoSuchFile,), when_absent=dict),
                f"rc vars {jail + ':' if jail else ''}{file}")


# -- jails -------------------------------------------------------------------------------------


def jls() -> Fact[dict[str, dict[str, Any]]]:
    """Running jails by name with all their parameters."""
    return fact(jailmod.jls_fact(), parsing(jailmod.parse_jls), "jls")


def jail_confs() -> Fact[dict[str, str]]:
    """Every /etc/jail.conf.d/*.conf file's text by path."""
    return fact(jailmod.read_confs(), parsing(jailmod.parse_confs), "jail.conf.d")


# -- kernel modules ------------------------------------------------------------------------------


def kldstat() -> Fact["kld.KldState"]:
    return fact(kld.stat_verbose(), parsing(kld.parse_stat), "kldstat -v")


# -- pf ------------------------------------------------------------------------------------------


def pf_enabled() -> Fact[bool]:
    """``pfctl -s info``: is pf enabled (False when pf.ko is not loaded)?"""
    return fact(pfctl.show("info"),  # pf.ko not loaded: off
                parsing(pfctl.parse_status, absent=(ModuleNotLoaded,), when_absent=lambda: False),
                "pf status")


def _pf_lines(text: str) -> list[str]:
    return [ln for ln in pfctl.lines(text) if ln.strip()]


def pf_loaded(what: str, anchor: Optional[str] = None) -> Fact[Optional[list[str]]]:
    """The loaded ``rules`` or ``nat`` lines (``pfctl -s``); None when pf.ko is not loaded."""
    return fact(pfctl.show(what, anchor), parsing(_pf_lines, absent=(ModuleNotLoaded,)), f"pf {what}")


def file_text(path: str) -> Fact[Optional[str]]:
    """A whole file's text, or None when it does not exist."""
    return fact(pfctl.read_conf(path), parsing(pfctl.parse_read_conf), f"file {path}")


# -- interfaces ----------------------------------------------------------------------------------


def interfaces() -> Fact[dict[str, "ifconfig.Interface"]]:
    return fact(ifconfig.list_all(), parsing(ifconfig.parse_all), "ifconfig -a")


# -- packages ------------------------------------------------------------------------------------


def pkg_state(jail: str) -> Fact["pkg.PkgState"]:
    """The jail's packages (raises :class:`JailNotRunning` when it is not running)."""
    return fact(pkg.state(jail), parsing(pkg.parse_state), f"pkg state {jail}")


# -- zfs -----------------------------------------------------------------------------------------


def datasets() -> Fact[dict[str, "zfs.Dataset"]]:
    """Every filesystem and volume with its properties (one ``zfs get``)."""
    return fact(zfs.get_all(), parsing(zfs.parse_get), "zfs datasets")


__all__ = ["Fact", "fact", "parsing", "rc_vars", "jls", "jail_confs", "kldstat",
           "pf_enabled", "pf_loaded", "file_text", "interfaces", "pkg_state", "datasets"]
