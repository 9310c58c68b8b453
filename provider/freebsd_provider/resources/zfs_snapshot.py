"""ZfsSnapshot: a ZFS snapshot (optionally recursive) of a dataset."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import zfs
from ..hostctx import Host
from ..ssh import CommandError
from .base import Failure, Resource, field


@dataclass
class ZfsSnapshotArgs:
    dataset: str = field("The dataset to snapshot, e.g. `zroot/jails/templates/base`. Changing "
                         "it replaces the snapshot.", replace=True)
    snapshot_name: str = field("The snapshot's name (the part after '@'), e.g. `15.0-RELEASE`. "
                               "Changing it replaces the snapshot.", replace=True)
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
    import_id = "`DATASET@SNAPSHOT`, e.g. `zroot/jails/templates/base@15.0-RELEASE`"
    example = {"dataset": "zroot/jails/templates/base", "snapshotName": "15.0-RELEASE"}

    FACT = zfs.get_snapshots()

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []
        ds = inputs.get("dataset")
        if isinstance(ds, str) and not wire.is_unknown(ds):
            err = zfs.dataset_name_error(ds)
            if err:
                f.append(Failure("dataset", f"invalid dataset name {ds!r}: {err}"))
        snap = inputs.get("snapshotName")
        if isinstance(snap, str) and not wire.is_unknown(snap):
            err = zfs.snapshot_component_error(snap)
            if err:
                f.append(Failure("snapshotName", f"invalid snapshot name {snap!r}: {err}"))
            elif snap.startswith("-"):
                f.append(Failure("snapshotName", f"invalid snapshot name {snap!r}: must not start with '-'"))
            elif snap.strip() != snap:
                # zfs itself accepts spaces anywhere (zfs_namecheck.c valid_char); a blank name
                # or one with spaces around it is a typo, not what an admin means
                f.append(Failure("snapshotName", f"invalid snapshot name {snap!r}: it must not be "
                                                 f"blank or start or end with a space"))
            elif isinstance(ds, str) and not wire.is_unknown(ds) and len(ds) + 1 + len(snap) > zfs.MAX_NAME:
                f.append(Failure("snapshotName", f"the full name {ds}@{snap} is too long "
                                                 f"(max {zfs.MAX_NAME} characters)"))
        return f

    async def _lookup(self, host: Host, name: str) -> Optional[zfs.Dataset]:
        res = await host.fact(self.FACT)
        return zfs.parse_get(res.stdout).get(name)

    @staticmethod
    def _outputs(inputs: dict[str, Any], name: str, snap: zfs.Dataset) -> dict[str, Any]:
        def num(p: str) -> int:
            v = snap.value(p, "0")
            return int(v) if v.isdigit() else 0
        out = dict(inputs)
        out.update({
            "name": name, "used": num("used"), "referenced": num("referenced"),
            "guid": snap.value("guid", ""), "creation": num("creation"),
            "clones": zfs.clones_list(snap.value("clones", "")),
        })
        return out

    @staticmethod
    def _get_one(name: str) -> list[str]:
        """The snapshot fact's read, for the one snapshot ``name`` (fails when it does not exist)."""
        return [*zfs.get_snapshots(), name]

    async def create(self, ctx, inputs):
        host: Host = ctx.host
        name = f"{inputs['dataset']}@{inputs['snapshotName']}"
        # ONE exec: `zfs snapshot` (it refuses, changing nothing, when the snapshot exists: zfs
        # snapshots are atomic, also with -r), then the read-back of its properties.
        steps = await host.batch([zfs.snapshot(name, recursive=bool(inputs.get("recursive"))),
                                  self._get_one(name)], check=False)
        made = steps[0]
        if made.exit_code != 0:
            # was it there already? (only on this failure path: one more read)
            if await self._lookup(host, name) is not None:
                raise RuntimeError(
                    f"snapshot {name} already exists on the host; adopt it with "
                    f"`pulumi import freebsd:index:ZfsSnapshot <resource-name> {name}` instead of creating it")
            raise CommandError(made)
        got = steps[1]
        if got.exit_code != 0 and not zfs.is_missing_dataset_error(got.stderr):
            raise CommandError(got)
        snap = zfs.parse_get(got.stdout).get(name) if got.exit_code == 0 else None
        if snap is None:
            raise RuntimeError(f"zfs reported success but snapshot {name} is not listed")
        return name, self._outputs(inputs, name, snap)

    async def read(self, ctx, resource_id, inputs, state):
        try:
            ds, sn = zfs.split_snapshot(resource_id)
        except ValueError as e:
            raise ValueError(f"invalid ZfsSnapshot id: {e}") from None
        snap = await self._lookup(ctx.host, resource_id)
        if snap is None:
            return None
        new_inputs = {"dataset": ds, "snapshotName": sn,
                      "recursive": bool((inputs or {}).get("recursive", False))}
        return new_inputs, self._outputs(new_inputs, resource_id, snap)

    async def update(self, ctx, resource_id, olds, news, state):
        # every input replaces; nothing to do in place
        snap = await self._lookup(ctx.host, resource_id)
        if snap is None:
            raise RuntimeError(f"snapshot {resource_id} is gone")
        return self._outputs(news, resource_id, snap)

    async def delete(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        # ONE exec: the existence check (a read) and, when the snapshot is there, the destroy;
        # never -R: clones depending on the snapshot make zfs refuse, with its own message
        steps = await host.batch([self._get_one(resource_id),
                                  zfs.destroy(resource_id, recursive=bool(inputs.get("recursive")))],
                                 check=False)
        look = steps[0]
        if look.exit_code != 0:
            if zfs.is_missing_dataset_error(look.stderr):
                await host.log(f"snapshot {resource_id} is already gone", "info")
                return
            raise CommandError(look)
        if steps[-1].exit_code != 0:
            raise CommandError(steps[-1])
