"""ZfsDataset: a ZFS filesystem (optionally a clone of a snapshot) and its local properties."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .. import wire
from ..errors import AlreadyExists, DatasetMissing
from ..host import facts, journal, zfs
from ..host.steps import Step, StepResults
from . import journaling
from .base import DiffResult, Failure, PartialFailure, Resource, diff_fields, diff_map, dump, field, prop_path


@dataclass
class ZfsDatasetArgs:
    name: str = field("Full dataset name, e.g. `zroot/jails/templates`. The parent must exist "
                      "(declare it as another ZfsDataset). Changing it replaces the dataset.",
                      replace=True, check=zfs.filesystem_error)
    properties: dict[str, str] = field(
        "ZFS properties set locally on the dataset (`zfs create -o` / `zfs set`), e.g. "
        "`{\"mountpoint\": \"/jails\", \"compression\": \"lz4\"}`; user properties "
        "(`module:name`) are allowed. Removing a key runs `zfs inherit`. Properties that ZFS only "
        "accepts at creation (casesensitivity, normalization, utf8only, encryption, ...) replace "
        "the dataset when changed.", default_factory=dict, key_check=zfs.property_name_error)
    origin: Optional[str] = field(
        "Snapshot to clone the dataset from (`zfs clone`), e.g. "
        "`zroot/jails/templates/base@15.0-RELEASE`. Changing it replaces the dataset.",
        default=None, replace=True, check=zfs.origin_error)
    recursive: bool = field(
        "Allow delete to take descendant datasets and snapshots along (`zfs destroy -r`). Off "
        "by default: deleting a dataset that still has children or snapshots then fails with "
        "zfs's own message instead of destroying them.", default=False)


@dataclass
class ZfsDatasetState:
    mountpoint: str = field("Effective mountpoint (`-`/`none`/`legacy` when not mounted by path).", default="")
    used: int = field("Bytes used by the dataset and its descendants (`used`).", default=0)
    referenced: int = field("Bytes referenced by the dataset (`referenced`).", default=0)
    guid: str = field("The dataset's GUID.", default="")
    creation: int = field("Creation time, seconds since the epoch.", default=0)
    # `origin` is both an input and an output (the live origin of a clone, unset otherwise).


def _state(ds: zfs.Dataset) -> ZfsDatasetState:
    def num(p: str) -> int:
        v = ds.value(p, "0")
        return int(v) if v.isdigit() else 0
    return ZfsDatasetState(mountpoint=ds.value("mountpoint"), used=num("used"),
                           referenced=num("referenced"), guid=ds.value("guid"), creation=num("creation"))


def _live_origin(ds: zfs.Dataset) -> Optional[str]:
    origin = ds.value("origin")
    return None if origin in ("-", "") else origin


class ZfsDataset(Resource):
    token = "freebsd:index:ZfsDataset"
    description = (
        "A ZFS filesystem on the host: `zfs create` (or `zfs clone` when `origin` is set) with "
        "local properties. Import ID: the dataset name, e.g. `zroot/jails`.\n\n"
        "Refresh reads the live properties, so hand-made `zfs set`/`zfs inherit` changes show "
        "up as drift and the next `up` puts them back. Delete never destroys children or "
        "snapshots unless `recursive` is true."
    )
    Args = ZfsDatasetArgs
    State = ZfsDatasetState
    crash_note = (
        "The dataset carries its URN in the local user property `org.pulumi-freebsd:urn`, set by the "
        "same `zfs create`/`zfs clone` (it is not listed in `properties`; children inheriting it are "
        "not taken for it). When `pulumi up` was killed after the dataset was made, the next create "
        "finds it with this URN, adopts it and sets the declared properties; any other existing "
        "dataset is refused (import it).")
    import_id = "the dataset name, e.g. `zroot/jails/containers/webserver`"
    crash_safety = "marker"
    example = {"name": "zroot/jails/containers/webserver", "properties": {"com.example:role": "web"},
               "origin": "zroot/jails/templates/base@15.0-RELEASE"}

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: ZfsDatasetArgs) -> list[Failure]:
        # a property's value rules depend on its name (the names are checked on the field)
        f: list[Failure] = []
        if not isinstance(a.properties, dict):
            return f
        for k, v in a.properties.items():
            if k == journal.ZFS_PROPERTY:
                f.append(Failure(prop_path("properties", k), "this user property is the provider's own "
                                 "marker (the URN of the resource that created the dataset)"))
            elif not wire.is_unknown(v):
                err = zfs.property_value_error(k, v)
                if err:
                    f.append(Failure(prop_path("properties", k), err))
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: ZfsDatasetArgs, news: ZfsDatasetArgs) -> DiffResult:
        o, n = dump(olds), dump(news)
        res = diff_fields(self.input_fields(), o, n, skip=("properties",))
        for path, d in diff_map("properties", o.get("properties"), n.get("properties"),
                                replace_keys=zfs.CREATE_ONLY).items():
            if d.replace:
                d.why = "this property can only be set when the dataset is created"
            res.changes[path] = d
        return res

    # -- create ---------------------------------------------------------------------------
    @staticmethod
    def _make_step(ctx, a: ZfsDatasetArgs) -> Step:
        # the dataset carries its URN (a local user property, set by the same command)
        props = {**a.properties, journal.ZFS_PROPERTY: journal.encode_urn(ctx.urn)}
        if a.origin:
            return Step(zfs.clone(a.origin, a.name, props), "make")
        return Step(zfs.create(a.name, props), "make")

    async def _make(self, ctx, a: ZfsDatasetArgs) -> ZfsDatasetState:
        """One exec: create (or clone), then read the new dataset back. Any failure after zfs
        made it records it (the next run reads the host and converges: update creates the
        dataset when it is missing)."""
        def partial(done: StepResults):
            made = "was created" if done.ok("make") else "may have been created"
            return a.name, self.outputs(a, ZfsDatasetState()), f"dataset {a.name} {made}"

        done = await self.apply(ctx, [self._make_step(ctx, a),
                                      Step(zfs.get_all(names=[a.name]), "get", mutates=False)],
                                partial=partial)
        try:
            ds = zfs.parse_get(done["get"].stdout).get(a.name)
            if ds is None:
                raise ValueError("zfs get did not list it")
        except ValueError as e:
            raise PartialFailure(f"dataset {a.name} was created, but reading it back failed: {e}",
                                 a.name, self.outputs(a, ZfsDatasetState())) from e
        a.origin = _live_origin(ds)
        return _state(ds)

    async def create(self, ctx, a: ZfsDatasetArgs):
        # No existence pre-read: zfs itself refuses an existing name.
        try:
            return a.name, await self._make(ctx, a)
        except AlreadyExists:
            raise journaling.Conflict(
                f"dataset {a.name} already exists on the host; adopt it with "
                f"`pulumi import freebsd:index:ZfsDataset <resource-name> {a.name}` instead of "
                f"creating it", a.name) from None

    async def owner(self, ctx, resource_id, a):
        ds = (await ctx.host.get(facts.datasets())).get(resource_id)
        return journaling.ABSENT if ds is None else ds.urn_marker()

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, resource_id: str, a: Optional[ZfsDatasetArgs], state):
        ds = (await ctx.host.get(facts.datasets())).get(resource_id)
        if ds is None:
            return None
        declared = dict(a.properties) if a is not None else {}
        props: dict[str, str] = {}
        for k, v in ds.local_properties().items():
            if k == journal.ZFS_PROPERTY:
                continue
            # keep the user's spelling when it means the live value (e.g. quota=10G vs 10737418240)
            props[k] = declared[k] if k in declared and zfs.values_equal(k, declared[k], v) else v
        return (ZfsDatasetArgs(resource_id, props, _live_origin(ds), a.recursive if a is not None else False),
                _state(ds))

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, resource_id, olds: ZfsDatasetArgs, news: ZfsDatasetArgs, state):
        # One exec: zfs set / zfs inherit, then the read-back. A failure half-way needs no
        # record: the retry sets and inherits the same properties again.
        old_p, new_p = olds.properties, news.properties
        changed = {k: v for k, v in new_p.items() if old_p.get(k) != v}
        steps = [Step(zfs.set_props(resource_id, changed), "set")] if changed else []
        steps += [Step(zfs.inherit(resource_id, k), "inherit") for k in sorted(set(old_p) - set(new_p))]
        steps.append(Step(zfs.get_all(names=[resource_id]), "get", mutates=False))
        try:
            done = await self.apply(ctx, steps)
        except DatasetMissing:
            # a previous run failed half-way (or it was destroyed by hand since the last refresh)
            return await self._make(ctx, news)
        ds = zfs.parse_get(done["get"].stdout).get(resource_id)
        if ds is None:
            raise RuntimeError(f"dataset {resource_id} disappeared during the update")
        news.origin = _live_origin(ds)
        return _state(ds)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, resource_id, a: ZfsDatasetArgs, state):
        done = await self.apply(ctx, [Step(zfs.destroy(resource_id, recursive=a.recursive), "destroy",
                                           tolerate=(DatasetMissing,))])
        if not done.ok("destroy"):
            await ctx.host.log(f"dataset {resource_id} is already gone", "info")
