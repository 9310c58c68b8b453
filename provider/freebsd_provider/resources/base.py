"""The resource framework, in the spirit of pulumi-go-provider's ``infer``.

A resource is a class with:

* ``Args``: a dataclass of its inputs; ``State``: a dataclass of its output-only properties.
  Every field carries its schema docs through :func:`field` (description, default, secret,
  replace-on-change, always-present).  The schema (and so every SDK and its docs) is generated
  from them.
* ``check`` / ``diff`` / ``create`` / ``read`` / ``update`` / ``delete``.

Python attribute names are snake_case; the wire/schema names are camelCase.  Inputs arrive as
plain values (secrets revealed, see ``wire``); the framework re-marks secret outputs, coerces
numbers to the declared types and fills defaults, so resource code stays small.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import types
import typing
from dataclasses import MISSING, dataclass
from typing import Any, Callable, ClassVar, Optional, get_args, get_origin

from .. import wire
from ..errors import ProviderError, interrupted
from ..host import journal
from ..host.steps import Step, StepResults
from . import journaling

# --------------------------------------------------------------------------------------------
# Field metadata


def field(description: str, *, default: Any = MISSING, secret: bool = False,
          replace: bool = False, default_factory: Any = MISSING, required: Optional[bool] = None,
          always_present: Optional[bool] = None, check: Optional[Callable[[Any], Optional[str]]] = None,
          key_check: Optional[Callable[[str], Optional[str]]] = None, unique: bool = False):
    """A resource property. ``replace``: a change replaces the resource.

    Validation declared on the field, run by ``Resource.validate_fields`` before the resource's
    own ``validate``: ``check(value) -> error or None`` (for a list: each item; for a map: each
    value), ``key_check(key)`` for a map's keys, ``unique``: a list must not repeat an item.
    Unknown values (and unknown items) are skipped; messages name the item (``allow[2]``,
    ``parameters["x"]``).

    ``always_present``: whether every create and every read (import included) returns the
    property with a value. Those are the schema's ``required`` outputs, which the SDKs type as
    never undefined; the engine warns about (and previews as ``[unknown]``) one that is missing.
    Unset: present unless the field's type is ``Optional`` (a None value is never sent). So a
    required input, an input with a default (the read must return it too, import included) and
    an output the resource always fills in are present; an optional input, or an output only
    recorded when there was something (e.g. a previous value), is ``Optional``.
    """
    meta = {"description": description, "secret": secret, "replace": replace,
            "check": check, "key_check": key_check, "unique": unique}
    if required is not None:
        meta["required"] = required
    if always_present is not None:
        meta["always_present"] = always_present
    kw: dict[str, Any] = {"metadata": meta}
    if default is not MISSING:
        kw["default"] = default
    if default_factory is not MISSING:
        kw["default_factory"] = default_factory
    if default is MISSING and default_factory is MISSING:
        kw["default"] = None
        meta.setdefault("required", True)
    return dataclasses.field(**kw)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@dataclass
class FieldInfo:
    name: str  # python name
    wire: str  # camelCase
    type: Any
    description: str
    secret: bool
    replace: bool
    required: bool
    default: Any
    always_present: bool = True  # see field()
    check: Optional[Callable[[Any], Optional[str]]] = None
    key_check: Optional[Callable[[str], Optional[str]]] = None
    unique: bool = False


def fields_of(cls) -> list[FieldInfo]:
    if cls is None:
        return []
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = None
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        out.append(FieldInfo(
            name=f.name, wire=camel(f.name), type=hints[f.name],
            description=f.metadata.get("description", ""),
            secret=f.metadata.get("secret", False), replace=f.metadata.get("replace", False),
            required=f.metadata.get("required", False), default=default,
            always_present=f.metadata.get("always_present", not is_optional(hints[f.name])),
            check=f.metadata.get("check"), key_check=f.metadata.get("key_check"),
            unique=f.metadata.get("unique", False),
        ))
    return out


def field_failures(cls, values: Any) -> list["Failure"]:
    """The failures of the per-field rules (``check``/``key_check``/``unique``) of ``cls`` on
    ``values`` (a typed instance or a wire dict); unknowns are skipped."""
    out: list[Failure] = []
    for f in fields_of(cls):
        v = values.get(f.wire) if isinstance(values, dict) else getattr(values, f.name)
        if v is None or wire.is_unknown(v):
            continue
        if isinstance(v, wire.Secret):
            v = v.value
        if isinstance(v, list):
            seen: set = set()
            item_type = _list_item_type(f.type)
            for i, item in enumerate(v):
                if wire.is_unknown(item):
                    continue
                if dataclasses.is_dataclass(item_type) and isinstance(item, (dict, item_type)):
                    out += [Failure(f"{f.wire}[{i}].{x.property}", x.reason)
                            for x in field_failures(item_type, item)]
                e = f.check(item) if f.check else None
                if e:
                    out.append(Failure(f"{f.wire}[{i}]", e))
                if f.unique:
                    k = repr(item)
                    if k in seen:
                        out.append(Failure(f"{f.wire}[{i}]", f"{item!r} is listed twice in {f.wire}"))
                    seen.add(k)
        elif isinstance(v, dict) and not dataclasses.is_dataclass(_strip_optional(f.type)):
            for k, item in v.items():
                path = prop_path(f.wire, k)
                e = f.key_check(k) if f.key_check else None
                if e:
                    out.append(Failure(path, e))
                    continue
                if f.check and not wire.is_unknown(item):
                    e = f.check(item)
                    if e:
                        out.append(Failure(path, e))
        elif f.check:
            e = f.check(v)
            if e:
                out.append(Failure(f.wire, e))
    return out


def _list_item_type(tp) -> Any:
    tp = _strip_optional(tp)
    return get_args(tp)[0] if get_origin(tp) is list and get_args(tp) else None


def load(cls, values: Optional[dict[str, Any]]):
    """A typed instance of the dataclass ``cls`` from wire (camelCase) values; absent values take
    the field's default; nested dataclasses are loaded too; unknown keys are ignored."""
    values = values or {}
    kw = {}
    for f in fields_of(cls):
        v = values.get(f.wire)
        if v is None:
            kw[f.name] = copy.deepcopy(f.default)
            continue
        tp = _strip_optional(f.type)
        item_type = _list_item_type(tp)
        if dataclasses.is_dataclass(tp) and isinstance(v, dict):
            v = load(tp, v)
        elif dataclasses.is_dataclass(item_type) and isinstance(v, list):
            v = [load(item_type, x) if isinstance(x, dict) else x for x in v]
        else:
            v = coerce(f.type, v)  # numbers are doubles on the wire: ints come back as ints
        kw[f.name] = v
    return cls(**kw)


def _dump_value(v: Any) -> Any:
    if isinstance(v, wire.Secret):
        return v  # stays a secret on the wire
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return dump(v)
    if isinstance(v, list):
        return [_dump_value(x) for x in v]
    return v


def dump(obj: Any) -> dict[str, Any]:
    """Wire (camelCase) values of a typed instance; None values are left out; a
    ``wire.Secret`` value stays one."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if v is None:
            continue
        out[camel(f.name)] = _dump_value(v)
    return out


def is_optional(tp) -> bool:
    """``Optional[X]`` (or ``X | None``)?"""
    return get_origin(tp) in (typing.Union, types.UnionType) and type(None) in get_args(tp)


def _strip_optional(tp):
    if get_origin(tp) is typing.Union:
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def coerce(tp, value: Any) -> Any:
    """Turn a wire value into the declared Python type (numbers are doubles on the wire)."""
    if value is None or wire.is_unknown(value):
        return value
    if isinstance(value, wire.Secret):
        return wire.Secret(coerce(tp, value.value))
    tp = _strip_optional(tp)
    origin = get_origin(tp)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if origin is list and isinstance(value, list):
        (et,) = get_args(tp)
        return [coerce(et, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, vt = get_args(tp)
        return {k: coerce(vt, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        byw = {f.wire: f for f in fields_of(tp)}
        return {k: coerce(byw[k].type, v) if k in byw else v for k, v in value.items()}
    return value


def type_error(tp, value: Any, path: str) -> Optional[str]:
    """A type mismatch message, or None (unknowns always pass)."""
    if value is None or wire.is_unknown(value):
        return None
    if isinstance(value, wire.Secret):
        return type_error(tp, value.value, path)
    tp = _strip_optional(tp)
    origin = get_origin(tp)
    if tp is str:
        return None if isinstance(value, str) else f"{path} must be a string"
    if tp is bool:
        return None if isinstance(value, bool) else f"{path} must be a boolean"
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{path} must be an integer"
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"{path} must be a number"
    if origin is list:
        if not isinstance(value, list):
            return f"{path} must be a list"
        (et,) = get_args(tp)
        for i, v in enumerate(value):
            e = type_error(et, v, f"{path}[{i}]")
            if e:
                return e
        return None
    if origin is dict:
        if not isinstance(value, dict):
            return f"{path} must be a map"
        _, vt = get_args(tp)
        for k, v in value.items():
            e = type_error(vt, v, f"{path}[{k!r}]")
            if e:
                return e
        return None
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            return f"{path} must be an object"
        byw = {f.wire: f for f in fields_of(tp)}
        for k, v in value.items():
            if k not in byw:
                return f"{path}.{k} is not a known property (known: {', '.join(sorted(byw))})"
            e = type_error(byw[k].type, v, f"{path}.{k}")
            if e:
                return e
        for f in byw.values():
            if f.required and value.get(f.wire) is None:
                return f"{path}.{f.wire} is required"
        return None
    return None


# --------------------------------------------------------------------------------------------
# Results


def show(value: Any, limit: int = 60) -> str:
    """A value for an error message: repr'd (control characters visible) and cut to ``limit``."""
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 5] + "...'" + f" ({len(value)} chars)" if isinstance(value, str) else r[:limit]


_SHOWN = {0x7f: "\\x7f", 0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029",
          **{c: repr(chr(c))[1:-1] for c in range(0x20)}}


def shown(message: str) -> str:
    """A rejection message on one line: control and line-break characters (which it may echo
    from the rejected input) written as escapes, ``\\n``, ``\\x00``, ``\\u2028``..."""
    return message.translate(_SHOWN)


def clamp(message: str, limit: int = 500) -> str:
    """Keep messages readable whatever a value's size: cut the middle of an overlong one."""
    if len(message) <= limit:
        return message
    return message[: limit // 2] + " [...] " + message[-limit // 2:]


class InputError(Exception):
    """A property failed validation: becomes a CheckFailure."""

    def __init__(self, prop: str, reason: str):
        super().__init__(f"{prop}: {reason}")
        self.prop = prop
        self.reason = reason


@dataclass
class Failure:
    property: str
    reason: str


UPDATE = "update"
REPLACE = "replace"
ADD, DELETE = "add", "delete"


@dataclass
class PropDiff:
    kind: str  # add | delete | update
    replace: bool = False
    why: str = ""


@dataclass
class DiffResult:
    changes: dict[str, PropDiff] = dataclasses.field(default_factory=dict)

    @property
    def replaces(self) -> list[str]:
        return sorted({k.split(".")[0].split("[")[0] for k, d in self.changes.items() if d.replace})


class PartialFailure(Exception):
    """The resource was (partly) made on the host but the operation failed: record it."""

    def __init__(self, message: str, resource_id: str, outputs: dict[str, Any], inputs: dict[str, Any] | None = None):
        """``outputs``: the wire outputs of what is on the host now (see ``Resource.outputs``)."""
        super().__init__(message)
        self.resource_id = resource_id
        self.outputs = outputs
        self.inputs = inputs


# --------------------------------------------------------------------------------------------
# Resource base


class Resource:
    """Subclasses declare ``Args``/``State`` and implement the lifecycle on typed instances:

    * ``validate(args) -> [Failure]``: rules across fields (per-field rules go on the field);
      values may be unknown (``wire.is_unknown``) during preview: skip them.
    * ``diff(olds, news) -> DiffResult``: default, per field by the ``replace`` flags.
    * ``create(ctx, args) -> (id, State)``; ``read(ctx, id, args|None, state|None) ->
      (Args, State) | None`` (None: gone; ``args`` None: an import); ``update(ctx, id, olds,
      news, state) -> State``; ``delete(ctx, id, args, state)``.

    Host work goes through ``self.apply(ctx, steps, partial=...)`` and facts through
    ``ctx.host.get(fact)``; see docs/writing-a-resource.md. The ``op_*`` methods are the
    framework's side (wire dicts in and out), called by the server.
    """
    token: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type]
    State: ClassVar[Optional[type]] = None
    import_id: ClassVar[str] = "the resource's name"
    # A valid set of inputs (wire names), used in docs and by the hostile-input tests, which push
    # every hostile string through every string input starting from this example.
    example: ClassVar[dict[str, Any]] = {}
    # How a create killed half-way is recognised by the next one: "journal", "marker" or "none"
    # (resources/journaling.py); docs say which, and why.
    crash_safety: ClassVar[str] = "journal"
    crash_note: ClassVar[str] = ""  # the schema docs' "After a crash" section: the marker, or why none

    # -- helpers on field metadata --------------------------------------------------------
    @classmethod
    def input_fields(cls) -> list[FieldInfo]:
        return fields_of(cls.Args)

    @classmethod
    def output_fields(cls) -> list[FieldInfo]:
        return fields_of(cls.State)

    @classmethod
    def secret_keys(cls) -> set[str]:
        return {f.wire for f in cls.input_fields() + cls.output_fields() if f.secret}

    @classmethod
    def normalize_inputs(cls, news: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
        """Coerce types, fill defaults, collect type and required-field failures."""
        failures: list[Failure] = []
        known = {f.wire: f for f in cls.input_fields()}
        out: dict[str, Any] = {}
        for k, v in news.items():
            if k not in known:
                if k.startswith("__"):
                    continue
                failures.append(Failure(k, f"unknown property '{k}' (known: {', '.join(sorted(known))})"))
                continue
            out[k] = coerce(known[k].type, v)
        for f in known.values():
            v = out.get(f.wire)
            if v is None:
                if f.required:
                    failures.append(Failure(f.wire, f"missing required property '{f.wire}'"))
                    continue
                if f.default is not None:
                    out[f.wire] = f.default
                    v = f.default
            if v is not None:
                e = type_error(f.type, v, f.wire)
                if e:
                    failures.append(Failure(f.wire, e))
            if f.secret and v is not None and not isinstance(v, wire.Secret):
                out[f.wire] = wire.Secret(v)
        return out, failures

    # -- typed values ---------------------------------------------------------------------
    @classmethod
    def args(cls, inputs: Optional[dict[str, Any]]):
        return load(cls.Args, inputs)

    @classmethod
    def state(cls, values: Optional[dict[str, Any]]):
        return load(cls.State, values) if cls.State is not None else None

    @staticmethod
    def outputs(args: Any, state: Any = None) -> dict[str, Any]:
        """The wire outputs of a resource: its inputs and its output-only properties."""
        return {**dump(args), **(dump(state) if state is not None else {})}

    # -- the framework's side (wire dicts), called by the server ----------------------------
    def op_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        """The per-field rules, then the resource's own ``validate`` (rules across fields): all
        failures at once, one per property (the field rule's when both fail)."""
        failures = field_failures(self.Args, inputs)
        try:
            more = self.validate(self.args(inputs))
        except Exception:  # noqa: BLE001  (a cross-field rule tripping on a value already refused)
            if failures:
                return failures
            raise
        bad = {f.property for f in failures}
        return failures + [f for f in more if f.property not in bad]

    def op_diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff(self.args(olds), self.args(news))

    async def op_create(self, ctx, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        a = self.args(inputs)
        ctx.journal_op = journaling.JournalOp(ctx.urn, "create") if self.crash_safety == "journal" else None
        try:
            try:
                got = await self.create(ctx, a)
            except journaling.Found as f:
                got = await journaling.adopt(self, ctx, a, f.record) or await self.create(ctx, a)
            except journaling.Conflict as c:
                got = await journaling.adopt_marked(self, ctx, a, c)
        finally:
            ctx.journal_op = None
        rid, st = got
        return rid, self.outputs(a, st)

    async def op_read(self, ctx, rid: str, inputs: Optional[dict[str, Any]],
                      state: dict[str, Any]) -> Optional[tuple[dict[str, Any], dict[str, Any]]]:
        got = await self.read(ctx, rid, self.args(inputs) if inputs is not None else None,
                              self.state(state) if state else None)
        if got is None:
            return None
        a, st = got
        return dump(a), self.outputs(a, st)

    def op_read_jail_down(self, inputs: dict[str, Any], state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        a, st = self.read_jail_down(self.args(inputs), self.state(state))
        return dump(a), self.outputs(a, st)

    async def op_update(self, ctx, rid: str, olds: dict[str, Any], news: dict[str, Any],
                        state: dict[str, Any]) -> dict[str, Any]:
        n = self.args(news)
        st = await self.update(ctx, rid, self.args(olds), n, self.state(state))
        return self.outputs(n, st)

    async def op_delete(self, ctx, rid: str, inputs: dict[str, Any], state: dict[str, Any]) -> None:
        if self.crash_safety != "journal":
            await self.delete(ctx, rid, self.args(inputs), self.state(state))
            return
        op = ctx.journal_op = journaling.JournalOp(ctx.urn, "delete", rid=rid)
        try:
            await self.delete(ctx, rid, self.args(inputs), self.state(state))
        finally:
            ctx.journal_op = None
        if not op.forgot:  # no exec of the delete changed the host: the record goes alone
            await ctx.host.run_steps([journaling.forget_step(ctx.urn, rid)])

    async def op_preview_warnings(self, ctx, news: dict[str, Any]) -> list[str]:
        return await self.preview_warnings(ctx, self.args(news))

    # -- running steps -------------------------------------------------------------------------
    async def apply(self, ctx, steps: list[Step], *,
                    partial: Optional[Callable[[StepResults], Optional[tuple]]] = None,
                    done: Optional[StepResults] = None,
                    journal: Optional[Callable[[StepResults], Optional[tuple]]] = None) -> StepResults:
        """Run ``steps`` on the host (``Host.run_steps``). When they fail after changing the
        host, ``partial(done)`` says what the resource now is, ``(id, outputs)`` or ``(id,
        outputs, what_was_done)`` (outputs: a wire dict, e.g. ``self.outputs(args, state)``),
        or None when nothing needs recording; the failure is then raised as a
        :class:`PartialFailure` so the engine records it. ``done`` collects
        the results as they come (also after a failure).

        During a create, ``journal`` (default: ``partial``) gives the host-side journal record
        written first in the exec, as if the exec were lost (``resources/journaling.py``): a
        create whose failures need no recording may still need its record for a crash."""
        done = StepResults() if done is None else done
        op = getattr(ctx, "journal_op", None)
        first = op.step(self, steps, journal or partial, done) if op is not None else None
        def own_steps_only() -> None:  # the journal step is the framework's, not the resource's
            if first is not None:
                done.items = [(s, r) for s, r in done.items if s is not first]
                done.pending = [s for s in done.pending if s is not first]
        try:
            await ctx.host.run_steps([first, *steps] if first else steps, done)
        except ProviderError as e:
            own_steps_only()
            if op is not None:
                await op.after_failure(ctx, done)
            # done.changed(): a step that changes the host succeeded (in this call or an earlier
            # one sharing ``done``), or was in an exec the connection lost
            if partial is not None and done.changed():
                got = partial(done)
                if got is not None:
                    # a lost exec's error names its whole command line (maybe a conf file)
                    why = interrupted(e) if done.pending else str(e)
                    msg = f"{got[2]}: {why}" if len(got) > 2 and got[2] else why
                    raise PartialFailure(msg, got[0], got[1]) from e
            raise
        own_steps_only()
        return done

    # -- lifecycle (override) -------------------------------------------------------------
    def validate(self, args: Any) -> list[Failure]:
        """Rules across fields, on the typed Args (per-field rules go on the fields); values may
        be unknown during preview (``wire.is_unknown``): skip them."""
        return []

    def diff(self, olds: Any, news: Any) -> DiffResult:
        """Default: per-field comparison using the ``replace`` flags of the fields."""
        return diff_fields(self.input_fields(), dump(olds), dump(news))

    async def owner(self, ctx, resource_id: str, args: Any) -> Any:
        """``"marker"`` resources: the URN the object ``resource_id`` carries, None (no marker:
        made by hand, or before markers), or ``journaling.ABSENT``."""
        return None

    async def before(self, ctx, *facts: Any) -> list[Any]:
        """A create's first read of the host (``ctx.host.get_many``): in the same exec, the
        journal (once per run). A ``"journal"`` resource calls it before it changes anything; a record of its
        URN raises ``journaling.Found`` (the framework adopts it, see ``journaling``)."""
        op = getattr(ctx, "journal_op", None)
        if op is None or op.kind != "create" or op.checked:
            return await ctx.host.get_many(*facts) if facts else []
        host = ctx.host
        if host.journal_seen is None:
            recs, *values = await host.get_many(journal.records(), *facts)
            # kept for the run: only what runs before it left matters (see Host.journal_seen)
            host.journal_seen = recs
        else:
            recs, values = host.journal_seen, (await host.get_many(*facts) if facts else [])
        op.checked = True
        rec = journal.latest(recs, op.urn)
        if rec is not None:
            raise journaling.Found(rec)
        return values

    async def create(self, ctx, args: Any) -> tuple[str, Any]:
        """Make it on the host: (id, State)."""
        raise NotImplementedError

    async def read(self, ctx, resource_id: str, args: Optional[Any],
                   state: Optional[Any]) -> Optional[tuple[Any, Any]]:
        """(Args, State) as found on the host, or None if it is gone; ``args`` None: an import."""
        raise NotImplementedError

    def read_jail_down(self, args: Any, state: Any) -> tuple[Any, Any]:
        """Read when the resource's jail is not running: by default, what we knew."""
        return args, state

    async def update(self, ctx, resource_id: str, olds: Any, news: Any, state: Any) -> Any:
        """Change it in place: the new State."""
        raise NotImplementedError

    async def delete(self, ctx, resource_id: str, args: Any, state: Any) -> None:
        raise NotImplementedError

    async def preview_warnings(self, ctx, news: Any) -> list[str]:
        """Preview of a create or an update: warnings about the new inputs on the host as it is
        (read-only commands only). Default: none, and no command runs."""
        return []

    def preview_outputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs during preview of a create: the computed ones are unknown."""
        out = dict(inputs)
        for f in self.output_fields():
            out.setdefault(f.wire, wire.UNKNOWN)
        return out


def _eq(a: Any, b: Any) -> bool:
    return wire.reveal(a) == wire.reveal(b)


def diff_fields(fields: list[FieldInfo], olds: dict[str, Any], news: dict[str, Any],
                skip: tuple[str, ...] = ()) -> DiffResult:
    res = DiffResult()
    for f in fields:
        if f.wire in skip:
            continue
        o, n = olds.get(f.wire), news.get(f.wire)
        if wire.contains_unknown(n):
            res.changes[f.wire] = PropDiff(UPDATE, f.replace, "unknown until apply")
            continue
        if _eq(o, n):
            continue
        kind = ADD if o is None else DELETE if n is None else UPDATE
        res.changes[f.wire] = PropDiff(kind, f.replace,
                                       f"changing '{f.wire}' replaces the resource" if f.replace else "")
    return res


def prop_path(prefix: str, key: str) -> str:
    """A map key's property path as the engine writes it: ``prefix.key``, or ``prefix["key"]``
    when the key is not an identifier."""
    return f"{prefix}.{key}" if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\Z", key) else f'{prefix}["{key}"]'


def diff_map(prefix: str, olds: dict[str, Any] | None, news: dict[str, Any] | None,
             replace_keys: frozenset[str] = frozenset()) -> dict[str, PropDiff]:
    """Per-key diff of a map property (keys reported as ``prefix["key"]``... as ``prefix.key``)."""
    out: dict[str, PropDiff] = {}
    olds, news = olds or {}, news or {}
    if wire.is_unknown(news):
        return {prefix: PropDiff(UPDATE, False, "unknown until apply")}
    for k in sorted(set(olds) | set(news)):
        o, n = olds.get(k), news.get(k)
        path = prop_path(prefix, k)
        if wire.is_unknown(n):
            out[path] = PropDiff(UPDATE, k in replace_keys, "unknown until apply")
        elif o is None and n is not None:
            out[path] = PropDiff(ADD, k in replace_keys)
        elif n is None and o is not None:
            out[path] = PropDiff(DELETE, k in replace_keys)
        elif not _eq(o, n):
            out[path] = PropDiff(UPDATE, k in replace_keys)
    return out
