"""Life cycle of a testbed host: provision, start (namespace + sshd + proxy), boot, stop.

Layout of a state dir (default ``$FREEBSD_TESTBED_HOME/NAME``)::

    info.json            name, ports, pids, key paths (written by up)
    faults.json          fault-injection controls read by the proxy (see proxy.py)
    keys/                host_ed25519{,.pub} (sshd's host key), client_ed25519{,.pub}
    known_hosts          "[127.0.0.1]:PORT ssh-ed25519 ..." for StrictHostKeyChecking
    root/                the host's "/" : plain dirs boot jails tmp home zroot run srv mnt media
                         work..., symlinks bin sbin lib lib64 -> usr/..., and mount points
    upper/{usr,etc,var,root,opt}, work/...   overlayfs upper/work dirs over this machine's dirs
    logs/                supervisor.log, proxy.log

Inside a private mount namespace (``unshare -m --propagation private``) the host's root is
assembled under ``root/``: overlays for /usr /etc /var /root /opt, bind mounts of /dev /sys, a
fresh /proc, and a read-only bind of the repository (so the venv and this package are
reachable at the same path); then ``chroot`` and ``exec sshd -D``.  Nothing is mounted in the
caller's namespace, and everything written on the host lands in the state dir.
From outside, the live host is reached through ``/proc/<sshd pid>/root`` (boot, reboot).
Only the standard library is used: ``ns_main`` runs with ``python -SE``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Optional

PKG_DIR = os.path.dirname(os.path.abspath(__file__))
PKG_PARENT = os.path.dirname(PKG_DIR)
REPO = os.path.dirname(PKG_PARENT)
# Inside the host the repository is bound read-only at a fixed path, outside every directory a
# jail's view replaces (/tmp, /etc, /var, /usr/local, /home): wherever the checkout lives on this
# machine (CI clones into another folder), launchers and jails find the package there.
IN_HOST_SRC = "/.testbed-src"
IN_HOST_PKG_PARENT = IN_HOST_SRC + "/" + os.path.basename(PKG_PARENT)
OVERLAYS = ("usr", "etc", "var", "root", "opt")
FRESH_DIRS = ("boot", "jails", "tmp", "home", "zroot", "run", "srv", "mnt", "media", "dev",
              "proc", "sys")
SYMLINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
HOST_PATH = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"
SSHD_CONFIG = "/etc/ssh/testbed_sshd_config"
SESSION = "/usr/libexec/testbed-session"
COMMAND_LOG = "/var/log/testbed/commands.jsonl"


class TestbedError(Exception):
    """A user-facing error (bad name, not running, ...)."""


def home() -> str:
    return os.environ.get("FREEBSD_TESTBED_HOME") or os.path.join(REPO, ".state", "testbeds")


def python_path() -> str:
    return os.path.realpath(sys.executable)


def build_session_binary() -> Optional[str]:
    """Compile session.c once per source version (cached); None when no C compiler works."""
    src = os.path.join(PKG_DIR, "session.c")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc or not os.path.exists(src):
        return None
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    cache = os.path.join(os.environ.get("PULUMI_FREEBSD_CACHE") or os.path.expanduser("~/.cache/pulumi-freebsd"),
                         "testbed")
    out = os.path.join(cache, f"testbed-session-{digest}")
    if os.path.exists(out):
        return out
    os.makedirs(cache, exist_ok=True)
    tmp = f"{out}.{os.getpid()}.tmp"
    r = subprocess.run([cc, "-O2", "-o", tmp, src], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(f"freebsd-testbed: cannot build the C session wrapper, using session.py: {r.stderr[-500:]}\n")
        return None
    os.replace(tmp, out)
    return out


def ensure_deps() -> None:
    """Install Debian's openssh-server when sshd is missing (as root, with apt-get)."""
    if os.path.exists("/usr/sbin/sshd") and shutil.which("ssh-keygen"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "openssh-server", "openssh-client"], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


class Testbed:
    def __init__(self, name: str, state_dir: str | None = None):
        self.name = name
        self.dir = os.path.abspath(state_dir or os.path.join(home(), name))

    # ------------------------------------------------------------------ paths
    def p(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    @property
    def info_path(self) -> str:
        return self.p("info.json")

    def exists(self) -> bool:
        return os.path.exists(self.info_path)

    def info(self) -> dict[str, Any]:
        try:
            with open(self.info_path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _save_info(self, info: dict[str, Any]) -> None:
        tmp = self.info_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=1, sort_keys=True)
        os.replace(tmp, self.info_path)

    def upper(self, hostpath: str) -> str:
        """Where a new file at ``hostpath`` lands when written while the host is down."""
        parts = hostpath.lstrip("/").split("/", 1)
        top = SYMLINKS.get(parts[0], parts[0]).split("/")
        rest = "/".join(top[1:] + parts[1:])
        if top[0] in OVERLAYS:
            return os.path.join(self.p("upper", top[0]), rest)
        return os.path.join(self.p("root", top[0]), rest)

    # ------------------------------------------------------------------ state
    def running(self) -> bool:
        info = self.info()
        pid = info.get("sshd_pid")
        if not _alive(pid):
            return False
        try:
            root = os.readlink(f"/proc/{pid}/root")
        except OSError:
            return False
        return root == self.p("root")

    def public_info(self) -> dict[str, Any]:
        info = self.info()
        return {
            "name": self.name, "host": "127.0.0.1", "port": info.get("port"), "user": "root",
            "private_key_path": self.p("keys", "client_ed25519"),
            "host_key": info.get("host_key"), "state_dir": self.dir,
        }

    def status(self) -> dict[str, Any]:
        d = self.public_info()
        info = self.info()
        d.update(running=self.running(), sshd_pid=info.get("sshd_pid"),
                 proxy_pid=info.get("proxy_pid"), internal_port=info.get("internal_port"))
        return d

    # ------------------------------------------------------------------ provisioning
    def _provision(self) -> dict[str, Any]:
        info = self.info()
        for d in ("keys", "logs", "root", "upper", "work"):
            os.makedirs(self.p(d), exist_ok=True)
        for d in OVERLAYS:
            os.makedirs(self.p("upper", d), exist_ok=True)
            os.makedirs(self.p("work", d), exist_ok=True)
            os.makedirs(self.p("root", d), exist_ok=True)
        for d in FRESH_DIRS:
            os.makedirs(self.p("root", d), exist_ok=True)
        os.chmod(self.p("root", "tmp"), 0o1777)
        os.makedirs(self.p("root", "run", "sshd"), mode=0o755, exist_ok=True)
        for link, target in SYMLINKS.items():
            if not os.path.lexists(self.p("root", link)):
                os.symlink(target, self.p("root", link))
        os.makedirs(self.p("root", IN_HOST_SRC.lstrip("/")), exist_ok=True)
        # keys
        for key, comment in (("host_ed25519", "testbed-host"), ("client_ed25519", "testbed-client")):
            if not os.path.exists(self.p("keys", key)):
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                                "-f", self.p("keys", key)], check=True)
        with open(self.p("keys", "host_ed25519.pub"), encoding="ascii") as f:
            host_key = " ".join(f.read().split()[:2])
        with open(self.p("keys", "client_ed25519.pub"), encoding="ascii") as f:
            client_pub = f.read().strip()
        # ports
        port = info.get("port")
        if not port or not _port_free(port):
            port = _free_port()
        internal = info.get("internal_port")
        if not internal or not _port_free(internal) or internal == port:
            internal = _free_port()
            while internal == port:
                internal = _free_port()
        # files in the host written before sshd starts (go straight to the upper dirs)
        etc_ssh = self.upper("/etc/ssh")
        os.makedirs(etc_ssh, exist_ok=True)
        shutil.copyfile(self.p("keys", "host_ed25519"), os.path.join(etc_ssh, "testbed_host_ed25519_key"))
        os.chmod(os.path.join(etc_ssh, "testbed_host_ed25519_key"), 0o600)
        with open(os.path.join(etc_ssh, "testbed_authorized_keys"), "w", encoding="ascii") as f:
            f.write(client_pub + "\n")
        with open(self.upper(SSHD_CONFIG), "w", encoding="ascii") as f:
            f.write(self._sshd_config(internal))
        passwd = self.upper("/etc/passwd")
        if not os.path.exists(passwd):
            with open("/etc/passwd", encoding="utf-8") as f:
                lines = f.read().rstrip("\n").split("\n")
            out = []
            for ln in lines:
                fields = ln.split(":")
                if fields[0] == "root" and len(fields) == 7:
                    fields[6] = "/bin/sh"
                    ln = ":".join(fields)
                out.append(ln)
            with open(passwd, "w", encoding="utf-8") as f:
                f.write("\n".join(out) + "\n")
            os.chmod(passwd, 0o644)
        group = self.upper("/etc/group")
        if not os.path.exists(group):
            # FreeBSD's gid 0 is "wheel" (root:wheel owns system files); Debian calls it "root".
            with open("/etc/group", encoding="utf-8") as f:
                text = f.read()
            if not any(ln.startswith("wheel:") for ln in text.split("\n")):
                text = text.rstrip("\n") + "\nwheel:x:0:root\n"
            with open(group, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(group, 0o644)
        self._install_programs()
        with open(self.p("known_hosts"), "w", encoding="ascii") as f:
            f.write(f"[127.0.0.1]:{port} {host_key}\n")
        if not os.path.exists(self.p("faults.json")):
            with open(self.p("faults.json"), "w", encoding="utf-8") as f:
                f.write("{}\n")
        info.update(name=self.name, port=port, internal_port=internal, host_key=host_key)
        self._save_info(info)
        return info

    def _sshd_config(self, internal_port: int) -> str:
        return f"""# sshd of the simulated FreeBSD host (generated by freebsd-testbed)
Port {internal_port}
ListenAddress 127.0.0.1
HostKey /etc/ssh/testbed_host_ed25519_key
PidFile /run/testbed-sshd.pid
AuthorizedKeysFile /etc/ssh/testbed_authorized_keys
PermitRootLogin prohibit-password
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
MaxSessions 10
SetEnv PATH={HOST_PATH}
ForceCommand {SESSION}
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel INFO
"""

    def _install_programs(self) -> None:
        from .tools import dispatch
        py = python_path()
        launcher = dispatch.launcher_text(py, IN_HOST_PKG_PARENT)
        for _name, (_mod, path) in dispatch.TOOLS.items():
            dest = self.upper(path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(launcher)
            os.chmod(dest, 0o755)
        dest = self.upper(SESSION)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(os.path.join(PKG_DIR, "session.py"), encoding="utf-8") as f:
            body = f.read()
        # session.py runs --fail-next rules; the C session (when a cc is at hand) is the fast path
        binary = build_session_binary()
        py_dest = dest + ".py" if binary else dest
        with open(py_dest, "w", encoding="utf-8") as f:
            f.write(f"#!{py} -SE\n" + body)
        os.chmod(py_dest, 0o755)
        if binary:
            shutil.copyfile(binary, dest)
            os.chmod(dest, 0o755)
        # bytecode for the read-only package inside the host (keeps launchers fast)
        subprocess.run([py, "-m", "compileall", "-q", PKG_DIR], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    # ------------------------------------------------------------------ start / stop
    def up(self) -> dict[str, Any]:
        if self.running() and _alive(self.info().get("proxy_pid")):
            return self.public_info()
        if self.running():
            self.down()
        ensure_deps()
        self._provision()
        self._start_sshd()
        try:
            self.boot()
            self._start_proxy()
            self._wait_ready()
        except Exception:
            self.down()
            raise
        return self.public_info()

    def _start_sshd(self) -> None:
        code = ("import sys; sys.path.insert(0, %r); from freebsd_testbed.host import ns_main; "
                "ns_main(%r)" % (PKG_PARENT, self.dir))
        log = open(self.p("logs", "supervisor.log"), "ab")
        proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", python_path(), "-SE", "-c", code],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"})
        log.close()
        info = self.info()
        info["sshd_pid"] = proc.pid
        self._save_info(info)
        deadline = time.time() + 15
        while time.time() < deadline:
            if proc.poll() is not None:
                raise TestbedError(f"sshd did not start; see {self.p('logs', 'supervisor.log')} "
                                   f"and {self.upper('/var/log/testbed/sshd.log')}")
            if self.running() and _listening(info["internal_port"]):
                return
            time.sleep(0.05)
        raise TestbedError("sshd did not start in time")

    def _start_proxy(self) -> None:
        info = self.info()
        log = open(self.p("logs", "proxy.log"), "ab")
        proc = subprocess.Popen(
            [python_path(), "-SE", "-c",
             "import sys; sys.path.insert(0, %r); from freebsd_testbed import proxy; "
             "sys.exit(proxy.main(sys.argv))" % PKG_PARENT,
             self.dir, str(info["port"]), str(info["internal_port"])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        info["proxy_pid"] = proc.pid
        self._save_info(info)

    def _wait_ready(self) -> None:
        port = self.info()["port"]
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise TestbedError("the testbed's port did not come up")

    def boot(self) -> None:
        """Populate missing FreeBSD files, then run the boot steps, inside the live host."""
        if not self.running():
            raise TestbedError(f"testbed '{self.name}' is not running")
        _in_host(self.info()["sshd_pid"], "freebsd_testbed.boot", "power_on")

    def reboot(self) -> None:
        """Like a real reboot: every SSH connection drops, runtime state is lost, boot runs."""
        if not self.running():
            raise TestbedError(f"testbed '{self.name}' is not running")
        self.set_faults(drop=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.faults().get("drop_all"):
            time.sleep(0.05)  # the proxy clears the flag once it has dropped them
        self.boot()

    def _host_pids(self) -> list[int]:
        me = self.p("root")
        pids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if os.readlink(f"/proc/{d}/root") == me:
                        pids.append(int(d))
                except OSError:
                    pass
        return pids

    def down(self, purge: bool = False) -> None:
        info = self.info()
        for key in ("proxy_pid", "sshd_pid"):
            pid = info.get(key)
            if _alive(pid):
                if key == "sshd_pid" and not self.running():
                    continue  # a recycled pid: not ours
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        # sessions still running inside the host (they keep the namespace alive)
        for pid in self._host_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 5
        while time.time() < deadline and (self._host_pids() or _alive(info.get("proxy_pid"))):
            time.sleep(0.05)
        for key in ("proxy_pid", "sshd_pid"):
            info.pop(key, None)
        if purge:
            if self._host_pids():
                raise TestbedError("host processes still running; not purging")
            shutil.rmtree(self.dir, ignore_errors=True)
        elif info:
            self._save_info(info)

    # ------------------------------------------------------------------ commands
    def ssh_argv(self, command: str) -> list[str]:
        info = self.info()
        return ["ssh", "-i", self.p("keys", "client_ed25519"), "-p", str(info["port"]),
                "-o", f"UserKnownHostsFile={self.p('known_hosts')}",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "LogLevel=ERROR", "root@127.0.0.1", "--", command]

    def exec(self, command: str) -> int:
        if not self.running():
            raise TestbedError(f"testbed '{self.name}' is not running")
        return subprocess.call(self.ssh_argv(command))

    # -- faults (for tests) ---------------------------------------------------------------
    # Proxy-level faults live in STATE/faults.json (read by proxy.py on this machine);
    # command-level ones (fail-next, stall-next) in the host's /run/testbed/fail-next.json, read
    # by the session wrapper inside the host (STATE/root/run is the host's /run, a plain
    # directory); faults() lists both kinds, in order, under "fail_next".
    def _fail_next_path(self) -> str:
        return self.p("root", "run", "testbed", "fail-next.json")

    def faults(self) -> dict[str, Any]:
        import json as _json
        try:
            with open(self.p("faults.json"), encoding="utf-8") as f:
                data = _json.load(f) or {}
        except (OSError, ValueError):
            data = {}
        try:
            with open(self._fail_next_path(), encoding="utf-8") as f:
                data["fail_next"] = _json.load(f)
        except (OSError, ValueError):
            pass
        return data

    def set_faults(self, *, clear: bool = False, latency_ms: int | None = None, drop: bool = False,
                   fail_next: str | None = None, times: int = 1, stall_next: str | None = None,
                   stall_ms: int | None = None) -> dict[str, Any]:
        """Set faults (``clear`` first drops every one). ``fail_next``/``stall_next`` append a
        command rule for the next ``times`` matching command lines: fail them (exit 1, not run),
        or let them run and hold back their exit status for ``stall_ms`` ms."""
        import fcntl
        import json as _json
        if stall_next is not None and (not isinstance(stall_ms, int) or stall_ms < 0):
            raise TestbedError("fault: --stall-next needs --ms N (N >= 0)")
        path = self.p("faults.json")
        data = {} if clear else {k: v for k, v in self.faults().items() if k != "fail_next"}
        if latency_ms is not None:
            data["latency_ms"] = latency_ms
        if drop:
            data["drop_all"] = True
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            _json.dump(data, f)
        os.replace(tmp, path)
        fn = self._fail_next_path()
        os.makedirs(os.path.dirname(fn), exist_ok=True)
        with open(fn + ".lock", "a") as lf:
            fcntl.flock(lf, fcntl.LOCK_EX)
            rules = [] if clear else (self.faults().get("fail_next") or [])
            if fail_next is not None:
                rules.append({"pattern": fail_next, "times": times})
            if stall_next is not None:
                rules.append({"pattern": stall_next, "times": times, "stall_ms": stall_ms})
            if rules:
                with open(fn + ".tmp", "w", encoding="utf-8") as f:
                    _json.dump(rules, f)
                os.replace(fn + ".tmp", fn)
            elif os.path.exists(fn):
                os.unlink(fn)
        return self.faults()

    def command_log(self) -> list[str]:
        path = self.upper(COMMAND_LOG)
        try:
            with open(path, encoding="utf-8") as f:
                return [ln for ln in f.read().split("\n") if ln.strip()]
        except FileNotFoundError:
            return []


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _in_host(pid: int, module: str, func: str) -> None:
    """Call ``module.func()`` inside the host: its mount namespace and root (nsenter -m -r).

    Going through /proc/PID/root from outside is not safe: absolute symlinks on the host
    (e.g. /var/run -> /run) would resolve against this machine's root.
    """
    code = (f"import sys; sys.path.insert(0, {IN_HOST_PKG_PARENT!r}); import {module} as m; m.{func}()")
    subprocess.run(["nsenter", "-t", str(pid), "-m", "-r", "-w", "--", python_path(), "-SE", "-c",
                    code], check=True, env={"TESTBED_ROOT": "/", "PATH": HOST_PATH, "LANG": "C"})


# ---------------------------------------------------------------------- inside the namespace

def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def ns_main(state_dir: str) -> None:
    """Run inside ``unshare -m``: assemble the host's root, chroot, exec sshd."""
    root = os.path.join(state_dir, "root")
    for d in OVERLAYS:
        _mount("-t", "overlay", "overlay", "-o",
               f"lowerdir=/{d},upperdir={state_dir}/upper/{d},workdir={state_dir}/work/{d}",
               f"{root}/{d}")
    _mount("--rbind", "/dev", f"{root}/dev")
    _mount("--rbind", "/sys", f"{root}/sys")
    _mount("-t", "proc", "proc", f"{root}/proc")
    repo_in = os.path.join(root, IN_HOST_SRC.lstrip("/"))
    os.makedirs(repo_in, exist_ok=True)
    _mount("--bind", REPO, repo_in)
    _mount("-o", "remount,bind,ro", repo_in)
    os.chroot(root)
    os.chdir("/")
    os.makedirs("/var/log/testbed", exist_ok=True)
    os.makedirs("/run/sshd", exist_ok=True)
    os.execve("/usr/sbin/sshd", ["/usr/sbin/sshd", "-D", "-f", SSHD_CONFIG, "-E",
                                  "/var/log/testbed/sshd.log"],
              {"PATH": HOST_PATH, "LANG": "C"})
