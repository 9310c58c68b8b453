"""fetch(1), tar(1) and friends for installing a FreeBSD base system into a directory.

Argv builders and output parsers only. Values never enter a script's text: the few constant
scripts take them as positional parameters ("$1", "$2").
"""
from __future__ import annotations


import re
import secrets
import string
from typing import Optional
from urllib.parse import urlsplit

from .common import SH, abs_path_error, lines
from . import journal
from .factbase import Fact, fact, parsing

FETCH = "/usr/bin/fetch"
TAR = "/usr/bin/tar"
CP = "/bin/cp"
MKDIR = "/bin/mkdir"
RM = "/bin/rm"
DEFAULT_MIRROR = "https://download.freebsd.org/releases"
TEMP_PREFIX = "/tmp/pulumi-freebsd-base."
_TEMP_RE = re.compile(r"^/tmp/pulumi-freebsd-base\.[A-Za-z0-9]{8}\Z")
_TEMP_CHARS = string.ascii_letters + string.digits
# Written into the tree after a successful install: proves this provider extracted it.
MARKER = "var/db/pulumi-freebsd-base"

# TARGET (uname -m) / TARGET_ARCH (uname -p) directories on download.freebsd.org/releases.
ARCH_DIRS = {
    "amd64": "amd64",
    "i386": "i386",
    "arm64": "arm64/aarch64",
    "aarch64": "arm64/aarch64",
    "armv7": "arm/armv7",
    "powerpc64": "powerpc/powerpc64",
    "powerpc64le": "powerpc/powerpc64le",
    "riscv64": "riscv/riscv64",
}

_RELEASE_RE = re.compile(r"^\d{1,2}\.\d{1,2}-(RELEASE|ALPHA\d{1,2}|BETA\d{1,2}|RC\d{1,2}|PRERELEASE|STABLE|CURRENT)\Z")
_SET_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}\.txz\Z")
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\Z|^\[[0-9A-Fa-f:.]+\]\Z")
_URL_PATH_RE = re.compile(r"^[A-Za-z0-9._~/%+-]*\Z")


# --------------------------------------------------------------------------------------------
# Validators


def release_error(release: str) -> Optional[str]:
    if not isinstance(release, str) or not _RELEASE_RE.fullmatch(release):
        return (f"invalid release {release!r}: expected a FreeBSD release name such as "
                f"'15.0-RELEASE', '15.0-RC1' or '15.0-BETA2'")
    return None


def arch_error(arch: str) -> Optional[str]:
    if arch not in ARCH_DIRS:
        return f"unsupported arch {arch!r}: use one of {', '.join(sorted(ARCH_DIRS))}"
    return None


def dist_set_error(name: str) -> Optional[str]:
    if not isinstance(name, str) or not _SET_RE.fullmatch(name):
        return (f"invalid distribution set {name!r}: expected a file name such as 'base.txz', "
                f"'lib32.txz' or 'base-dbg.txz'")
    return None


def mirror_error(url: str) -> Optional[str]:
    """A mirror must be a plain http(s) URL: no credentials, query, fragment or odd characters."""
    if not isinstance(url, str) or not url:
        return "mirror must not be empty"
    if len(url) > 1024:
        return "mirror URL is too long (max 1024 characters)"
    if any(c.isspace() or c in "\"'`\\<>{}|^$;&()*!" or not c.isprintable() or not c.isascii()
           for c in url):
        return (f"mirror URL must not contain whitespace, quotes or shell metacharacters "
                f"(got {url!r})")
    try:
        parts = urlsplit(url)
    except ValueError as e:
        return f"invalid mirror URL {url!r}: {e}"
    if parts.scheme not in ("https", "http"):
        return f"mirror must be an https:// or http:// URL (got {url!r})"
    if "@" in parts.netloc:
        return "mirror URL must not contain credentials (user@host)"
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "mirror URL must not have a query string or fragment"
    host = parts.hostname or ""
    if not host or not _HOST_RE.match(parts.netloc.rsplit(":", 1)[0] if not parts.netloc.startswith("[")
                                       else parts.netloc.split("]")[0] + "]"):
        return f"mirror URL has an invalid host (got {url!r})"
    try:
        parts.port
    except ValueError:
        return f"mirror URL has an invalid port (got {url!r})"
    if not _URL_PATH_RE.match(parts.path) or "/../" in parts.path + "/" or "/./" in parts.path + "/":
        return f"mirror URL has an invalid path (got {url!r})"
    return None


def dist_url(mirror: str, arch: str, release: str, dist: str) -> str:
    """``MIRROR/ARCH/RELEASE/SET``, e.g. https://download.freebsd.org/releases/amd64/15.0-RELEASE/base.txz."""
    return f"{mirror.rstrip('/')}/{ARCH_DIRS[arch]}/{release}/{dist}"


# --------------------------------------------------------------------------------------------
# Builders


def temp_dir_name(token: Optional[str] = None) -> str:
    """A fresh name for the private download directory, ``/tmp/pulumi-freebsd-base.XXXXXXXX`` as
    mktemp -d would pick it (8 random letters and digits), chosen here so that the commands using
    it go in the same batch as the one creating it (:func:`make_temp_dir_at`)."""
    if token is None:
        token = "".join(secrets.choice(_TEMP_CHARS) for _ in range(8))
    path = TEMP_PREFIX + token
    if not _TEMP_RE.match(path):
        raise ValueError(f"invalid temp dir token {token!r}")
    return path


def make_temp_dir_at(path: str) -> list[str]:
    """``mkdir -m 0700 DIR``: creates the directory as mktemp -d would (owner only); fails when
    the name exists, so a planted file or symlink is never used."""
    if not _TEMP_RE.match(path):
        raise ValueError(f"refusing to create {path!r}: not a temp dir name of this provider")
    return [MKDIR, "-m", "0700", path]


def fetch_to(url: str, out: str) -> list[str]:
    """``fetch -o FILE URL``."""
    return [FETCH, "-o", out, url]


def extract(archive: str, dest: str) -> list[str]:
    """``tar -xf ARCHIVE -C DEST`` (keeps permissions and file flags, as root)."""
    return [TAR, "-xf", archive, "-C", dest]


def remove_temp_dir(path: str) -> list[str]:
    if not path.startswith("/tmp/pulumi-freebsd-base."):
        raise ValueError(f"refusing to remove {path!r}: not a temp dir of this provider")
    return [RM, "-rf", path]


def copy_into(src: str, dest_dir: str) -> list[str]:
    """``cp SRC DEST_DIR/`` (e.g. /etc/resolv.conf into the tree's etc)."""
    return [CP, src, dest_dir.rstrip("/") + "/"]


# The marker's text is not secret (release, arch, sets, mirror: all validated), so it may travel
# as a positional parameter: no stdin needed, and the write can run inside a batch.
_SET_MARKER = 'set -e; mkdir -p "$1/var/db"; printf "%s" "$2" > "$1/' + MARKER + '"'
# Rewrite the marker only where there is one (a line with '=': what parse_inspect reads as set).
_UPDATE_MARKER = ('if grep -q = "$1/' + MARKER + '" 2>/dev/null; then '
                  'printf "%s" "$2" > "$1/' + MARKER + '"; fi')


def set_marker(path: str, text: str) -> list[str]:
    """argv writing ``text`` (see :func:`marker_text`) to the tree's marker file."""
    return [SH, "-c", _SET_MARKER, "sh", path, text]


# Remove the marker of an install that extracted nothing, and the directories it made for it
# (only when empty: the create found no base system there).
_UNMARK = 'rm -f "$1/' + MARKER + '"; rmdir "$1/var/db" "$1/var" 2>/dev/null; exit 0'


def unmark(path: str) -> list[str]:
    return [SH, "-c", _UNMARK, "sh", path]


def update_marker(path: str, text: str) -> list[str]:
    """argv rewriting the marker file with ``text`` only when the tree has a marker."""
    return [SH, "-c", _UPDATE_MARKER, "sh", path, text]


def marker_text(release: str, arch: str, sets: list[str], mirror: str, urn: Optional[str] = None) -> str:
    """The tree's marker: what was installed, and the URN of the resource that installed it
    (JSON-quoted unless printable ASCII, so that it stays one line)."""
    text = f"release={release}\narch={arch}\nsets={' '.join(sets)}\nmirror={mirror}\n"
    if urn:
        text += f"urn={journal.encode_urn(urn)}\n"
    return text


# One read of everything refresh needs about a tree: a section per fact.
_INSPECT = (
    'p="$1"; '
    'echo "#dir"; [ -d "$p" ] && echo yes || echo no; '
    'echo "#sh"; [ -e "$p/bin/sh" ] && echo yes || echo no; '
    'echo "#marker"; cat "$p/' + MARKER + '" 2>/dev/null; '
    'echo "#version"; grep -m 1 "^USERLAND_VERSION=" "$p/bin/freebsd-version" 2>/dev/null; '
    'echo "#resolv"; cmp -s /etc/resolv.conf "$p/etc/resolv.conf" && echo same || echo differ; '
    'echo "#localtime"; cmp -s /etc/localtime "$p/etc/localtime" && echo same || echo differ; '
    'exit 0'
)


# Guards run first in a batch (a non-zero exit stops it before anything changes). "Installed"
# means what parse_inspect reports: PATH/bin/sh exists, or the marker holds a KEY=VALUE line.
_HAS_TREE = '{ [ -e "$p/bin/sh" ] || grep -q = "$p/' + MARKER + '" 2>/dev/null; }'
_HAS_MARKER = 'grep -q = "$p/' + MARKER + '" 2>/dev/null'
GUARD_NO_DIR = 3      # create: PATH is not a directory
GUARD_INSTALLED = 4   # create: PATH already holds a base system (bin/sh or a marker)
GUARD_NOTHING = 5     # delete: no directory, or neither bin/sh nor a marker: nothing to remove
GUARD_FOREIGN = 6     # delete: bin/sh without the marker: not installed by this provider
_CREATE_GUARD = ('p="$1"; [ -d "$p" ] || exit ' + str(GUARD_NO_DIR) + '; '
                 'if ' + _HAS_TREE + '; then exit ' + str(GUARD_INSTALLED) + '; fi; exit 0')
_DELETE_GUARD = ('p="$1"; [ -d "$p" ] || exit ' + str(GUARD_NOTHING) + '; '
                 'if ' + _HAS_MARKER + '; then exit 0; fi; '
                 '[ -e "$p/bin/sh" ] || exit ' + str(GUARD_NOTHING) + '; exit ' + str(GUARD_FOREIGN))


def create_guard(path: str) -> list[str]:
    """argv exiting 0 when PATH is a directory without a base system, else GUARD_NO_DIR or
    GUARD_INSTALLED (it changes nothing)."""
    return [SH, "-c", _CREATE_GUARD, "sh", path]


def delete_guard(path: str) -> list[str]:
    """argv exiting 0 when PATH holds a tree with this provider's marker, else GUARD_NOTHING or
    GUARD_FOREIGN (it changes nothing)."""
    return [SH, "-c", _DELETE_GUARD, "sh", path]


def inspect(path: str) -> list[str]:
    return [SH, "-c", _INSPECT, "sh", path]


def tree(path: str) -> Fact[dict]:
    """What refresh needs about the tree at ``path`` (see :func:`parse_inspect`)."""
    return fact(inspect(path), parsing(parse_inspect), f"base system {path}")


def parse_inspect(text: str) -> dict:
    """→ {dir, sh: bool, marker: {k: v}, release: str|None, resolv_same, localtime_same}."""
    sec: dict[str, list[str]] = {}
    cur = None
    for line in lines(text):
        if line.startswith("#") and line[1:] in ("dir", "sh", "marker", "version", "resolv", "localtime"):
            cur = line[1:]
            sec[cur] = []
        elif cur is not None:
            sec[cur].append(line)
        elif line.strip():
            raise ValueError(f"unexpected output inspecting a base system: {line!r}")
    marker: dict[str, str] = {}
    for line in sec.get("marker", []):
        k, sep, v = line.partition("=")
        if sep:
            marker[k.strip()] = v.strip()
    release = None
    for line in sec.get("version", []):
        m = re.match(r'^USERLAND_VERSION="?([^"\s]+)"?', line)
        if m:
            release = m.group(1)
    return {
        "dir": sec.get("dir", ["no"])[:1] == ["yes"],
        "sh": sec.get("sh", ["no"])[:1] == ["yes"],
        "marker": marker,
        "release": release,
        "resolv_same": sec.get("resolv", ["differ"])[:1] == ["same"],
        "localtime_same": sec.get("localtime", ["differ"])[:1] == ["same"],
    }


# Remove everything below the tree, staying on its file system (nested mounts make it fail),
# after clearing the immutable flags base.txz sets (chflags exists on every FreeBSD).
_WIPE = (
    'set -e; p="$1"; [ -d "$p" ] || exit 0; '
    'if [ -x /bin/chflags ]; then /bin/chflags -R noschg,nosunlnk "$p"; fi; '
    'find "$p" -xdev -mindepth 1 -delete'
)

# Refused as install paths: the host's own system directories.
_SYSTEM_TOP = frozenset({"bin", "boot", "dev", "etc", "lib", "libexec", "proc", "rescue", "sbin",
                         "sys", "root", "net", "entropy"})
_SYSTEM_DIRS = frozenset({
    "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/libexec", "/usr/include",
    "/usr/share", "/usr/local", "/usr/src", "/usr/obj", "/usr/ports", "/usr/home", "/usr/tests",
    "/var/db", "/var/log", "/var/run", "/var/tmp", "/var/cache", "/var/mail", "/var/empty",
    "/var/backups", "/var/spool", "/var/lib", "/home", "/tmp", "/var", "/usr",
})


def install_path_error(path: str) -> Optional[str]:
    err = abs_path_error(path, "path")
    if err:
        return err
    if path != "/" and path.endswith("/"):
        return f"path must not end with '/' (got {path!r})"
    clean = path
    if re.search(r"[\s\"'`$\\;|&<>*?\[\]{}()]", clean):
        return f"path must not contain whitespace, quotes or shell metacharacters (got {path!r})"
    parts = [p for p in clean.split("/") if p]
    if len(parts) < 2:
        return (f"refusing path {path!r}: a base system is installed into a dedicated directory "
                f"at least two levels deep, e.g. /jails/templates/base")
    if parts[0] in _SYSTEM_TOP or clean in _SYSTEM_DIRS or any(
            clean.startswith(d + "/") for d in _SYSTEM_DIRS if d.count("/") == 2 and d not in ("/usr/home", "/usr/local")):
        return f"refusing path {path!r}: it is (inside) a system directory of the host"
    return None


def wipe(path: str) -> list[str]:
    """argv deleting the tree's contents (not the directory itself), never crossing mounts."""
    err = install_path_error(path)
    if err:
        raise ValueError(err)
    return [SH, "-c", _WIPE, "sh", path.rstrip("/")]
