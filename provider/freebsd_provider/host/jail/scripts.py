"""The commands that run jails on the host, as argv lists: jls, ``service jail``, and the /bin/sh
scripts that must do several things in one exec (a verified stop, the jail_enable/jail_list
edit under the host lock, the conf file write that allocates the epair unit under the lock).
Their exit codes (``WRITE_*``, ``STOP_*``) are the answers the resource decides on."""
from __future__ import annotations

import shlex
from typing import Optional

from ..common import lines, locked
from .paths import CONF_DIR, JAIL_ENABLE_MARKER, JLS, SERVICE, SH, conf_path

# --------------------------------------------------------------------------------------------
# jls and service jail


def jls_fact() -> list[str]:
    """Every running jail with all its parameters (libxo JSON, ``-n``): the shared fact."""
    return [JLS, "--libxo", "json", "-n"]


def service(action: str, name: str) -> list[str]:
    """``service jail one<action> NAME``: the ``one`` form works whether or not jail_enable=YES
    (``start`` without it prints "Cannot 'start' jail" and exits 0)."""
    return [SERVICE, "jail", f"one{action}", name]


def tail_file(path: str, lines: int = 20) -> list[str]:
    return [SH, "-c", '[ -e "$1" ] && tail -n "$2" "$1"; exit 0', "sh", path, str(lines)]


# Stop a jail and verify it, in one exec (rc.d/jail exits 0 even when jail(8) fails):
#   $1 jail name, $2 the epair's host end ("" = unknown), $3 the conf file a running jail must
#   have to be stopped ("" = no such check).
# A running jail is refused (exit 4) when $3 is missing, else stopped with `service jail
# onestop`; still running then -> exit 5 (the service's output is the step's output). Once it
# is not running, an epair left behind is destroyed, with a marker line when it was our stop
# (its exec.poststop) that left it.
_STOP_SCRIPT = r'''
n=$1; ep=$2; conf=$3; stopped=
if /usr/sbin/jls -j "$n" >/dev/null 2>&1; then
  if [ -n "$conf" ] && [ ! -e "$conf" ]; then exit 4; fi
  /usr/sbin/service jail onestop "$n" || exit 1
  if /usr/sbin/jls -j "$n" >/dev/null 2>&1; then exit 5; fi
  stopped=1
fi
if [ -n "$ep" ] && /sbin/ifconfig "$ep" >/dev/null 2>&1; then
  /sbin/ifconfig "$ep" destroy
  if [ -n "$stopped" ]; then printf '\001pulumi-reaped %s\n' "$ep"; fi
fi
exit 0
'''
STOP_NO_CONF = 4
STOP_STILL_RUNNING = 5
_REAPED = "\x01pulumi-reaped "


def stop(name: str, host_epair: Optional[str], conf: Optional[str] = None) -> list[str]:
    """``service jail onestop NAME`` verified with jls, then a leftover epair destroyed (see
    :data:`_STOP_SCRIPT`); with ``conf``, a running jail without that file is refused."""
    return [SH, "-c", _STOP_SCRIPT, "sh", name, host_epair or "", conf or ""]


def reaped(output: str) -> list[str]:
    """The epairs the stop script destroyed after the jail's exec.poststop left them behind."""
    return [line[len(_REAPED):] for line in lines(output) if line.startswith(_REAPED)]


def destroy_if_present(iface: str) -> list[str]:
    """``ifconfig IFACE destroy`` when it exists (a failed start can leave the epair behind);
    exits 0 either way."""
    return [SH, "-c", 'if /sbin/ifconfig "$1" >/dev/null 2>&1; then /sbin/ifconfig "$1" destroy; fi; exit 0',
            "sh", iface]


# --------------------------------------------------------------------------------------------
# rc.conf: jail_enable / jail_list (one locked script each, so concurrent jails lose nothing)

_BOOT_ON_SCRIPT = r'''
n=$1; m=$2
case $(/usr/sbin/sysrc -n jail_enable 2>/dev/null) in
  [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) ;;
  *) mkdir -p "${m%/*}"
     if [ ! -e "$m" ]; then
       # the value set in rc.conf itself (-n would fall back to /etc/defaults/rc.conf's NO)
       v=$(/usr/sbin/sysrc -f /etc/rc.conf -a 2>/dev/null | sed -n 's/^jail_enable: //p')
       if [ -n "$v" ]; then printf '%s\n' "$v" > "$m"; else echo "__unset__" > "$m"; fi
     fi
     /usr/sbin/sysrc jail_enable=YES >/dev/null || exit 1 ;;
esac
/usr/sbin/sysrc jail_list+="$n" >/dev/null
'''

_BOOT_OFF_SCRIPT = r'''
n=$1; m=$2
if /usr/sbin/sysrc -f /etc/rc.conf -n jail_list >/dev/null 2>&1; then
  /usr/sbin/sysrc jail_list-="$n" >/dev/null || exit 1
  if [ -z "$(/usr/sbin/sysrc -f /etc/rc.conf -n jail_list 2>/dev/null)" ]; then
    /usr/sbin/sysrc -x jail_list
    if [ -e "$m" ]; then
      p=$(cat "$m")
      if [ "$p" = "__unset__" ]; then /usr/sbin/sysrc -x jail_enable 2>/dev/null
      else /usr/sbin/sysrc jail_enable="$p" >/dev/null; fi
      rm -f "$m"
      rmdir "${m%/*}" 2>/dev/null
    fi
  fi
fi
exit 0
'''


def boot_enable(name: str) -> list[str]:
    """``jail_enable=YES`` (remembering the previous value, once) and ``jail_list+=NAME``."""
    return locked([SH, "-c", _BOOT_ON_SCRIPT, "sh", name, JAIL_ENABLE_MARKER])


def boot_disable(name: str) -> list[str]:
    """``jail_list-=NAME``; when the list is empty, drop it and restore jail_enable if we set it."""
    return locked([SH, "-c", _BOOT_OFF_SCRIPT, "sh", name, JAIL_ENABLE_MARKER])


# --------------------------------------------------------------------------------------------
# conf files

# Write the conf file under the host lock, choosing the epair unit there so parallel creates
# never pick the same one: the lowest N not used by an interface (ifconfig -l) nor named in
# another conf file of the directory.
#   $1 conf path, $2 requested unit ("" = allocate), $3 the staged rendered file (with the
#   EPAIR placeholder), $4 for a create, the jail name: refused (exit 4) when its conf file
#   exists or a jail of that name runs ("" = overwrite), $5 a bridge that must exist (exit 5;
#   "" = no check).  Prints the unit; a requested unit already in use exits 3.
_ALLOC_WRITE_SCRIPT = r'''
set -e
conf=$1; want=$2; dir=${conf%/*}; name=$4; bridge=$5
mkdir -p "$dir"
if [ -n "$name" ]; then
  if [ -e "$conf" ] || /usr/sbin/jls -j "$name" >/dev/null 2>&1; then
    echo "jail $name already exists (running, or $conf exists)" >&2
    exit 4
  fi
fi
ifaces=$(/sbin/ifconfig -l)
if [ -n "$bridge" ]; then
  case " $ifaces " in
    *" $bridge "*) ;;
    *) echo "bridge $bridge does not exist" >&2; exit 5 ;;
  esac
fi
others=$(for f in "$dir"/*.conf; do if [ -e "$f" ] && [ "$f" != "$conf" ]; then cat "$f"; fi; done; true)
used=$( { printf '%s\n' "$ifaces"; printf '%s\n' "$others"; } | grep -o 'epair[0-9][0-9]*' | sed 's/^epair//' | sort -un)
if [ -n "$want" ]; then
  for u in $used; do
    if [ "$u" -eq "$want" ]; then
      echo "epair$want is already in use (an existing interface or another jail's conf file in $dir)" >&2
      exit 3
    fi
  done
  n=$want
else
  n=0
  for u in $used; do
    if [ "$u" -eq "$n" ]; then n=$((n+1)); elif [ "$u" -gt "$n" ]; then break; fi
  done
fi
p=$(printf '\001')
t="$conf.pulumi-tmp.$$"
umask 022
sed "s/${p}EPAIR${p}/$n/g" < "$3" > "$t"
chmod 0644 "$t"
mv -f "$t" "$conf"
echo "$n"
'''
WRITE_IN_USE = 3
WRITE_EXISTS = 4
WRITE_NO_BRIDGE = 5


# The rendered file is staged in a temp file BEFORE the lock is taken (so the lock is never held
# while data crosses the network), then the allocation + write runs under the host lock. The
# file comes in the command itself ($4, so that the write can be one step of a batch) or, when
# $4 is empty, on stdin (a file too big for a command line).
#   $1 the locked script, $2 conf path, $3 requested unit, $4 the rendered file or "",
#   $5 $6 the create checks ($4 $5 above), $7... the lockf prefix
_STAGE_SCRIPT = r'''
script=$1 conf=$2 want=$3 text=$4 name=$5 bridge=$6; shift 6
mkdir -p "${conf%/*}" || exit 1
in=$(mktemp "$conf.pulumi-in.XXXXXX") || exit 1
if [ -n "$text" ]; then printf '%s' "$text" > "$in"; else cat > "$in"; fi || { rm -f "$in"; exit 1; }
"$@" /bin/sh -c "$script" sh "$conf" "$want" "$in" "$name" "$bridge"
rc=$?
rm -f "$in"
exit $rc
'''

# A rendered file travels in the command when its quoted form is at most this long (in practice
# a file is a few KiB). Quoted once more inside a batch it grows at most 5x: still far below
# sshd's 256 KiB packet and the host's ARG_MAX.
INLINE_MAX = 32768


def fits_inline(text: str) -> bool:
    return len(shlex.quote(text)) <= INLINE_MAX


def allocate_and_write(name: str, unit: Optional[int], text: Optional[str] = None, *,
                       create: bool = False, bridge: Optional[str] = None) -> list[str]:
    """Write the rendered conf file (with the UNIT_PLACEHOLDER) under the host lock, allocating
    the epair unit when ``unit`` is None; prints the unit.  ``text``: the file, carried in the
    command (when it :func:`fits_inline`), or None to read it from stdin.  ``create`` refuses an
    existing jail (exit WRITE_EXISTS), ``bridge`` a missing bridge (exit WRITE_NO_BRIDGE)."""
    if text is not None and not text:
        raise ValueError("empty jail conf file")
    lock_prefix = locked([])
    return [SH, "-c", _STAGE_SCRIPT, "sh", _ALLOC_WRITE_SCRIPT, conf_path(name),
            "" if unit is None else str(unit), text or "", name if create else "", bridge or "",
            *lock_prefix]


_ALL_CONFS_SCRIPT = r'''
for f in "$1"/*.conf; do
  [ -e "$f" ] || continue
  printf '\001pulumi-file %s\001\n' "$f"; cat "$f"
done
exit 0
'''


def read_confs() -> list[str]:
    """The shared fact: every file in /etc/jail.conf.d, each after a marker line."""
    return [SH, "-c", _ALL_CONFS_SCRIPT, "sh", CONF_DIR]


def written_unit(output: str) -> int:
    """The epair unit :func:`allocate_and_write` wrote (the last line it prints)."""
    return int(lines(output.strip())[-1])
