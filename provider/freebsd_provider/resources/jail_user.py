"""JailUser: a user account inside a running jail, managed with pw(8)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import GroupMissing, JailNotRunning, UserExists, UserMissing
from ..host import common, pw
from ..host.steps import Step
from .journaling import JOURNAL_NOTE as JOURNAL
from .base import Resource, field


@dataclass
class JailUserArgs:
    jail: str = field("The running jail the user lives in (its name). Changing it replaces the "
                      "resource.", replace=True, check=common.jail_name_error)
    name: str = field("Login name: at most 32 bytes of printable ASCII, not starting with `-`, "
                      "without space or `,:+&#%$^()!@~*?<>=|\\/\"` (a final `$` is allowed), as "
                      "pw(8) requires. Changing it replaces the resource.",
                      replace=True, check=pw.name_error)
    uid: Optional[int] = field(
        "The user id (`pw useradd -u`). Unset: pw picks the next free one. Changing it runs "
        "`pw usermod -u`; files the user owns keep the old uid.", default=None, check=pw.uid_error)
    group: Optional[str] = field(
        "Primary group (name). Unset: the group pw chose when it created the user (a group named "
        "after the user, made for it unless it exists without members); unsetting it later "
        "restores that group.", default=None, check=pw.name_error)
    groups: list[str] = field("Supplementary groups (names); the user is a member of exactly "
                              "these (`pw usermod -G`).", default_factory=list,
                              check=pw.name_error, unique=True)
    comment: str = field("The comment (gecos) field, e.g. the full name; no `:` or control "
                         "characters.", default="", check=pw.comment_error)
    home: Optional[str] = field("Home directory (absolute). Unset: `/home/NAME`.", default=None,
                                check=pw.home_error)
    shell: str = field("Login shell (absolute path), e.g. `/usr/sbin/nologin` for a service "
                       "account.", default="/bin/sh", check=pw.shell_error)
    create_home: bool = field("Create the home directory (from /usr/share/skel) when the user is "
                              "created or its home changes (`-m`).", default=True)
    remove_home: bool = field(
        "On delete, also remove the home directory and the files the user owns in it "
        "(`pw userdel -r`). Off by default: only the account goes.", default=False)


@dataclass
class JailUserState:
    uid: Optional[int] = field("The user's uid.", default=None, always_present=True)
    gid: Optional[int] = field("The gid of the user's primary group.", default=None,
                               always_present=True)
    default_gid: Optional[int] = field(
        "The gid of the primary group pw chose when `group` was unset (restored when `group` is "
        "unset again); unset when the user was created with `group`.", default=None)


class JailUser(Resource):
    token = "freebsd:index:JailUser"
    description = (
        "A user account inside a running jail, managed with pw(8) through jexec: `pw useradd` "
        "on create, `pw usermod` of what differs on update, `pw userdel` on delete (with `-r` "
        "only when `removeHome` is set; pw also removes the group named after the user when it "
        "is the user's primary group and has no other members). Refresh reads the jail's user "
        "and group lists once for all the JailUsers of that jail and reports changes made by "
        "hand to the uid, groups, comment, home and shell. When the jail is not running, "
        "refresh keeps what was known and delete leaves the account in the jail's files. "
        "Import ID: `JAIL/NAME`."
    )
    Args, State = JailUserArgs, JailUserState
    crash_note = (
        "A user entry has no room for a marker (its comment field is yours): the resource's journal "
        "record " + JOURNAL + " names it. When `pulumi up` was killed after `pw useradd`, the next "
        "create adopts the user with that record and converges it; a user without a record is "
        "refused (import it).")
    import_id = "`JAIL/NAME`, e.g. `web/app`"
    example = {"jail": "web", "name": "app", "groups": ["wheel"], "comment": "App user",
               "shell": "/usr/sbin/nologin"}

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _id(jail: str, name: str) -> str:
        return f"{jail}/{name}"

    @staticmethod
    def _parse_id(rid: str) -> tuple[str, str]:
        jail, sep, name = rid.partition("/")
        err = None if sep else "expected JAIL/NAME"
        err = err or common.jail_name_error(jail) or pw.name_error(name)
        if err:
            raise ValueError(f"invalid JailUser id {rid!r}: {err}")
        return jail, name

    @staticmethod
    def _reads(jail: str) -> list[Step]:
        """Re-read the jail's users and groups after a change (they prime the facts)."""
        return [Step(pw.show_users(jail), "users", primes=pw.users(jail), mutates=False),
                Step(pw.show_groups(jail), "groups", primes=pw.groups(jail), mutates=False)]

    @staticmethod
    def _listed(done, jail: str, name: str) -> pw.User:
        u = pw.parse_users(done["users"].stdout).get(name)
        if u is None:
            raise RuntimeError(f"pw succeeded but `pw usershow -a` in jail {jail} does not list "
                               f"user {name}")
        return u

    async def _add(self, ctx, a: JailUserArgs) -> JailUserState:
        """``pw useradd`` and the read-back; a failure after the add records the user."""
        rid = self._id(a.jail, a.name)
        st = JailUserState(uid=a.uid)
        steps = [Step(pw.useradd(a.jail, a.name, uid=a.uid, group=a.group, groups=a.groups,
                                 comment=a.comment, home=a.home or pw.default_home(a.name),
                                 shell=a.shell, create_home=a.create_home), "add"),
                 *self._reads(a.jail)]

        def partial(done):
            # the add ran (or its exec was lost): record the user so the next `up` reads and
            # repairs it, and `destroy` removes it
            return rid, self.outputs(a, st), f"user {a.name} may have been added to jail {a.jail}"

        try:
            done = await self.apply(ctx, steps, partial=partial)
        except UserExists as e:
            raise RuntimeError(
                f"user {a.name} already exists in jail {a.jail}: import it (ID `{rid}`) or remove "
                f"it first ({e.stderr.strip()})") from e
        u = self._listed(done, a.jail, a.name)
        st.uid, st.gid = u.uid, u.gid
        st.default_gid = u.gid if a.group is None else None
        return st

    # -- lifecycle ------------------------------------------------------------------------------
    async def create(self, ctx, a: JailUserArgs):
        await self.before(ctx)
        return self._id(a.jail, a.name), await self._add(ctx, a)

    async def read(self, ctx, rid, a: Optional[JailUserArgs], state: Optional[JailUserState]):
        jail, name = self._parse_id(rid)
        acc = await pw.accounts(ctx.host, jail)
        u = acc.users.get(name)
        if u is None:
            return None
        st = state or JailUserState()
        primary = acc.group_name(u.gid) or str(u.gid)
        member_of = acc.member_of(name)
        if a is None:  # import: pw's own group counts as the default
            own = primary == name
            args = JailUserArgs(jail, name, group=None if own else primary, groups=member_of,
                                comment=u.gecos, shell=u.shell,
                                home=None if u.home == pw.default_home(name) else u.home)
            return args, JailUserState(uid=u.uid, gid=u.gid, default_gid=u.gid if own else None)
        if a.group is not None:
            group = a.group if a.group in (primary, str(u.gid)) else primary
        else:
            group = None if st.default_gid in (None, u.gid) else primary
        home = a.home if a.home == u.home else (
            None if a.home is None and u.home == pw.default_home(name) else u.home)
        args = JailUserArgs(
            jail, name, uid=u.uid if a.uid is not None else None, group=group,
            groups=a.groups if set(a.groups) == set(member_of) else member_of,
            comment=u.gecos, home=home, shell=u.shell,
            create_home=a.create_home, remove_home=a.remove_home)
        return args, JailUserState(uid=u.uid, gid=u.gid, default_gid=st.default_gid)

    async def update(self, ctx, rid, olds: JailUserArgs, news: JailUserArgs, state: JailUserState):
        jail, name = self._parse_id(rid)
        acc = await pw.accounts(ctx.host, jail)
        u = acc.users.get(name)
        if u is None:
            # gone since the last read (or a create whose outcome was unknown): add it again
            return await self._add(ctx, news)
        change: dict = {}
        if news.uid is not None and news.uid != u.uid:
            change["uid"] = news.uid
        group = news.group if news.group is not None else (
            str(state.default_gid) if state.default_gid is not None else None)
        if group is not None and group not in (acc.group_name(u.gid), str(u.gid)):
            change["group"] = group
        if set(news.groups) != set(acc.member_of(name)):
            change["groups"] = news.groups
        if news.comment != u.gecos:
            change["comment"] = news.comment
        home = news.home or pw.default_home(name)
        if home != u.home:
            change.update(home=home, create_home=news.create_home)
        if news.shell != u.shell:
            change["shell"] = news.shell
        st = JailUserState(uid=u.uid, gid=u.gid, default_gid=state.default_gid)
        if change:
            # one usermod: pw checks every group before it writes, so it changes all or nothing
            done = await self.apply(ctx, [Step(pw.usermod(jail, name, **change), "mod"),
                                          *self._reads(jail)])
            u = self._listed(done, jail, name)
            st.uid, st.gid = u.uid, u.gid
        if news.group is None and st.default_gid is None:
            st.default_gid = st.gid  # `group` unset after a create with it: keep the current one
        return st

    async def delete(self, ctx, rid, a: JailUserArgs, state: JailUserState):
        jail, name = self._parse_id(rid)
        steps = []
        if a.group is not None and state.default_gid is not None and state.gid != state.default_gid:
            # back to the group pw made for the user, so that userdel removes it as well
            steps.append(Step(pw.usermod(jail, name, group=str(state.default_gid)), "regroup",
                              tolerate=(UserMissing, GroupMissing)))
        steps.append(Step(pw.userdel(jail, name, a.remove_home), "del", tolerate=(UserMissing,)))
        try:
            done = await self.apply(ctx, steps)
        except JailNotRunning:
            await ctx.host.log(f"jail {jail} is not running: user {name} stays in its "
                               f"/etc/master.passwd", "warning")
            return
        if not done.ok("del"):
            await ctx.host.log(f"user {name} is already gone from jail {jail}", "info")
