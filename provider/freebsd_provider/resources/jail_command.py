"""JailCommand: a command run once inside a jail (or on the host), with an idempotency guard."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import command, common
from ..hostctx import Host
from ..ssh import CommandError
from .base import DiffResult, Failure, Resource, diff_fields, field


@dataclass
class JailCommandArgs:
    create: list[str] = field(
        "The command run on create, as an argv list (no shell), e.g. `[\"createdb\", \"-O\", "
        "\"testuser\", \"testdb\"]`. Changing it replaces the resource (runs `delete`, then the "
        "new `create`). Never put a secret here: arguments are visible in the host's process "
        "list; use `stdin` or `environment`.", replace=True)
    jail: Optional[str] = field("Name of the running jail to run in (`jexec`); unset: the host. "
                                "Changing it replaces the resource.", default=None, replace=True)
    user: Optional[str] = field(
        "Run as this user (`su -m USER -c CMDLINE`, the command line being the argv quoted word by "
        "word with `shlex.quote`), e.g. `postgres`. Changing it replaces the resource.",
        default=None, replace=True)
    update: Optional[list[str]] = field(
        "The command run when `stdin` or `environment` change (argv list); unset: `create` runs "
        "again (still guarded by `unless`/`creates`).", default=None)
    delete: Optional[list[str]] = field(
        "The command run on delete (argv list), e.g. `[\"dropdb\", \"testdb\"]`; unset: delete "
        "only forgets the resource.", default=None)
    unless: Optional[list[str]] = field(
        "A guard (argv list, run the same way, with `environment`): when it exits 0 the create "
        "(or re-run) command is skipped, e.g. `[\"sh\", \"-c\", \"psql -tAc \\\"SELECT 1 FROM "
        "pg_roles WHERE rolname='testuser'\\\" | grep -q 1\"]`.", default=None)
    creates: Optional[str] = field(
        "A guard path: when it exists the create (or re-run) command is skipped.", default=None)
    environment: dict[str, str] = field(
        "Environment variables for the commands. Always treated as secret: the values are sent "
        "on stdin (never on a command line) and exported by a constant runner script.",
        default_factory=dict, secret=True)
    stdin: Optional[str] = field(
        "Text fed to the command's standard input, e.g. SQL for `psql -v ON_ERROR_STOP=1`. "
        "Always treated as secret (so a password in an `ALTER USER ... PASSWORD` statement never "
        "reaches a command line, a log or the state in clear).", default=None, secret=True)
    triggers: list[str] = field(
        "Opaque strings whose change replaces the resource (the command runs again).",
        default_factory=list, replace=True)
    timeout: int = field("Seconds a command may run before it is abandoned.", default=600)


@dataclass
class JailCommandState:
    stdout: str = field("Standard output of the last command run (secret when `stdin` or "
                        "`environment` is set; at most 64 KiB kept).", default="")
    stderr: str = field("Standard error of the last command run (secret like `stdout`).", default="")
    exit_code: int = field("Exit status of the last command run (0; a failure fails the operation).", default=0)
    skipped: bool = field("True when the guard (`unless`/`creates`) held and nothing ran.", default=False)


class JailCommand(Resource):
    token = "freebsd:index:JailCommand"
    description = (
        "A command run once inside a jail (or on the host) when the resource is created, with an "
        "optional update and delete command, for steps that have no better resource, such as "
        "`createuser`/`createdb`/`psql` as the `postgres` user.\n\n"
        "Commands are argv lists run through a constant runner script (`jexec JAIL /bin/sh -c "
        "RUNNER sh ARGV...`): `environment` and `stdin` travel on stdin, never on a command line, "
        "and are always secret, so are the outputs of a command that received them. `user` runs "
        "it through `su -m USER -c`, with the argv quoted word by word at one place.\n\n"
        "Guards: `unless` (exit 0 skips the run) and `creates` (an existing path skips it) make "
        "it idempotent, e.g. when the state was lost.\n\n"
        "Refresh keeps the recorded state (a command has no live state to read). Import is not "
        "supported: there is nothing on the host to adopt."
    )
    Args = JailCommandArgs
    State = JailCommandState
    example = {"jail": "database", "user": "postgres", "create": ["psql", "-v", "ON_ERROR_STOP=1"],
               "stdin": "ALTER USER testuser PASSWORD 'testpass';", "environment": {"PGDATABASE": "postgres"},
               "unless": ["test", "-e", "/var/db/postgres/.done"], "creates": "/var/db/postgres/.done"}
    import_id = "not supported (a command has no state on the host to adopt)"

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []

        def known(v):
            return v is not None and not wire.contains_unknown(v)
        for k in ("create", "update", "delete", "unless"):
            if known(inputs.get(k)):
                err = command.argv_error(inputs[k])
                if err:
                    f.append(Failure(k, err))
        if known(inputs.get("jail")):
            err = common.jail_name_error(inputs["jail"])
            if err:
                f.append(Failure("jail", err))
        if known(inputs.get("user")):
            err = command.user_error(inputs["user"])
            if err:
                f.append(Failure("user", err))
        if known(inputs.get("creates")):
            err = common.abs_path_error(inputs["creates"], "creates")
            if err:
                f.append(Failure("creates", err))
        for k, v in (inputs.get("environment") or {}).items():
            err = command.env_key_error(k)
            if err:
                f.append(Failure(f"environment.{k}" if k.isidentifier() else "environment", err))
                continue
            if known(v):
                err = command.env_value_error(v)
                if err:
                    # never echo the value: it is secret
                    f.append(Failure(f"environment.{k}", err))
        if known(inputs.get("stdin")) and "\x00" in inputs["stdin"]:
            f.append(Failure("stdin", "stdin must not contain NUL characters"))
        t = inputs.get("timeout")
        if isinstance(t, int) and not (1 <= t <= 86400):
            f.append(Failure("timeout", "timeout must be between 1 and 86400 seconds"))
        return f

    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news)
        for k, d in res.changes.items():
            if d.replace:
                d.why = f"changing '{k}' runs the command again (delete, then create)"
            elif k in ("stdin", "environment"):
                d.why = "runs `update` (or `create` again, guarded)"
            else:
                d.why = "recorded only; nothing runs"
        return res

    # -- running ----------------------------------------------------------------------------
    @staticmethod
    def _sensitive(inputs: dict[str, Any]) -> bool:
        return bool(inputs.get("stdin")) or bool(inputs.get("environment"))

    async def _run(self, host: Host, inputs: dict[str, Any], argv: list[str], *, check: bool = True,
                   with_stdin: bool = True):
        full = command.command(inputs.get("jail"), argv, inputs.get("user"))
        data = command.stdin_for(inputs.get("environment"), inputs.get("stdin") if with_stdin else None)
        return await host.run(full, stdin=data, check=check, timeout=float(inputs.get("timeout") or 600),
                              sensitive=self._sensitive(inputs))

    async def _guarded(self, host: Host, inputs: dict[str, Any], argv: list[str]) -> dict[str, Any]:
        jail = inputs.get("jail")
        creates, unless = inputs.get("creates"), inputs.get("unless")
        try:
            if creates or unless:
                # ONE exec: the guards (`creates`, then `unless`) and the command, by the guarded
                # runner; a guard that holds makes it print the skip mark instead of running it
                mark = command.skip_mark(secrets.token_hex(16))
                full = command.guarded(jail, argv, inputs.get("user"), mark, creates=creates, unless=unless)
                data = command.stdin_for(inputs.get("environment"), inputs.get("stdin"))
                timeout = float(inputs.get("timeout") or 600)
                # the unless guard had a timeout of its own before it shared this exec
                r = await host.run(full, stdin=data, timeout=timeout * 2 if unless else timeout,
                                   sensitive=self._sensitive(inputs))
                if command.was_skipped(r.stdout, mark):
                    return self._outputs(inputs, None, skipped=True)
            else:
                r = await self._run(host, inputs, argv)
        except CommandError as e:
            res = e.result
            # the message names the program and the exit code; never the stdin/environment
            raise RuntimeError(
                f"{argv[0]} failed in {'jail ' + jail if jail else 'the host'} (exit {res.exit_code})"
                + (f": {res.stderr.strip()[-2000:]}" if res.stderr.strip() else "")) from None
        return self._outputs(inputs, r)

    def _outputs(self, inputs: dict[str, Any], r, skipped: bool = False) -> dict[str, Any]:
        out = dict(inputs)
        stdout = command.clip(r.stdout) if r is not None else ""
        stderr = command.clip(r.stderr) if r is not None else ""
        if self._sensitive(inputs):
            stdout, stderr = wire.Secret(stdout), wire.Secret(stderr)
        out.update({"stdout": stdout, "stderr": stderr,
                    "exitCode": r.exit_code if r is not None else 0, "skipped": skipped})
        return out

    # -- lifecycle ------------------------------------------------------------------------
    async def create(self, ctx, inputs):
        out = await self._guarded(ctx.host, inputs, inputs["create"])
        rid = f"{inputs.get('jail') or ''}:{inputs['create'][0]}"
        return rid, out

    async def read(self, ctx, rid, inputs, state):
        if inputs is None:
            raise RuntimeError("JailCommand cannot be imported: a command leaves no state on the "
                               "host to adopt; declare it (with an `unless`/`creates` guard) instead")
        out = dict(state or {})
        out.update(inputs)
        if self._sensitive(inputs):
            for k in ("stdout", "stderr"):
                if k in out and not isinstance(out[k], wire.Secret):
                    out[k] = wire.Secret(out[k])
        return dict(inputs), out

    async def update(self, ctx, rid, olds, news, state):
        runs = (wire.reveal(olds.get("stdin")) != wire.reveal(news.get("stdin")) or
                wire.reveal(olds.get("environment") or {}) != wire.reveal(news.get("environment") or {}))
        if not runs:
            out = dict(state)
            out.update(news)
            if self._sensitive(news):
                for k in ("stdout", "stderr"):
                    out[k] = wire.Secret(wire.reveal(out.get(k, "")))
            return out
        if news.get("update"):
            return await self._guarded(ctx.host, {**news, "unless": None, "creates": None}, news["update"])
        return await self._guarded(ctx.host, news, news["create"])

    async def delete(self, ctx, rid, inputs, state):
        argv = inputs.get("delete")
        if not argv:
            return
        try:
            await self._run(ctx.host, inputs, argv, with_stdin=False)
        except CommandError as e:
            if inputs.get("jail") and "not found" in e.result.stderr and "jail" in e.result.stderr:
                await ctx.host.log(f"jail {inputs['jail']} is not running: {argv[0]} not run", "info")
                return
            raise RuntimeError(f"{argv[0]} (delete) failed (exit {e.result.exit_code})"
                               + (f": {e.result.stderr.strip()[-2000:]}" if e.result.stderr.strip() else "")) from None
