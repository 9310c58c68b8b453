"""ZfsSnapshot: a ZFS snapshot (optionally recursive) of a dataset."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .. import wire
from ..errors import AlreadyExists, DatasetMissing
from ..host import journal, zfs
from ..host.steps import Step
from . import journaling
from .base import Failure, PartialFailure, Resource, field


@dataclass
class ZfsSnapshotArgs:
    dataset: str = field("The dataset to snapshot, e.g. `zroot/jails/templates/base`. Changing "
                         "it replaces the snapshot.", replace=True, check=zfs.dataset_arg_error)
    snapshot_name: str = field("The snapshot's name (the part after '@'), e.g. `15.0-RELEASE`. "
                               "Changing it replaces the snapshot.", replace=True,
                               check=zfs.snapshot_name_error)
    recursive: bool = field(
        "Also snapshot every descendant dataset (`zfs snapshot -r`); delete then destroys the "
        "snapshot of that name in every descendant (`zfs destroy -r`). Changing it replaces the "
        "snapshot.", default=False, replace=True)


@dataclass
class ZfsSnapshotState:
    name: str = field("Full snapshot name, `DATASET@SNAPSHOT`.", default="")
    used: int = field("Bytes used only by this snapshot (`used`).", default=0)
    referenced: int = field("Bytes referenced by the snapshot (`referenced`).", default=0)
    guid: str = field("The snapshot's GUID.", default="")
    creation: int = field("Creation time, seconds since the epoch.", default=0)
    clones: list[str] = field("Datasets cloned from this snapshot (`clones`); while there are "
                              "any, delete fails instead of destroying them.", default_factory=list)


def _state(name: str, snap: Optional[zfs.Dataset]) -> ZfsSnapshotState:
    if snap is None:
        return ZfsSnapshotState(name=name)

    def num(p: str) -> int:
        v = snap.value(p, "0")
        return int(v) if v.isdigit() else 0
    return ZfsSnapshotState(name=name, used=num("used"), referenced=num("referenced"),
                            guid=snap.value("guid", ""), creation=num("creation"),
                            clones=zfs.clones_list(snap.value("clones", "")))


class ZfsSnapshot(Resource):
    token = "freebsd:index:ZfsSnapshot"
    description = (
        "A ZFS snapshot: `zfs snapshot [-r] DATASET@NAME`, e.g. the tutorial's "
        "`zroot/jails/templates/base@15.0-RELEASE` that the jails are cloned from. Any change "
        "of its inputs replaces it. Delete runs `zfs destroy [-r] DATASET@NAME` and never `-R`: "
        "while clones depend on the snapshot, delete fails with zfs's own message (delete the "
        "clones first). Import ID: `DATASET@NAME`; an imported snapshot is taken as "
        "non-recursive."
    )
    Args = ZfsSnapshotArgs
    State = ZfsSnapshotState
    crash_note = (
        "The snapshot carries its URN in the local user property `org.pulumi-freebsd:urn` (`zfs "
        "snapshot -o`). When `pulumi up` was killed after the snapshot was taken, the next create "
        "finds it with this URN and adopts it; any other existing snapshot is refused (import it).")
    import_id = "`DATASET@SNAPSHOT`, e.g. `zroot/jails/templates/base@15.0-RELEASE`"
    crash_safety = "marker"
    example = {"dataset": "zroot/jails/templates/base", "snapshotName": "15.0-RELEASE"}

    def validate(self, a: ZfsSnapshotArgs) -> list[Failure]:
        # the full name's length depends on both fields
        ds, snap = a.dataset, a.snapshot_name
        if (isinstance(ds, str) and isinstance(snap, str) and not wire.is_unknown(ds)
                and not wire.is_unknown(snap) and len(ds) + 1 + len(snap) > zfs.MAX_NAME):
            return [Failure("snapshotName", f"the full name {ds}@{snap} is too long "
                                            f"(max {zfs.MAX_NAME} characters)")]
        return []

    async def create(self, ctx, a: ZfsSnapshotArgs):
        name = f"{a.dataset}@{a.snapshot_name}"
        # ONE exec: `zfs snapshot` (it refuses, changing nothing, when the snapshot exists: zfs
        # snapshots are atomic, also with -r), then the read-back of its properties.
        steps = [Step(zfs.snapshot(name, recursive=a.recursive, properties={journal.ZFS_PROPERTY: journal.encode_urn(ctx.urn)}),
                      "snapshot"),
                 Step(zfs.get_snapshots([name]), "get", tolerate=(DatasetMissing,), mutates=False)]
        recorded = (name, self.outputs(a, _state(name, None)), f"snapshot {name} was taken")
        try:
            done = await self.apply(ctx, steps, partial=lambda done: recorded)
        except AlreadyExists:
            # was it there already, or only a descendant's (-r)? (one more read, on this path only)
            if name in await ctx.host.get(zfs.snapshots()):
                raise journaling.Conflict(
                    f"snapshot {name} already exists on the host; adopt it with `pulumi import "
                    f"freebsd:index:ZfsSnapshot <resource-name> {name}` instead of creating it", name) from None
            raise
        try:
            snap = zfs.parse_get(done["get"].stdout).get(name) if done.ok("get") else None
        except ValueError as e:
            raise PartialFailure(f"{recorded[2]}, but reading it back failed: {e}", *recorded[:2]) from e
        if snap is None:
            raise PartialFailure(f"{recorded[2]}, but zfs does not list it", *recorded[:2])
        return name, _state(name, snap)

    async def owner(self, ctx, resource_id, a):
        snap = (await ctx.host.get(zfs.snapshots())).get(resource_id)
        return journaling.ABSENT if snap is None else snap.urn_marker()

    async def read(self, ctx, resource_id, a: Optional[ZfsSnapshotArgs], state):
        try:
            ds, sn = zfs.split_snapshot(resource_id)
        except ValueError as e:
            raise ValueError(f"invalid ZfsSnapshot id: {e}") from None
        snap = (await ctx.host.get(zfs.snapshots())).get(resource_id)
        if snap is None:
            return None
        return (ZfsSnapshotArgs(ds, sn, a.recursive if a is not None else False),
                _state(resource_id, snap))

    async def update(self, ctx, resource_id, olds, news: ZfsSnapshotArgs, state):
        # every input replaces; nothing to do in place
        snap = (await ctx.host.get(zfs.snapshots())).get(resource_id)
        if snap is None:
            raise RuntimeError(f"snapshot {resource_id} is gone")
        return _state(resource_id, snap)

    async def delete(self, ctx, resource_id, a: ZfsSnapshotArgs, state):
        # ONE exec: the existence check (a read) and, when the snapshot is there, the destroy;
        # never -R: clones depending on the snapshot make zfs refuse, with its own message
        try:
            await self.apply(ctx, [Step(zfs.get_snapshots([resource_id]), "look", mutates=False),
                                   Step(zfs.destroy(resource_id, recursive=a.recursive), "destroy")])
        except DatasetMissing:
            await ctx.host.log(f"snapshot {resource_id} is already gone", "info")
