"""JailFile: a whole file, or lines in a file, inside a jail (or on the host)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, files
from ..hostctx import Host
from ..ssh import CommandError, Result
from .base import DiffResult, Failure, Resource, diff_fields, field

DEFAULT_MODE = "0644"
DEFAULT_OWNER = "root:wheel"


@dataclass
class FileLine:
    """One line that must be present in a file (JailFile's line-in-file form)."""
    line: str = field("The exact line (without the newline), e.g. `listen_addresses = '*'`.")
    match: Optional[str] = field(
        "A regular expression (Python syntax, searched in each line): when the line is missing, "
        "the first line it matches is replaced instead of appending, e.g. `^#?listen_addresses`.",
        default=None)


@dataclass
class JailFileArgs:
    path: str = field("Absolute path of the file, as seen inside the jail (or on the host). "
                      "Changing it replaces the resource.", replace=True)
    jail: Optional[str] = field("Name of the running jail holding the file (read and written "
                                "through `jexec`, so owners resolve in the jail's passwd); unset: "
                                "the host. Changing it replaces the resource.", default=None, replace=True)
    content: Optional[str] = field(
        "The whole content of the file (text). May be a secret: it then stays secret in state and "
        "outputs and never appears in a log or a command line (it is written through stdin). "
        "Exactly one of `content` and `lines` must be set.", default=None)
    lines: Optional[list[FileLine]] = field(
        "Line-in-file form: lines that must be present in an existing file (appended, or replacing "
        "the first line their `match` finds); the rest of the file is left alone. For edits such "
        "as postgresql.conf's `listen_addresses` or a pg_hba.conf `host` line. Delete removes the "
        "added lines and puts replaced lines back.", default=None)
    mode: Optional[str] = field(
        "Permissions in octal, e.g. `0600`. Default for `content`: `0644`; for `lines`: the "
        "file's mode is kept unless set.", default=None)
    owner: Optional[str] = field(
        "Owner as `user[:group]`, e.g. `postgres:postgres`. Default for `content`: `root:wheel`; "
        "for `lines`: the file's owner is kept unless set.", default=None)
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


def _specs(inputs: dict[str, Any]) -> list[tuple[str, Optional[str]]]:
    return [(ln["line"], ln.get("match")) for ln in inputs.get("lines") or []]


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
    import_id = ("`JAIL:/PATH` (or `:/PATH` for the host), e.g. `webserver:/usr/local/etc/nginx/nginx.conf`; "
                 "imported in the `content` form")

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []

        def known(v):
            return v is not None and not wire.is_unknown(v)
        if known(inputs.get("path")):
            err = common.abs_path_error(inputs["path"], "path")
            if err:
                f.append(Failure("path", err))
            elif inputs["path"].endswith("/"):
                f.append(Failure("path", "path must name a file, not a directory"))
        if known(inputs.get("jail")):
            err = common.jail_name_error(inputs["jail"])
            if err:
                f.append(Failure("jail", err))
        content, lines = inputs.get("content"), inputs.get("lines")
        if content is None and lines is None:
            f.append(Failure("content", "set either `content` (the whole file) or `lines` (line-in-file edits)"))
        elif content is not None and lines is not None:
            f.append(Failure("lines", "set only one of `content` and `lines`"))
        if known(content):
            err = files.content_error(content)
            if err:
                f.append(Failure("content", err))
        if isinstance(lines, list):
            if not lines:
                f.append(Failure("lines", "declare at least one line"))
            seen = set()
            for i, ln in enumerate(lines):
                if not isinstance(ln, dict) or wire.is_unknown(ln):
                    continue
                if known(ln.get("line")):
                    err = files.line_error(ln["line"])
                    if err:
                        f.append(Failure(f"lines[{i}].line", err))
                    elif ln["line"] in seen:
                        f.append(Failure(f"lines[{i}].line", f"line {ln['line']!r} is declared twice"))
                    seen.add(ln["line"])
                if known(ln.get("match")):
                    err = files.regex_error(ln["match"])
                    if err:
                        f.append(Failure(f"lines[{i}].match", err))
        if known(inputs.get("mode")):
            err = files.mode_error(inputs["mode"])
            if err:
                f.append(Failure("mode", err))
        if known(inputs.get("owner")):
            err = files.owner_error(inputs["owner"])
            if err:
                f.append(Failure("owner", err))
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news)
        if ("content" in res.changes or "lines" in res.changes) and \
                (olds.get("content") is None) != (news.get("content") is None):
            for k in ("content", "lines"):
                if k in res.changes:
                    res.changes[k].replace = True
                    res.changes[k].why = "switching between the `content` and `lines` forms replaces the resource"
        for k in ("content", "lines", "mode", "owner"):
            if k in res.changes and not res.changes[k].replace:
                res.changes[k].why = "rewrites the file in place"
        return res

    # -- host access ----------------------------------------------------------------------
    async def _read(self, host: Host, jail: Optional[str], path: str) -> Optional[tuple[str, str, str]]:
        res = await host.run(common.in_jail(jail, common.read_file(path)), mutates=False, sensitive=True)
        return common.parse_read_file(res.stdout)

    async def _write(self, host: Host, jail: Optional[str], path: str, content: str, mode: str, owner: str) -> None:
        await host.run(common.in_jail(jail, common.write_file(path, mode, owner)), stdin=content,
                       sensitive=True)

    async def _remove(self, host: Host, jail: Optional[str], path: str) -> None:
        await host.run(common.in_jail(jail, common.remove_file(path)))

    async def _put(self, host: Host, jail: Optional[str], path: str, content: str, mode: str,
                   owner: str, **kw: Any) -> files.PutResult:
        """Read, compare and (when different) write the whole file in ONE exec (files.put_file)."""
        res = await host.run(common.in_jail(jail, files.put_file(path, mode, owner, **kw)),
                             stdin=content, check=False, sensitive=True)
        if res.exit_code != 0:
            # never carry the old content (it may be printed before a failing rename) in an error
            raise CommandError(Result(res.argv, res.command, res.exit_code, "", res.stderr, res.duration))
        return files.parse_put(res.stdout, kw.get("backup_upto"))

    def _outputs(self, inputs: dict[str, Any], content: str, extra: dict[str, Any]) -> dict[str, Any]:
        out = dict(inputs)
        out.update({"sha256": files.sha256(content), "created": False, "previousContent": None,
                    "previousMode": None, "previousOwner": None, "addedLines": [],
                    "replacedLines": {}})
        out.update(extra)
        return out

    async def _apply(self, host: Host, inputs: dict[str, Any], state: dict[str, Any],
                     creating: bool) -> dict[str, Any]:
        jail, path = inputs.get("jail"), inputs["path"]
        async with _lock(jail, path):
            if inputs.get("content") is not None:
                content = inputs["content"]
                mode = inputs.get("mode") or DEFAULT_MODE
                owner = inputs.get("owner") or DEFAULT_OWNER
                if not creating:
                    extra = {k: state.get(k) for k in ("created", "previousContent", "previousMode", "previousOwner")}
                    extra["created"] = bool(extra.get("created"))
                    await self._put(host, jail, path, content, mode, owner)
                    return self._outputs(inputs, content, extra)
                # ONE exec: what is there (kept for delete to restore) and the write
                put = await self._put(host, jail, path, content, mode, owner,
                                      refuse_over=None if inputs.get("overwrite") else files.MAX_BACKUP,
                                      backup_upto=files.MAX_BACKUP)
                extra = {}
                if put.state == "refuse":
                    raise RuntimeError(
                        f"{path} already exists and is larger than 64 KiB, too large to back "
                        f"up for delete to restore: set `overwrite: true` to replace it anyway "
                        f"(delete will then remove it), or import it")
                if not put.existed:
                    extra["created"] = True
                elif put.content is not None:
                    extra.update(previousContent=put.content, previousMode=put.mode,
                                 previousOwner=put.owner)
                else:
                    extra["created"] = True  # overwrite: nothing to restore
                return self._outputs(inputs, content, extra)

            # line form: read, edit here, write (2 execs: the edit needs the current text)
            cur = await self._read(host, jail, path)
            if cur is None:
                raise RuntimeError(f"{path} does not exist{' in jail ' + jail if jail else ''}: the "
                                   f"`lines` form edits an existing file (use `content` to create one)")
            mode0, owner0, text = cur
            added = list(state.get("addedLines") or []) if not creating else []
            replaced = dict(state.get("replacedLines") or {}) if not creating else {}
            if not creating:
                # lines no longer declared: undo them first
                keep = {ln for ln, _ in _specs(inputs)}
                text, _ = files.remove_lines(text, [a for a in added if a not in keep],
                                             {k: v for k, v in replaced.items() if k not in keep})
                added = [a for a in added if a in keep]
                replaced = {k: v for k, v in replaced.items() if k in keep}
            edit = files.ensure_lines(text, _specs(inputs))
            added += [a for a in edit.added if a not in added]
            replaced.update(edit.replaced)
            mode = inputs.get("mode") or mode0
            owner = inputs.get("owner") or owner0
            extra = {"addedLines": added, "replacedLines": replaced,
                     "previousMode": mode0 if creating else state.get("previousMode"),
                     "previousOwner": owner0 if creating else state.get("previousOwner")}
            if edit.content != cur[2] or files.norm_mode(mode0) != files.norm_mode(mode) or \
                    not files.owner_matches(owner, owner0):
                await self._write(host, jail, path, edit.content, mode, owner)
            return self._outputs(inputs, edit.content, extra)

    # -- create / update ------------------------------------------------------------------
    async def create(self, ctx, inputs):
        out = await self._apply(ctx.host, inputs, {}, creating=True)
        return make_id(inputs.get("jail"), inputs["path"]), out

    async def update(self, ctx, rid, olds, news, state):
        return await self._apply(ctx.host, news, state, creating=False)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, inputs, state):
        jail, path = parse_id(rid)
        try:
            cur = await self._read(ctx.host, jail, path)
        except CommandError as e:
            if jail and "not found" in e.result.stderr:
                return None
            raise
        if cur is None:
            return None
        mode, owner, content = cur
        state = dict(state or {})
        new_inputs: dict[str, Any] = {"path": path}
        if jail:
            new_inputs["jail"] = jail
        declared = inputs or {}
        new_inputs["overwrite"] = bool(declared.get("overwrite", False))
        if inputs is not None and inputs.get("lines") is not None:
            present = set(files.present_lines(content, [ln["line"] for ln in inputs["lines"]]))
            new_inputs["lines"] = [ln for ln in inputs["lines"] if ln["line"] in present]
            if declared.get("mode") is not None:
                new_inputs["mode"] = declared["mode"] if files.norm_mode(declared["mode"]) == mode else mode
            if declared.get("owner") is not None:
                new_inputs["owner"] = declared["owner"] if files.owner_matches(declared["owner"], owner) else owner
        else:
            new_inputs["content"] = content
            dm, do = declared.get("mode"), declared.get("owner")
            if dm is not None and files.norm_mode(dm) == mode:
                new_inputs["mode"] = dm
            elif dm is not None or mode != DEFAULT_MODE:
                new_inputs["mode"] = mode
            if do is not None and files.owner_matches(do, owner):
                new_inputs["owner"] = do
            elif do is not None or owner != DEFAULT_OWNER:
                new_inputs["owner"] = owner
        out = self._outputs(new_inputs, content, {k: state.get(k) for k in (
            "created", "previousContent", "previousMode", "previousOwner", "addedLines", "replacedLines")})
        out["created"] = bool(out.get("created"))
        out["addedLines"] = out.get("addedLines") or []
        out["replacedLines"] = out.get("replacedLines") or {}
        return new_inputs, out

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, inputs, state):
        host: Host = ctx.host
        jail, path = parse_id(rid)
        async with _lock(jail, path):
            try:
                if inputs.get("lines") is None and not state.get("addedLines") and not state.get("replacedLines"):
                    # content form, ONE exec: put the previous file back (only over a file
                    # still there), or remove the one this resource created
                    if state.get("previousContent") is not None:
                        await self._put(host, jail, path, state["previousContent"],
                                        state.get("previousMode") or DEFAULT_MODE,
                                        state.get("previousOwner") or DEFAULT_OWNER, only_existing=True)
                    else:
                        await self._remove(host, jail, path)
                    return
                cur = await self._read(host, jail, path)
            except CommandError as e:
                if jail and "not found" in e.result.stderr:
                    await host.log(f"jail {jail} is not running: leaving {path} alone", "info")
                    return
                raise
            if cur is None:
                return
            # line form: read, then write the file without the lines (2 execs)
            text, changed = files.remove_lines(cur[2], state.get("addedLines") or [],
                                               state.get("replacedLines") or {})
            mode = state.get("previousMode") or cur[0]
            owner = state.get("previousOwner") or cur[1]
            if changed or files.norm_mode(mode) != files.norm_mode(cur[0]) or owner != cur[1]:
                await self._write(host, jail, path, text, mode, owner)
