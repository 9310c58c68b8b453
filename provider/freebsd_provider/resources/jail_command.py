"""JailCommand: a command run once inside a jail (or on the host), with an idempotency guard."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..errors import CommandFailed, JailNotRunning
from ..host import command, common
from ..host.steps import Step
from .base import DiffResult, Failure, Resource, diff_fields, dump, field

# exit_code recorded when the connection was lost while the command ran (see JailCommandState)
LOST = -1


@dataclass
class JailCommandArgs:
    create: list[str] = field(
        "The command run on create, as an argv list (no shell), e.g. `[\"createdb\", \"-O\", "
        "\"testuser\", \"testdb\"]`. Changing it replaces the resource (runs `delete`, then the "
        "new `create`). Never put a secret here: arguments are visible in the host's process "
        "list; use `stdin` or `environment`.", replace=True, check=command.arg_error)
    jail: Optional[str] = field("Name of the running jail to run in (`jexec`); unset: the host. "
                                "Changing it replaces the resource.", default=None, replace=True,
                                check=common.jail_name_error)
    user: Optional[str] = field(
        "Run as this user (`su -m USER -c CMDLINE`, the command line being the argv quoted word by "
        "word with `shlex.quote`), e.g. `postgres`. Changing it replaces the resource.",
        default=None, replace=True, check=command.user_error)
    update: Optional[list[str]] = field(
        "The command run when `stdin` or `environment` change (argv list); unset: `create` runs "
        "again (still guarded by `unless`/`creates`).", default=None, check=command.arg_error)
    delete: Optional[list[str]] = field(
        "The command run on delete (argv list), e.g. `[\"dropdb\", \"testdb\"]`; unset: delete "
        "only forgets the resource.", default=None, check=command.arg_error)
    unless: Optional[list[str]] = field(
        "A guard (argv list, run the same way, with `environment`): when it exits 0 the create "
        "(or re-run) command is skipped, e.g. `[\"sh\", \"-c\", \"psql -tAc \\\"SELECT 1 FROM "
        "pg_roles WHERE rolname='testuser'\\\" | grep -q 1\"]`.", default=None, check=command.arg_error)
    creates: Optional[str] = field(
        "A guard path: when it exists the create (or re-run) command is skipped.", default=None,
        check=lambda p: common.abs_path_error(p, "creates"))
    environment: dict[str, str] = field(
        "Environment variables for the commands. Always treated as secret: the values are sent "
        "on stdin (never on a command line) and exported by a constant runner script.",
        default_factory=dict, secret=True, key_check=command.env_key_error,
        check=command.env_value_error)  # whose message never echoes the (secret) value
    stdin: Optional[str] = field(
        "Text fed to the command's standard input, e.g. SQL for `psql -v ON_ERROR_STOP=1`. "
        "Always treated as secret (so a password in an `ALTER USER ... PASSWORD` statement never "
        "reaches a command line, a log or the state in clear).", default=None, secret=True,
        check=command.stdin_error)
    triggers: list[str] = field(
        "Opaque strings whose change replaces the resource (the command runs again).",
        default_factory=list, replace=True)
    timeout: int = field("Seconds a command may run before it is abandoned (an `unless` guard "
                         "gets as much again).", default=600, check=command.timeout_error)


@dataclass
class JailCommandState:
    stdout: str = field("Standard output of the last command run (secret when `stdin` or "
                        "`environment` is set; at most 64 KiB kept).", default="")
    stderr: str = field("Standard error of the last command run (secret like `stdout`).", default="")
    exit_code: int = field(
        "Exit status of the last command run: 0 (a failure fails the operation), or -1 when the "
        "connection was lost while it ran, so whether it ran is unknown (the next `up` runs it "
        "again, guarded by `unless`/`creates`).", default=0)
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
    crash_safety = "none"
    example = {"jail": "database", "user": "postgres", "create": ["psql", "-v", "ON_ERROR_STOP=1"],
               "stdin": "ALTER USER testuser PASSWORD 'testpass';", "environment": {"PGDATABASE": "postgres"},
               "unless": ["test", "-e", "/var/db/postgres/.done"], "creates": "/var/db/postgres/.done"}
    crash_note = (
        "A command's effect is not an object and carries no marker, and no journal record: a create "
        "killed while the command ran runs it again on the next `up`. Make it idempotent, or guard "
        "it with `unless`/`creates`.")
    import_id = "not supported (a command has no state on the host to adopt)"

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: JailCommandArgs) -> list[Failure]:
        # each argument is checked on the field; here the command as a whole
        f: list[Failure] = []
        for k in ("create", "update", "delete", "unless"):
            v = getattr(a, k)
            if v is not None and not wire.contains_unknown(v):
                err = command.argv_error(v)
                if err:
                    f.append(Failure(k, err))
        return f

    def diff(self, olds: JailCommandArgs, news: JailCommandArgs) -> DiffResult:
        res = diff_fields(self.input_fields(), dump(olds), dump(news))
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
    def _sensitive(a: JailCommandArgs) -> bool:
        return bool(a.stdin) or bool(a.environment)

    @classmethod
    def outputs(cls, args: JailCommandArgs, state: Optional[JailCommandState] = None) -> dict[str, Any]:
        """The outputs of a command that got secrets (stdin, environment) are secret too."""
        out = Resource.outputs(args, state)
        if cls._sensitive(args):
            for k in ("stdout", "stderr"):
                if k in out:
                    out[k] = wire.Secret(wire.reveal(out[k]))
        return out

    @staticmethod
    def _state(r=None, skipped: bool = False, exit_code: int = 0) -> JailCommandState:
        return JailCommandState(stdout=command.clip(r.stdout) if r is not None else "",
                                stderr=command.clip(r.stderr) if r is not None else "",
                                skipped=skipped, exit_code=r.exit_code if r is not None else exit_code)

    async def _guarded(self, ctx, rid: str, a: JailCommandArgs, argv: list[str], *,
                       guards: bool = True, record: bool = True) -> JailCommandState:
        """Run ``argv`` (skipped when a guard holds) in ONE exec; ``record``: a run whose exec
        was lost is recorded (exit code LOST) so that the next ``up`` runs it again and
        ``destroy`` runs ``delete``."""
        jail = a.jail
        creates, unless = (a.creates, a.unless) if guards else (None, None)
        mark = None
        if creates or unless:
            # the guards (`creates`, then `unless`) and the command, by the guarded runner; a
            # guard that holds makes it print the skip mark instead of running it
            mark = command.skip_mark(secrets.token_hex(16))
            full = command.guarded(jail, argv, a.user, mark, creates=creates, unless=unless)
        else:
            full = command.command(jail, argv, a.user)
        # the unless guard runs within the same exec: it gets a budget of its own
        step = Step(full, "run", stdin=command.stdin_for(a.environment, a.stdin),
                    sensitive=self._sensitive(a), timeout=a.timeout * 2 if unless else a.timeout)

        def partial(done):
            return (rid, self.outputs(a, self._state(exit_code=LOST)),
                    f"{argv[0]} may or may not have run in {'jail ' + jail if jail else 'the host'}")
        try:
            done = await self.apply(ctx, [step], partial=partial if record else None)
        except CommandFailed as e:
            res = e.result
            # the message names the program and the exit code; never the stdin/environment
            raise RuntimeError(
                f"{argv[0]} failed in {'jail ' + jail if jail else 'the host'} (exit {res.exit_code})"
                + (f": {res.stderr.strip()[-2000:]}" if res.stderr.strip() else "")) from None
        r = done["run"]
        if mark is not None and command.was_skipped(r.stdout, mark):
            return self._state(skipped=True)
        return self._state(r)

    # -- lifecycle ------------------------------------------------------------------------
    async def create(self, ctx, a: JailCommandArgs):
        rid = f"{a.jail or ''}:{a.create[0]}"
        return rid, await self._guarded(ctx, rid, a, a.create)

    async def read(self, ctx, rid, a: Optional[JailCommandArgs], state: Optional[JailCommandState]):
        if a is None:
            raise RuntimeError("JailCommand cannot be imported: a command leaves no state on the "
                               "host to adopt; declare it (with an `unless`/`creates` guard) instead")
        return a, state or JailCommandState()

    async def update(self, ctx, rid, olds: JailCommandArgs, news: JailCommandArgs, state: JailCommandState):
        if state.exit_code == LOST:
            # the create's exec was lost: run it again, guarded
            return await self._guarded(ctx, rid, news, news.create)
        runs = (wire.reveal(olds.stdin) != wire.reveal(news.stdin) or
                wire.reveal(olds.environment or {}) != wire.reveal(news.environment or {}))
        if not runs:
            return state
        # a lost exec here is not recorded: the old inputs stay, so the next `up` runs it again
        if news.update:
            return await self._guarded(ctx, rid, news, news.update, guards=False, record=False)
        return await self._guarded(ctx, rid, news, news.create, record=False)

    async def delete(self, ctx, rid, a: JailCommandArgs, state: JailCommandState):
        argv = a.delete
        if not argv:
            return
        step = Step(command.command(a.jail, argv, a.user), "delete",
                    stdin=command.stdin_for(a.environment, None), sensitive=self._sensitive(a),
                    timeout=a.timeout)
        try:
            await self.apply(ctx, [step])
        except CommandFailed as e:
            if a.jail and isinstance(e, JailNotRunning):
                await ctx.host.log(f"jail {a.jail} is not running: {argv[0]} not run", "info")
                return
            raise RuntimeError(f"{argv[0]} (delete) failed (exit {e.result.exit_code})"
                               + (f": {e.result.stderr.strip()[-2000:]}" if e.result.stderr.strip() else "")) from None
