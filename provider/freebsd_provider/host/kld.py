"""kldload(8) / kldstat(8) / kldunload(8): argv builders and output parsers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .common import lines

KLDLOAD = "/sbin/kldload"
KLDSTAT = "/sbin/kldstat"
KLDUNLOAD = "/sbin/kldunload"

# A module / kld file name as the user writes it: `if_epair`, `pf`, `zfs`, `linux64`.
# No paths (kldload would accept one) and no `.ko` suffix: loader.conf's `NAME_load` variable is
# built from it, so it must also be a valid sh variable-name fragment.
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}\Z")


def name_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not name:
        return "a kernel module name must not be empty"
    if name.endswith(".ko"):
        return f"give the module name without '.ko' (e.g. {name[:-3]!r})"
    if "/" in name:
        return "give a module name from /boot/kernel or /boot/modules, not a path"
    if not _NAME_RE.fullmatch(name):
        return (f"invalid kernel module name {name!r}: use letters, digits and '_' (at most 63), "
                f"not starting with a digit (it also names the loader.conf variable NAME_load)")
    return None


def load(name: str) -> list[str]:
    """``kldload -n NAME``: load unless already loaded (or compiled into the kernel): exit 0."""
    return [KLDLOAD, "-n", name]


def unload(name: str) -> list[str]:
    """``kldunload NAME`` (the file ``NAME.ko``)."""
    return [KLDUNLOAD, name]


def stat_verbose() -> list[str]:
    """``kldstat -v``: every loaded file with the modules it contains (the shared fact)."""
    return [KLDSTAT, "-v"]


# --------------------------------------------------------------------------------------------
# Parser


@dataclass
class KldFile:
    id: int
    refs: int
    name: str  # file name, e.g. if_epair.ko (or "kernel")
    path: str = ""
    modules: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return self.name[:-3] if self.name.endswith(".ko") else self.name


@dataclass
class KldState:
    files: list[KldFile] = field(default_factory=list)

    def file(self, name: str) -> Optional[KldFile]:
        """The loaded file ``name`` / ``name.ko``."""
        for f in self.files:
            if f.name in (name, name + ".ko"):
                return f
        return None

    def module_file(self, module: str) -> Optional[KldFile]:
        """The file that contains module ``module`` (the kernel for compiled-in ones)."""
        for f in self.files:
            if module in f.modules:
                return f
        return None

    def is_loaded(self, name: str) -> bool:
        """Loaded as a file, or present as a module (also compiled into the kernel)."""
        return self.file(name) is not None or self.module_file(name) is not None

    def in_kernel(self, name: str) -> bool:
        f = self.module_file(name)
        return f is not None and f.name == "kernel" and self.file(name) is None


_FILE_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(0x[0-9a-fA-F]+)\s+(\S+)\s+(\S+)(?:\s+\((.*)\))?\s*\Z")
_MOD_RE = re.compile(r"^\s+(\d+)\s+(\S+)(?:\s+\(.*\))?\s*\Z")


def parse_stat(text: str) -> KldState:
    """Parse ``kldstat`` or ``kldstat -v`` output."""
    st = KldState()
    cur: Optional[KldFile] = None
    in_mods = False
    for line in lines(text):
        if not line.strip():
            continue
        if line.startswith("Id ") or line.lstrip().startswith("Id Refs"):
            continue
        m = _FILE_RE.match(line)
        if m and not line.startswith("\t"):
            cur = KldFile(id=int(m.group(1)), refs=int(m.group(2)), name=m.group(5), path=m.group(6) or "")
            st.files.append(cur)
            in_mods = False
            continue
        s = line.strip()
        if s == "Contains modules:":
            in_mods = True
            continue
        if s.startswith("Id Name"):
            continue
        mm = _MOD_RE.match(line)
        if mm and cur is not None and in_mods:
            cur.modules.append(mm.group(2))
            continue
        raise ValueError(f"unexpected kldstat line: {line!r}")
    return st
