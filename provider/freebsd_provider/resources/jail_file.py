"""JailFile: a whole file, or lines in a file, inside a jail (or on the host)."""
from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .. import wire
from ..errors import CommandFailed, JailNotRunning
from ..host import common, files
from ..host.steps import Step
from ..ssh import Result
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import DiffResult, Failure, Resource, diff_fields, dump, field

DEFAULT_MODE = "0644"
DEFAULT_OWNER = "root:wheel"


@dataclass
class FileLine:
    """One line that must be present in a file (JailFile's line-in-file form)."""
    line: str = field("The exact line (without the newline), e.g. `listen_addresses = '*'`.",
                      check=files.line_error)
    match: Optional[str] = field(
        "A regular expression (Python syntax, searched in each line): when the line is missing, "
        "the first line it matches is replaced instead of appending, e.g. `^#?listen_addresses`.",
        default=None, check=files.regex_error)


@dataclass
class JailFileArgs:
    path: str = field("Absolute path of the file, as seen inside the jail (or on the host). "
                      "Changing it replaces the resource.", replace=True, check=files.path_error)
    jail: Optional[str] = field("Name of the running jail holding the file (read and written "
                                "through `jexec`, so owners resolve in the jail's passwd); unset: "
                                "the host. Changing it replaces the resource.", default=None, replace=True,
                                check=common.jail_name_error)
    content: Optional[str] = field(
        "The whole content of the file (text). May be a secret: it then stays secret in state and "
        "outputs and never appears in a log or a command line (it is written through stdin). "
        "Exactly one of `content` and `lines` must be set.", default=None, check=files.content_error)
    lines: Optional[list[FileLine]] = field(
        "Line-in-file form: lines that must be present in an existing file (appended, or replacing "
        "the first line their `match` finds); the rest of the file is left alone. For edits such "
        "as postgresql.conf's `listen_addresses` or a pg_hba.conf `host` line. Delete removes the "
        "added lines and puts replaced lines back.", default=None)
    mode: Optional[str] = field(
        "Permissions in octal, e.g. `0600`. Default for `content`: `0644`; for `lines`: the "
        "file's mode is kept unless set.", default=None, check=files.mode_error)
    owner: Optional[str] = field(
        "Owner as `user[:group]`, e.g. `postgres:postgres`. Default for `content`: `root:wheel`; "
        "for `lines`: the file's owner is kept unless set.", default=None, check=files.owner_error)
    overwrite: bool = field(
        "Allow `content` to replace an existing file larger than 64 KiB (whose previous content "
        "is then not kept for delete to restore). Smaller files are backed up in the state and "
        "restored on delete.", default=False)


@dataclass
class JailFileState:
    sha256: str = field("SHA-256 of the file's content after the last apply (use it in a "
                        "JailService's `restartOn`).", default="")
    created: bool = field("True when the file did not exist before (delete removes it).", default=False)
    previous_content: Optional[str] = field(
        "Content-form: the file's content before this resource replaced it (restored on delete).",
        default=None, secret=True)
    previous_mode: Optional[str] = field("The file's mode before this resource changed it.", default=None)
    previous_owner: Optional[str] = field("The file's owner before this resource changed it.", default=None)
    added_lines: list[str] = field("Line form: lines this resource appended (removed on delete).",
                                   default_factory=list)
    replaced_lines: dict[str, str] = field(
        "Line form: managed line -> the original line it replaced (put back on delete).",
        default_factory=dict)


def parse_id(rid: str) -> tuple[Optional[str], str]:
    jail, sep, path = rid.partition(":")
    if not sep:
        raise ValueError(f"invalid JailFile id {rid!r}: expected JAIL:/PATH or :/PATH (host), "
                         f"e.g. database:/var/db/postgres/data17/pg_hba.conf")
    return (jail or None), path


def make_id(jail: Optional[str], path: str) -> str:
    return f"{jail or ''}:{path}"


_LOCKS: dict[tuple[Optional[str], str], asyncio.Lock] = {}


def _lock(jail: Optional[str], path: str) -> asyncio.Lock:
    """Serialize read-modify-write of one file within this provider process (several JailFile
    line resources may edit the same file in parallel)."""
    key = (jail, path)
    if key not in _LOCKS:
        _LOCKS[key] = asyncio.Lock()
    return _LOCKS[key]


def _specs(a: JailFileArgs) -> list[tuple[str, Optional[str]]]:
    return [(ln.line, ln.match) for ln in a.lines or []]


def _without_output(e: CommandFailed) -> CommandFailed:
    """The same failure without the command's stdout: the put prints the old file's content
    (which may be secret) before a failing rename, and an error travels to logs and the UI."""
    r = e.result
    return CommandFailed(Result(r.argv, r.command, r.exit_code, "", r.stderr, r.duration), e.shell_died)


class JailFile(Resource):
    token = "freebsd:index:JailFile"
    description = (
        "A text file inside a jail (or on the host), in one of two forms:\n\n"
        "* `content`: the whole file, written atomically (temp file, chmod, chown, rename) with "
        "the content on stdin, never on a command line; may be a secret. An existing file is "
        "backed up in the state (up to 64 KiB) and restored on delete; a new file is removed.\n"
        "* `lines`: line-in-file edits of an existing file, e.g. `listen_addresses = '*'` in "
        "postgresql.conf (replacing the `#listen_addresses` line) or a `host all all "
        "192.168.1.0/24 md5` line in pg_hba.conf. Delete removes the lines it added and puts "
        "back the lines it replaced.\n\n"
        "Refresh reads the file (`stat` + `cat` through jexec): content, missing lines, mode and "
        "owner changed by hand show up as drift. The `sha256` output changes with the content, so "
        "a JailService can restart on it (`restartOn`)."
    )
    Args = JailFileArgs
    State = JailFileState
    example = {"jail": "database", "path": "/var/db/postgres/data17/pg_hba.conf",
               "lines": [{"line": "host all all 192.168.1.0/24 md5", "match": "^#?host all all 192"}],
               "mode": "0600", "owner": "postgres:postgres"}
    crash_note = (
        "The file's content is exactly what you declare, so no marker comment is added: the "
        "resource's journal record " + JOURNAL + " keeps the file as it was before the first attempt "
        "(the `content` form reads it first: one more exec at create). When `pulumi up` was killed "
        "after the write, the next create adopts the file with that record, so delete restores "
        "the original.")
    import_id = ("`JAIL:/PATH` (or `:/PATH` for the host), e.g. `webserver:/usr/local/etc/nginx/nginx.conf`; "
                 "imported in the `content` form")

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: JailFileArgs) -> list[Failure]:
        f: list[Failure] = []
        if a.content is None and a.lines is None:
            f.append(Failure("content", "set either `content` (the whole file) or `lines` (line-in-file edits)"))
        elif a.content is not None and a.lines is not None:
            f.append(Failure("lines", "set only one of `content` and `lines`"))
        if isinstance(a.lines, list):
            if not a.lines:
                f.append(Failure("lines", "declare at least one line"))
            seen = set()
            for i, ln in enumerate(a.lines):
                if not isinstance(ln, FileLine):  # unknown during preview
                    continue
                # each line's own fields are checked by the framework (lines[i].line)
                line = ln.line
                if isinstance(line, str) and not wire.is_unknown(line) and files.line_error(line) is None:
                    if line in seen:
                        f.append(Failure(f"lines[{i}].line", f"line {line!r} is declared twice"))
                    seen.add(line)
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: JailFileArgs, news: JailFileArgs) -> DiffResult:
        res = diff_fields(self.input_fields(), dump(olds), dump(news))
        if ("content" in res.changes or "lines" in res.changes) and \
                (olds.content is None) != (news.content is None):
            for k in ("content", "lines"):
                if k in res.changes:
                    res.changes[k].replace = True
                    res.changes[k].why = "switching between the `content` and `lines` forms replaces the resource"
        for k in ("content", "lines", "mode", "owner"):
            if k in res.changes and not res.changes[k].replace:
                res.changes[k].why = "rewrites the file in place"
        return res

    # -- host access ----------------------------------------------------------------------
    async def _put(self, ctx, jail: Optional[str], path: str, content: str, mode: str,
                   owner: str, journal: Optional[Callable] = None, **kw: Any) -> files.PutResult:
        """Read, compare and (when different) write the whole file in ONE exec (files.put_file)."""
        step = Step(common.in_jail(jail, files.put_file(path, mode, owner, **kw)), "put",
                    stdin=content, sensitive=True)
        try:
            done = await self.apply(ctx, [step], journal=journal)
        except CommandFailed as e:
            raise _without_output(e) from None
        return files.parse_put(done["put"].stdout, kw.get("backup_upto"))

    @staticmethod
    def _write(jail: Optional[str], path: str, content: str, mode: str, owner: str) -> Step:
        return Step(common.in_jail(jail, common.write_file(path, mode, owner)), "write",
                    stdin=content, sensitive=True)

    async def _apply(self, ctx, rid: str, a: JailFileArgs, old: Optional[JailFileState]) -> JailFileState:
        """Create (``old`` None) or update the file as ``a`` declares."""
        jail, path = a.jail, a.path
        async with _lock(jail, path):
            if a.content is not None:
                return await self._apply_content(ctx, rid, a, old)
            return await self._apply_lines(ctx, rid, a, old)

    async def _apply_content(self, ctx, rid: str, a: JailFileArgs, old: Optional[JailFileState]) -> JailFileState:
        content = a.content
        mode = a.mode or DEFAULT_MODE
        owner = a.owner or DEFAULT_OWNER
        if old is not None:
            await self._put(ctx, a.jail, a.path, content, mode, owner)
            return dataclasses.replace(old, sha256=files.sha256(content), added_lines=[], replaced_lines={})
        # ONE exec: what is there (kept for delete to restore) and the write. Nothing is recorded
        # when it fails: the put is atomic, and an exec lost half-way leaves unknown whether the
        # file was written and what it held before; a new create backs up whatever is there,
        # where an update of a recorded resource would overwrite it without a backup.
        # A kill is another matter: the retried create would back up this content as the
        # previous one. So the file is read first (one more exec) and the journal record that
        # starts the write's exec holds what it was.
        cur, = await self.before(ctx, files.contents(a.jail, a.path))
        before = JailFileState(sha256=files.sha256(content), created=cur is None)
        if cur is not None:
            if len(cur.content.encode("utf-8", "surrogateescape")) <= files.MAX_BACKUP:
                before.previous_content = cur.content
            before.previous_mode, before.previous_owner = cur.mode, cur.owner
        put = await self._put(ctx, a.jail, a.path, content, mode, owner,
                              journal=lambda done: (rid, self.outputs(a, before)),
                              refuse_over=None if a.overwrite else files.MAX_BACKUP,
                              backup_upto=files.MAX_BACKUP)
        if put.state == "refuse":
            await ctx.journal_op.discard(ctx)
            raise RuntimeError(
                f"{a.path} already exists and is larger than 64 KiB, too large to back "
                f"up for delete to restore: set `overwrite: true` to replace it anyway "
                f"(delete will then remove it), or import it")
        st = JailFileState(sha256=files.sha256(content))
        if put.existed and put.content is not None:
            st.previous_content, st.previous_mode, st.previous_owner = put.content, put.mode, put.owner
        else:
            st.created = True  # a new file, or overwrite: nothing to restore
        return st

    async def _apply_lines(self, ctx, rid: str, a: JailFileArgs, old: Optional[JailFileState]) -> JailFileState:
        # read, edit here, write (2 execs: the edit needs the current text)
        cur, = await self.before(ctx, files.contents(a.jail, a.path))
        if cur is None:
            raise RuntimeError(f"{a.path} does not exist{' in jail ' + a.jail if a.jail else ''}: the "
                               f"`lines` form edits an existing file (use `content` to create one)")
        text = cur.content
        added = list(old.added_lines) if old else []
        replaced = dict(old.replaced_lines) if old else {}
        if old is not None:
            # lines no longer declared: undo them first
            keep = {ln for ln, _ in _specs(a)}
            text, _ = files.remove_lines(text, [x for x in added if x not in keep],
                                         {k: v for k, v in replaced.items() if k not in keep})
            added = [x for x in added if x in keep]
            replaced = {k: v for k, v in replaced.items() if k in keep}
        edit = files.ensure_lines(text, _specs(a))
        added += [x for x in edit.added if x not in added]
        replaced.update(edit.replaced)
        mode = a.mode or cur.mode
        owner = a.owner or cur.owner
        st = JailFileState(sha256=files.sha256(edit.content), added_lines=added, replaced_lines=replaced,
                           previous_mode=old.previous_mode if old else cur.mode,
                           previous_owner=old.previous_owner if old else cur.owner)
        if edit.content == cur.content and files.norm_mode(cur.mode) == files.norm_mode(mode) and \
                files.owner_matches(owner, cur.owner):
            return st

        def partial(done):
            # the write's exec was lost: the lines may be in the file or not. Record every line
            # this resource may have added or replaced (removing one that is not there is a
            # no-op), so that delete or the next update cleans up either way.
            rec = dataclasses.replace(
                st, added_lines=added + [x for x in (old.added_lines if old else []) if x not in added],
                replaced_lines={**(old.replaced_lines if old else {}), **replaced})
            return (rid, self.outputs(a, rec), f"{a.path} may or may not have been edited")

        await self.apply(ctx, [self._write(a.jail, a.path, edit.content, mode, owner)], partial=partial)
        return st

    # -- create / update ------------------------------------------------------------------
    async def create(self, ctx, a: JailFileArgs):
        rid = make_id(a.jail, a.path)
        return rid, await self._apply(ctx, rid, a, None)

    async def update(self, ctx, rid, olds: JailFileArgs, news: JailFileArgs, state: JailFileState):
        return await self._apply(ctx, rid, news, state)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, a: Optional[JailFileArgs], state: Optional[JailFileState]):
        jail, path = parse_id(rid)
        # a jail that is not running raises JailNotRunning: the server keeps what we knew
        cur = await ctx.host.get(files.contents(jail, path))
        if cur is None:
            return None
        mode, owner, content = cur.mode, cur.owner, cur.content
        new = JailFileArgs(path=path, jail=jail, overwrite=a.overwrite if a is not None else False)
        if a is not None and a.lines is not None:
            present = set(files.present_lines(content, [ln.line for ln in a.lines]))
            new.lines = [ln for ln in a.lines if ln.line in present]
            if a.mode is not None:
                new.mode = a.mode if files.norm_mode(a.mode) == mode else mode
            if a.owner is not None:
                new.owner = a.owner if files.owner_matches(a.owner, owner) else owner
        else:
            new.content = content
            dm, do = (a.mode, a.owner) if a is not None else (None, None)
            if dm is not None and files.norm_mode(dm) == mode:
                new.mode = dm
            elif dm is not None or mode != DEFAULT_MODE:
                new.mode = mode
            if do is not None and files.owner_matches(do, owner):
                new.owner = do
            elif do is not None or owner != DEFAULT_OWNER:
                new.owner = owner
        return new, dataclasses.replace(state or JailFileState(), sha256=files.sha256(content))

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, a: JailFileArgs, state: JailFileState):
        jail, path = parse_id(rid)
        async with _lock(jail, path):
            try:
                if a.lines is None and not state.added_lines and not state.replaced_lines:
                    # content form, ONE exec: put the previous file back (only over a file
                    # still there), or remove the one this resource created
                    if state.previous_content is not None:
                        await self._put(ctx, jail, path, state.previous_content,
                                        state.previous_mode or DEFAULT_MODE,
                                        state.previous_owner or DEFAULT_OWNER, only_existing=True)
                    else:
                        await self.apply(ctx, [Step(common.in_jail(jail, common.remove_file(path)), "remove")])
                    return
                cur = await ctx.host.get(files.contents(jail, path))
            except JailNotRunning:
                await ctx.host.log(f"jail {jail} is not running: leaving {path} alone", "info")
                return
            if cur is None:
                return
            # line form: read, then write the file without the lines (2 execs)
            text, changed = files.remove_lines(cur.content, state.added_lines, state.replaced_lines)
            mode = state.previous_mode or cur.mode
            owner = state.previous_owner or cur.owner
            if changed or files.norm_mode(mode) != files.norm_mode(cur.mode) or owner != cur.owner:
                await self.apply(ctx, [self._write(jail, path, text, mode, owner)])
