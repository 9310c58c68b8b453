"""JailPackage: binary packages installed with pkg(8) inside a running jail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .. import wire
from ..errors import CommandFailed, JailNotRunning
from ..host import common, facts, pkg
from ..host.steps import Step, StepResults
from . import journaling
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import ADD, DELETE, DiffResult, Failure, PartialFailure, PropDiff, Resource, diff_fields, dump, field


@dataclass
class JailPackageArgs:
    jail: str = field("Name of the running jail to install into (`jexec JAIL pkg ...`). Changing "
                      "it replaces the resource.", replace=True, check=common.jail_name_error)
    packages: list[str] = field(
        "Packages to install, by name (`nginx`, `postgresql17-server`) or pinned to a version in "
        "pkg's `name-version` form (`nginx-1.28.2,3`; a pin without the port revision/epoch such "
        "as `nginx-1.28.2` matches `1.28.2_1` and `1.28.2,3`). Adding a package installs it and "
        "removing one deletes it, in place; packages it pulled in as dependencies are deleted with "
        "it when nothing else needs them.", check=pkg.spec_error)


@dataclass
class JailPackageState:
    installed: dict[str, str] = field(
        "Installed version of every declared package, by name (from `pkg query`).",
        default_factory=dict)
    bootstrapped_pkg: bool = field(
        "True when this resource bootstrapped pkg in the jail (`pkg bootstrap`).", default=False)
    added_dependencies: list[str] = field(
        "Packages that installing the declared ones pulled in as automatic dependencies (they "
        "were not installed before); delete removes those that nothing else needs any more.",
        default_factory=list)


# (state, new deps, what was done) -> (id, outputs, what was done): what a failure records
Record = Callable[[pkg.PkgState, list[str], str], tuple]


def parse_id(rid: str) -> tuple[str, list[str]]:
    jail, sep, rest = rid.partition(":")
    if not sep or not jail:
        raise ValueError(f"invalid JailPackage id {rid!r}: expected JAIL:PKG[,PKG...], e.g. "
                         f"webserver:nginx,postgresql17-client")
    names = [p for p in rest.split(",") if p]
    return jail, names


def make_id(jail: str, specs: list[str]) -> str:
    return f"{jail}:" + ",".join(pkg.split_spec(s)[0] for s in specs)


class JailPackage(Resource):
    token = "freebsd:index:JailPackage"
    description = (
        "Binary packages installed with pkg(8) inside a running jail, the way the tutorial does "
        "it: `jexec JAIL env ASSUME_ALWAYS_YES=yes pkg bootstrap` when the jail has no pkg yet, "
        "then `jexec JAIL pkg install -y NAME...` (pkg runs of one jail are serialized by a "
        "lockf(1) lock). The jail needs working DNS and a route to the package mirror.\n\n"
        "Refresh reads the jail's installed packages (`pkg query -a`, shared by every JailPackage "
        "of that jail): a package deleted by hand (`pkg delete -y vim`) or another version shows up as "
        "drift, and the next `up` installs it again. When the jail is not running, refresh keeps "
        "what was known.\n\n"
        "Delete runs `pkg delete -y` for the declared packages only, never for a package that "
        "another installed package still depends on (pkg would delete the dependants too); "
        "dependencies this resource pulled in are deleted when nothing needs them any more. pkg "
        "itself stays once bootstrapped (it goes with the jail's dataset)."
    )
    Args = JailPackageArgs
    State = JailPackageState
    example = {"jail": "webserver", "packages": ["nginx", "postgresql17-client-17.9"]}
    crash_note = (
        "Packages cannot carry a marker: the resource's journal record " + JOURNAL + " keeps whether "
        "this resource bootstrapped pkg. When `pulumi up` was killed during the install, the next "
        "create adopts what is installed with that record and installs the rest.")
    import_id = ("`JAIL:PKG[,PKG...]`, e.g. `webserver:nginx,postgresql17-client` (the packages "
                 "must be installed; versions are not pinned on import)")

    # -- check ----------------------------------------------------------------------------
    def validate(self, a: JailPackageArgs) -> list[Failure]:
        f: list[Failure] = []
        if isinstance(a.packages, list):
            if not a.packages:
                f.append(Failure("packages", "declare at least one package"))
            seen: dict[str, int] = {}
            for i, s in enumerate(a.packages):
                if wire.is_unknown(s):
                    continue
                name = pkg.split_spec(s)[0]
                if name in seen:
                    f.append(Failure(f"packages[{i}]", f"package {name!r} is declared twice "
                                                       f"(also packages[{seen[name]}])"))
                seen[name] = i
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: JailPackageArgs, news: JailPackageArgs) -> DiffResult:
        res = diff_fields(self.input_fields(), dump(olds), dump(news), skip=("packages",))
        o, n = olds.packages or [], news.packages
        if wire.contains_unknown(n):
            res.changes["packages"] = PropDiff("update", False, "unknown until apply")
            return res
        n = n or []
        if sorted(o) != sorted(n):
            on = {pkg.split_spec(s)[0]: s for s in o}
            nn = {pkg.split_spec(s)[0]: s for s in n}
            kind = ADD if not o else DELETE if not n else "update"
            whys = []
            if set(nn) - set(on):
                whys.append("installs " + ", ".join(sorted(set(nn) - set(on))))
            if set(on) - set(nn):
                whys.append("deletes " + ", ".join(sorted(set(on) - set(nn))))
            repinned = sorted(k for k in set(on) & set(nn) if on[k] != nn[k])
            if repinned:
                whys.append("re-pins " + ", ".join(repinned))
            res.changes["packages"] = PropDiff(kind, False, "; ".join(whys) + " (in place)")
        return res

    # -- host access ----------------------------------------------------------------------
    # The jail's package list is the shared fact ``facts.pkg_state``; every write is one
    # sequence that ends with that same read (it primes the fact for the next reader).
    @staticmethod
    async def _pkg_state(ctx, jail: str) -> pkg.PkgState:
        try:
            return await ctx.host.get(facts.pkg_state(jail))
        except JailNotRunning as e:
            raise _not_running(jail) from e

    @staticmethod
    def _state(a: JailPackageArgs, st: pkg.PkgState, bootstrapped: bool, added: list[str]) -> JailPackageState:
        return JailPackageState(pkg.installed_versions(a.packages, st), bootstrapped, sorted(added))

    async def _install(self, ctx, jail: str, specs: list[str], st: pkg.PkgState, record: Record, *,
                       bootstrap: bool = False, rdeps: bool = False
                       ) -> tuple[pkg.PkgState, list[str], Optional[dict[str, set[str]]]]:
        """Bootstrap pkg (when ``bootstrap``) and install what is missing (or pinned differently),
        in one sequence that ends with the state read (and the reverse dependencies when
        ``rdeps``). ``record(state, new_deps, what)``: what to record when it fails after a change.

        Returns (new state, new deps, reverse dependencies or None). With ``bootstrap`` the
        install is planned on an empty jail; ``pkg.only_pkg`` stops the sequence when the jail
        turns out to hold packages already, and the install is then planned again on what the
        bootstrap left and sent as a second exec.
        """
        todo = pkg.to_install(specs, st)
        if not bootstrap and not todo:
            return st, [], None
        steps: list[Step] = []
        if bootstrap:
            steps += [Step(pkg.bootstrap(jail), "bootstrap"),
                      Step(pkg.state(jail), "booted", mutates=False),
                      Step(pkg.only_pkg(jail), "only_pkg", mutates=False)]
        if todo:
            steps.append(Step(pkg.install(jail, todo), "install"))
        steps.append(Step(pkg.state(jail), "state", primes=facts.pkg_state(jail), mutates=False))
        if rdeps:
            steps.append(Step(pkg.reverse_deps(jail), "rdeps", primes=pkg.dependants(jail), mutates=False))

        def booted(done: StepResults) -> Optional[pkg.PkgState]:
            return pkg.parse_state(done["booted"].stdout) if done.ok("booted") else None

        def now(done: StepResults) -> tuple[pkg.PkgState, list[str]]:
            """What the jail holds after ``done`` (its last state read) and the new deps."""
            before = booted(done) or st
            if not done.ok("state"):
                return before, []
            after = pkg.parse_state(done["state"].stdout)
            return after, pkg.added_dependencies(set(before.packages), after, specs)

        def partial(done: StepResults):
            if _stopped_at(done, "only_pkg"):
                return None  # planned again below
            b = booted(done)
            if b is not None and not b.bootstrapped:
                what = f"pkg bootstrap in jail {jail} reported success but {pkg.PKG} is missing"
            elif done.ok("install"):
                what = f"packages were installed in jail {jail}"
            else:
                what = f"pkg was bootstrapped in jail {jail}"
            return record(*now(done), what)

        done = StepResults()
        try:
            await self.apply(ctx, steps, partial=partial, done=done)
        except CommandFailed:
            if not _stopped_at(done, "only_pkg"):
                raise
            # the jail already had packages: plan the install on what is really there
            return await self._install(ctx, jail, specs, booted(done), record, rdeps=rdeps)
        b = booted(done)
        if b is not None and not b.bootstrapped:
            raise RuntimeError(f"pkg bootstrap in jail {jail} reported success but {pkg.PKG} is missing")
        after, deps = now(done)
        problem = pkg.install_problem(todo, after, jail)
        if problem:
            rid, outputs, _ = record(after, deps, "")
            raise PartialFailure(problem, rid, outputs)
        rd = pkg.dependants(jail).parse(done["rdeps"]) if rdeps else None
        return after, deps, rd

    async def _delete(self, ctx, jail: str, names: list[str], deps: list[str], st: pkg.PkgState,
                      rdeps: dict[str, set[str]], *, read_after: bool = False,
                      partial: Optional[Callable] = None) -> tuple[list[str], Optional[pkg.PkgState]]:
        """Delete ``names`` (never one that other packages need) then the orphaned ``deps``,
        given the jail's state ``st`` and reverse dependencies ``rdeps`` read just before.
        Returns (the deps that stay (still needed), the state after when ``read_after`` and
        something was deleted, else None)."""
        if not st.bootstrapped:
            return [], None
        names = [n for n in names if n in st.packages]
        deps = [d for d in deps if d in st.packages and st.packages[d].automatic and d not in names]
        if not names and not deps:
            return [], None
        go, kept = pkg.removable(names + deps, rdeps)
        for n, users in kept.items():
            if n in names:
                await ctx.host.log(f"jail {jail}: keeping package {n}: still needed by "
                                   f"{', '.join(users)}", "warning")
        after = None
        if go:
            steps = [Step(pkg.delete(jail, go), "delete")]
            if read_after:
                steps.append(Step(pkg.state(jail), "state", primes=facts.pkg_state(jail), mutates=False))
            done = await self.apply(ctx, steps, partial=partial)
            if read_after:
                after = pkg.parse_state(done["state"].stdout)
        return sorted(d for d in deps if d in kept), after

    # -- lifecycle ------------------------------------------------------------------------
    async def create(self, ctx, a: JailPackageArgs):
        jail, rid = a.jail, make_id(a.jail, a.packages)
        try:
            st, = await self.before(ctx, facts.pkg_state(jail))
        except JailNotRunning as e:
            raise _not_running(jail) from e
        # an interrupted create's record: pkg was there before it bootstrapped it
        bootstrapped = not st.bootstrapped or bool((journaling.prior(ctx) or {}).get("bootstrappedPkg"))

        def record(now: pkg.PkgState, deps: list[str], what: str):
            # pkg bootstrapped or packages installed: record them, so that the next `up`
            # finishes the install and `destroy` deletes what this create installed
            return rid, self.outputs(a, self._state(a, now, bootstrapped, deps)), what
        st, deps, _ = await self._install(ctx, jail, a.packages, st, record, bootstrap=not st.bootstrapped)
        return rid, self._state(a, st, bootstrapped, deps)

    async def read(self, ctx, rid, a: Optional[JailPackageArgs], state: Optional[JailPackageState]):
        jail, id_names = parse_id(rid)
        st = await ctx.host.get(facts.pkg_state(jail))  # JailNotRunning: the server keeps what we knew
        if not st.bootstrapped:
            return None
        state = state or JailPackageState()
        if a is None:
            specs = [n for n in id_names if n in st.packages]
            if not specs:
                return None
            missing = sorted(set(id_names) - set(specs))
            if missing:
                raise RuntimeError(f"cannot import {rid}: not installed in jail {jail}: {', '.join(missing)}")
        else:
            specs = []
            for s in a.packages or []:
                name, pin = pkg.split_spec(s)
                have = st.packages.get(name)
                if have is None:
                    continue  # deleted by hand: drift
                specs.append(s if pkg.version_matches(pin, have.version) else f"{name}-{have.version}")
            if not specs and a.packages:
                return None  # every declared package is gone
        args = JailPackageArgs(jail, specs)
        deps = [d for d in state.added_dependencies if d in st.packages]
        return args, self._state(args, st, state.bootstrapped_pkg, deps)

    async def update(self, ctx, rid, olds: JailPackageArgs, news: JailPackageArgs, state: JailPackageState):
        jail = news.jail
        new_names = {pkg.split_spec(s)[0] for s in news.packages}
        leaving = [s for s in olds.packages if pkg.split_spec(s)[0] not in new_names]
        gone = sorted(pkg.split_spec(s)[0] for s in leaving)
        try:
            if gone:
                # what to delete is known before any read: the reverse dependencies come with the state
                st0, rd = await ctx.host.get_many(facts.pkg_state(jail), pkg.dependants(jail))
            else:
                st0, rd = await ctx.host.get(facts.pkg_state(jail)), None
        except JailNotRunning as e:
            raise _not_running(jail) from e
        deps = list(state.added_dependencies)
        # until the packages that leave are deleted they are still this resource's: a failure
        # records them with the new ones, so that the next `up` deletes them
        held = JailPackageArgs(jail, list(news.packages) + leaving)

        def record(now: pkg.PkgState, more: list[str], what: str):
            added = [d for d in sorted(set(deps) | set(more)) if d in now.packages]
            return rid, self.outputs(held, self._state(held, now, state.bootstrapped_pkg, added)), what
        st, more, rd2 = await self._install(ctx, jail, news.packages, st0, record, rdeps=bool(gone))
        if rd2 is not None:
            rd = rd2  # read after the install
        deps = sorted(set(deps) | set(more))
        if gone:
            def partial(done):
                return record(st, [], f"packages were installed in jail {jail} but {', '.join(gone)} "
                                      f"may not have been deleted")
            # a dependency this resource added that is now declared is no longer "added"
            keep, after = await self._delete(ctx, jail, gone, [d for d in deps if d not in new_names],
                                             st, rd or {}, read_after=True, partial=partial)
            deps = keep
            st = after or st
        deps = [d for d in deps if d in st.packages and d not in new_names]
        return self._state(news, st, state.bootstrapped_pkg, deps)

    async def delete(self, ctx, rid, a: JailPackageArgs, state: JailPackageState):
        jail, id_names = parse_id(rid)
        names = [pkg.split_spec(s)[0] for s in (a.packages or [])] or id_names
        try:
            st, rd = await ctx.host.get_many(facts.pkg_state(jail), pkg.dependants(jail))
            await self._delete(ctx, jail, names, list(state.added_dependencies), st, rd)
        except JailNotRunning:
            await ctx.host.log(f"jail {jail} is not running: nothing to delete", "info")


def _not_running(jail: str) -> RuntimeError:
    return RuntimeError(f"jail {jail} is not running: start it (VnetJail) before installing packages into it")


def _stopped_at(done: StepResults, name: str) -> bool:
    """The sequence stopped at the step ``name``: it was the last to run and it failed."""
    return bool(done.items) and done.items[-1][0].name == name and done.items[-1][1].exit_code != 0
