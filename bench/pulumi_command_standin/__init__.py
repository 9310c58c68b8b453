"""A stand-in for pulumi-command's ``remote.Command`` (bench/README.md says why it is needed).

Like remote.Command it opens ONE NEW SSH CONNECTION PER COMMAND (paramiko, the host key pinned:
an unknown or different key is refused), runs ``create`` on create and ``delete`` on delete, fails
the step when the command exits non-zero, and has no Read: ``refresh`` changes nothing and runs
nothing on the host. A change of ``create``/``delete``/``triggers`` replaces the resource
(remote.Command runs ``update`` or ``create`` again; here: replace, which also runs create again).

Written as a ``pulumi.dynamic`` resource; the dynamic provider process
(``pulumi-resource-pulumi-python``) imports this package, so bench/ must be on its PYTHONPATH
(bench/run.py sets it).
"""
from __future__ import annotations

import base64
import socket
import time
import uuid
from typing import Any, Optional

import pulumi
import pulumi.dynamic as dyn

_INPUTS = ("create", "delete", "triggers")


def run_command(conn: dict, command: str) -> dict:
    """Open a new SSH connection, run one command, close. Raises on a non-zero exit."""
    import io

    import paramiko

    t0 = time.monotonic()
    key_type, key_b64 = conn["hostKey"].split()[:2]
    pinned = paramiko.PKey.from_type_string(key_type, base64.b64decode(key_b64))
    client = paramiko.SSHClient()
    host, port = conn["host"], int(conn.get("port", 22))
    client.get_host_keys().add(f"[{host}]:{port}" if port != 22 else host, key_type, pinned)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    pkey = load_key(conn["privateKey"])
    try:
        client.connect(host, port=port, username=conn.get("user", "root"), pkey=pkey,
                       allow_agent=False, look_for_keys=False, timeout=30)
        # Go's net package (pulumi-command is Go) sets TCP_NODELAY on every TCP connection
        client.get_transport().sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _, stdout, stderr = client.exec_command(command)
        out = stdout.read().decode(errors="replace")
        err = stderr.read().decode(errors="replace")
        code = stdout.channel.recv_exit_status()
    finally:
        client.close()
    if code != 0:
        raise Exception(f"command exited {code}: {command}\n{err or out}")
    return {"stdout": out[-4096:], "stderr": err[-4096:], "seconds": round(time.monotonic() - t0, 3)}


def load_key(text: str):
    import io

    import paramiko
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise ValueError("unsupported private key")


class _Provider(dyn.ResourceProvider):
    def create(self, props: dict) -> dyn.CreateResult:
        res = run_command(props["connection"], props["create"])
        return dyn.CreateResult(id_=uuid.uuid4().hex, outs={**props, "stdout": res["stdout"],
                                                            "stderr": res["stderr"]})

    def diff(self, _id: str, olds: dict, news: dict) -> dyn.DiffResult:
        changed = [k for k in _INPUTS if olds.get(k) != news.get(k)]
        return dyn.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=True)

    def delete(self, _id: str, props: dict) -> None:
        if props.get("delete"):
            run_command(props["connection"], props["delete"])

    # no read(): like remote.Command, refresh keeps the recorded state as it is


class Command(dyn.Resource):
    stdout: pulumi.Output[str]
    stderr: pulumi.Output[str]

    def __init__(self, name: str, connection: Any, create: pulumi.Input[str],
                 delete: Optional[pulumi.Input[str]] = None, triggers: Optional[list] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(_Provider(), name, {
            "connection": pulumi.Output.secret(connection), "create": create, "delete": delete,
            "triggers": triggers, "stdout": None, "stderr": None,
        }, opts)
