"""BaseSystem: a FreeBSD base system (base.txz, ...) fetched from a mirror and extracted into a directory."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import CommandFailed, ProviderError
from ..host import fetch, journal
from ..host.steps import ANSWER, Step, StepResults
from . import journaling
from .base import Failure, Resource, field

FETCH_TIMEOUT = 3600.0  # s: one set's download, or its extraction
WIPE_TIMEOUT = 1800.0   # s: removing a whole tree


@dataclass
class BaseSystemArgs:
    path: str = field(
        "Directory to extract into, usually a ZfsDataset's mountpoint, e.g. "
        "`/jails/templates/base`. It must exist and be at least two levels deep; system "
        "directories of the host are refused. Changing it replaces the resource.", replace=True,
        check=fetch.install_path_error)
    release: str = field("FreeBSD release to install, e.g. `15.0-RELEASE`. Changing it "
                         "replaces the resource.", replace=True, check=fetch.release_error)
    arch: str = field("Architecture (`amd64`, `arm64`, `i386`, `armv7`, `powerpc64`, "
                      "`powerpc64le`, `riscv64`). Changing it replaces the resource.",
                      default="amd64", replace=True, check=fetch.arch_error)
    mirror: str = field(
        "Mirror URL (https or http) holding `ARCH/RELEASE/SET`, e.g. the default "
        "`https://download.freebsd.org/releases`. Changing it is recorded without re-installing.",
        default=fetch.DEFAULT_MIRROR, check=fetch.mirror_error)
    dist_sets: list[str] = field(
        "Distribution sets to extract, in order, e.g. `[\"base.txz\", \"lib32.txz\"]`. "
        "Changing them replaces the resource.", default_factory=lambda: ["base.txz"], replace=True,
        check=fetch.dist_set_error, unique=True)
    copy_resolv_conf: bool = field(
        "Copy the host's /etc/resolv.conf into PATH/etc/ so the jails resolve names. Refresh "
        "reports drift when the copy differs from the host's file.", default=True)
    copy_localtime: bool = field(
        "Copy the host's /etc/localtime into PATH/etc/ (same time zone as the host). Refresh "
        "reports drift when the copy differs from the host's file.", default=True)


@dataclass
class BaseSystemState:
    installed_release: str = field(
        "The release found in the tree (`USERLAND_VERSION` of PATH/bin/freebsd-version, else "
        "the provider's marker file PATH/var/db/pulumi-freebsd-base).", default="")


class _Installed(Exception):
    """The create guard found a base system (or a marker) in the directory."""


class BaseSystem(Resource):
    token = "freebsd:index:BaseSystem"
    description = (
        "A FreeBSD base system installed into a directory, as in the tutorial's template: for "
        "each set `fetch -o /tmp/pulumi-freebsd-base.XXXXXXXX/SET MIRROR/ARCH/RELEASE/SET` and "
        "`tar -xf ... -C PATH`, then the temporary files are removed and the host's "
        "resolv.conf and localtime are copied in. A marker file PATH/var/db/pulumi-freebsd-base "
        "records release, arch and sets.\n\n"
        "Refresh reports the resource gone when PATH/bin/sh is missing, and drift when the "
        "installed release differs or the copied files no longer match the host's. Delete "
        "removes everything below PATH (clearing the schg flags first), never crossing into "
        "other mounted file systems and never removing PATH itself (a dataset's mountpoint "
        "stays, empty). It refuses paths that are system directories or less than two levels "
        "deep, and trees without the marker (not installed by this provider). Import ID: PATH."
    )
    Args = BaseSystemArgs
    State = BaseSystemState
    crash_note = (
        "The tree's marker file (`var/db/pulumi-freebsd-base`) is written before anything is "
        "extracted and names the resource's URN. When `pulumi up` was killed during the install, "
        "the next create finds the tree marked with this URN and extracts every set again over it; "
        "a tree without this URN is refused (import it).")
    import_id = "the directory, e.g. `/jails/templates/base`"
    crash_safety = "marker"
    example = {"path": "/jails/templates/base", "release": "15.0-RELEASE", "arch": "amd64", "mirror": "https://download.freebsd.org/releases", "distSets": ["base.txz"]}

    def validate(self, a: BaseSystemArgs) -> list[Failure]:
        # a rule on the whole list (the field's check sees each item)
        if isinstance(a.dist_sets, list) and not a.dist_sets:
            return [Failure("distSets", "distSets must name at least one set, e.g. base.txz")]
        return []

    @staticmethod
    def _copies(a: BaseSystemArgs) -> list[Step]:
        etc = a.path.rstrip("/") + "/etc"
        steps = []
        if a.copy_resolv_conf:
            steps.append(Step(fetch.copy_into("/etc/resolv.conf", etc), "copy resolv.conf"))
        if a.copy_localtime:
            steps.append(Step(fetch.copy_into("/etc/localtime", etc), "copy localtime"))
        return steps

    @staticmethod
    def _marker(ctx, a: BaseSystemArgs, sets: list[str], name: str = "marker") -> Step:
        return Step(fetch.set_marker(a.path, fetch.marker_text(a.release, a.arch, sets, a.mirror, ctx.urn)), name)

    async def owner(self, ctx, resource_id, a):
        info = await ctx.host.get(fetch.tree(resource_id))
        if not info["sh"] and not info["marker"]:
            return journaling.ABSENT
        return journal.decode_urn(info["marker"]["urn"]) if "urn" in info["marker"] else None

    async def create(self, ctx, a: BaseSystemArgs):
        a.path = path = a.path.rstrip("/")
        try:
            return await self._install(ctx, a, guard=True)
        except _Installed:
            # a tree with this resource's own marker: an install killed half-way (the engine
            # retries its create); extract every set again over it
            if await self.owner(ctx, path, a) != ctx.urn:
                raise RuntimeError(
                    f"{path} already holds a base system; adopt it with `pulumi import "
                    f"freebsd:index:BaseSystem <resource-name> {path}` or choose an empty directory") from None
            await ctx.host.log(f"{path}: finishing the install an interrupted `pulumi up` began", "info")
            return await self._install(ctx, a, guard=False)

    async def _install(self, ctx, a: BaseSystemArgs, guard: bool):
        path = a.path
        # ONE exec: guard (changes nothing; refuses a missing directory or an existing tree),
        # the marker with no set yet (a tree this create touched always carries its URN), temp
        # dir, fetch + extract each set, remove the temp dir (best effort: a leftover temp dir
        # must not fail the install), the marker with the sets, copies, inspect.
        tmp = fetch.temp_dir_name()
        steps = ([Step(fetch.create_guard(path), "guard", mutates=False)] if guard else []) + [
                 self._marker(ctx, a, [], "begin"), Step(fetch.make_temp_dir_at(tmp), "tmp")]
        for s in a.dist_sets:
            url = fetch.dist_url(a.mirror, a.arch, a.release, s)
            await ctx.host.log(f"fetching {url}", "info")
            # an hour for each download and each extraction, whatever the commandTimeout
            steps += [Step(fetch.fetch_to(url, f"{tmp}/{s}"), f"fetch {s}", timeout=FETCH_TIMEOUT),
                      Step(fetch.extract(f"{tmp}/{s}", path), f"extract {s}", timeout=FETCH_TIMEOUT)]
        steps.append(Step(fetch.remove_temp_dir(tmp), "cleanup", tolerate=ANSWER))
        steps.append(self._marker(ctx, a, a.dist_sets))
        steps += self._copies(a)
        steps.append(Step(fetch.inspect(path), "inspect", primes=fetch.tree(path), mutates=False))

        def touched(done: StepResults) -> bool:
            return any(n.startswith("extract ") for n in done.names() + [s.name for s in done.pending])

        def sets_in_marker(done: StepResults) -> list[str]:
            return a.dist_sets if done.ok("marker") else [s for s in a.dist_sets if done.ok(f"extract {s}")]

        def partial(done: StepResults) -> Optional[tuple]:
            # the tree has files: record what it holds. Its marker (written below when the
            # install stopped before it) lists the sets extracted, so that refresh sees the
            # missing ones, a replace empties the tree, and delete finds the marker it needs.
            if not touched(done):
                return None
            got = BaseSystemArgs(path, a.release, a.arch, a.mirror, sets_in_marker(done),
                                 a.copy_resolv_conf and done.ok("copy resolv.conf"),
                                 a.copy_localtime and done.ok("copy localtime"))
            return path, self.outputs(got, BaseSystemState(a.release)), f"{path} is partly installed"

        done = StepResults()
        try:
            await self.apply(ctx, steps, partial=partial, done=done)
        except Exception:
            # the temp dir goes anyway (ours: mkdir made it), and a touched tree gets its marker
            # (also when the connection was lost: the temp dir may exist)
            after = []
            if ("tmp" in done or done.pending) and "cleanup" not in done:
                after.append(Step(fetch.remove_temp_dir(tmp), "cleanup", tolerate=ANSWER))
            if touched(done) and not done.ok("marker"):
                after.append(self._marker(ctx, a, sets_in_marker(done)))
            elif done.ok("begin") and not touched(done):  # nothing extracted: no marker either
                after.append(Step(fetch.unmark(path), "unmark", tolerate=ANSWER))
            if after:
                try:
                    await self.apply(ctx, after)
                except ProviderError:  # report the original failure
                    pass
            if done.names() == ["guard"]:
                code = done["guard"].exit_code
                if code == fetch.GUARD_NO_DIR:
                    raise RuntimeError(f"{path} does not exist: create it first (e.g. a ZfsDataset with "
                                       f"mountpoint {path}) and make this resource depend on it") from None
                if code == fetch.GUARD_INSTALLED:
                    raise _Installed() from None
            raise
        info = fetch.parse_inspect(done["inspect"].stdout)
        return path, BaseSystemState(info["release"] or a.release)

    async def read(self, ctx, resource_id, a: Optional[BaseSystemArgs], state):
        path = resource_id
        err = fetch.install_path_error(path)
        if err:
            raise ValueError(f"invalid BaseSystem id: {err}")
        info = await ctx.host.get(fetch.tree(path))
        if not info["sh"]:
            return None
        m = info["marker"]
        release = info["release"] or m.get("release", "")
        if a is None:  # import
            got = BaseSystemArgs(
                path, release, m.get("arch") if m.get("arch") in fetch.ARCH_DIRS else "amd64",
                m.get("mirror") or fetch.DEFAULT_MIRROR, m.get("sets", "base.txz").split() or ["base.txz"],
                info["resolv_same"], info["localtime_same"])
        else:
            got = BaseSystemArgs(
                path, release, m["arch"] if m.get("arch") in fetch.ARCH_DIRS else a.arch, a.mirror,
                m["sets"].split() if "sets" in m else a.dist_sets,
                # a copy that no longer matches the host's file is drift (the next up copies again)
                info["resolv_same"] if a.copy_resolv_conf else False,
                info["localtime_same"] if a.copy_localtime else False)
        return got, BaseSystemState(release)

    async def update(self, ctx, resource_id, olds: BaseSystemArgs, news: BaseSystemArgs, state):
        # ONE exec: the copies, the marker (only where there is one) when the mirror changed,
        # then the inspect the outputs come from. A retry of a failed update does the same again.
        steps = self._copies(news)
        if olds.mirror != news.mirror:
            steps.append(Step(fetch.update_marker(resource_id, fetch.marker_text(
                news.release, news.arch, news.dist_sets, news.mirror, ctx.urn)), "marker"))
        steps.append(Step(fetch.inspect(resource_id), "inspect", primes=fetch.tree(resource_id), mutates=False))
        done = await self.apply(ctx, steps)
        return BaseSystemState(fetch.parse_inspect(done["inspect"].stdout)["release"] or news.release)

    async def delete(self, ctx, resource_id, a: BaseSystemArgs, state):
        path = resource_id
        # ONE exec: the guard (exits non-zero, changing nothing, unless the tree has our marker)
        # and the wipe.
        done = StepResults()
        try:
            await self.apply(ctx, [Step(fetch.delete_guard(path), "guard", mutates=False),
                                   Step(fetch.wipe(path), "wipe", timeout=WIPE_TIMEOUT)], done=done)
        except CommandFailed:
            code = done["guard"].exit_code if done.names() == ["guard"] else 0
            if code == fetch.GUARD_NOTHING:
                await ctx.host.log(f"{path} holds no base system any more", "info")
                return
            if code == fetch.GUARD_FOREIGN:
                raise RuntimeError(
                    f"refusing to empty {path}: it has no {fetch.MARKER} marker, so this provider did "
                    f"not install it; remove it by hand if that is what you want") from None
            raise
