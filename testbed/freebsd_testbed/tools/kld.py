"""The kernel-linker model shared by kldload, kldstat, kldunload and boot.

Runtime state (``runtime["kld"]``)::

    {"files": [{"id": 1, "name": "kernel", "path": "/boot/kernel/kernel", "address": int,
                "size": int, "deps": ["kernel"], "modules": [{"id": 1, "name": "..."}]}, ...],
     "next_modid": int}

A file is loadable when ``<name>.ko`` exists in a directory of ``kern.module_path``
(``/boot/kernel;/boot/modules``) on the host (the testbed provisions empty placeholder .ko files
for :data:`CATALOG`), or when given as a path to an existing file.  Sizes, dependencies and the
modules a file contains come from :data:`CATALOG` (plausible values for 15.0 amd64).
"""
from __future__ import annotations

import errno
import os
from typing import Any

from .. import hoststate

MODULE_PATH = ["/boot/kernel", "/boot/modules"]
KERNEL_BASE = 0xFFFFFFFF80200000
KERNEL_SIZE = 0x1F41500
PRELOAD_BASE = 0xFFFFFFFF82142000  # files preloaded by loader(8) follow the kernel
RUNTIME_BASE = 0xFFFFFFFF82F00000  # files kldload(2)ed after boot
PAGE = 0x1000

# file (without .ko) -> size, files it depends on, modules it contains
CATALOG: dict[str, dict[str, Any]] = {
    "zfs": {"size": 0x5F53A8, "deps": [], "modules": ["zfsctrl", "zfs", "zfs_zvol", "zfs_vdev"]},
    "cryptodev": {"size": 0x7768, "deps": [], "modules": ["cryptodev"]},
    "acpi_wmi": {"size": 0x3390, "deps": [], "modules": ["acpi_wmi"]},
    "intpm": {"size": 0x2220, "deps": ["smbus"], "modules": ["intpm"]},
    "smbus": {"size": 0x3560, "deps": [], "modules": ["smbus"]},
    "mac_ntpd": {"size": 0x2178, "deps": [], "modules": ["mac_ntpd"]},
    "if_epair": {"size": 0x539C, "deps": [], "modules": ["if_epair"]},
    "if_bridge": {"size": 0x9C60, "deps": ["bridgestp"], "modules": ["if_bridge"]},
    "bridgestp": {"size": 0x5C40, "deps": [], "modules": ["bridgestp"]},
    "pf": {"size": 0x6E6C8, "deps": [], "modules": ["pf", "pfsync"]},
    "pflog": {"size": 0x3110, "deps": ["pf"], "modules": ["pflog"]},
    "pflow": {"size": 0x4A58, "deps": ["pf"], "modules": ["pflow"]},
    "if_vxlan": {"size": 0x11F70, "deps": [], "modules": ["if_vxlan"]},
    "if_wg": {"size": 0x10B50, "deps": [], "modules": ["if_wg"]},
    "carp": {"size": 0xA8B8, "deps": [], "modules": ["carp"]},
    "ipfw": {"size": 0x2CA58, "deps": [], "modules": ["ipfw"]},
    "ipfw_nat": {"size": 0x5B88, "deps": ["ipfw", "libalias"], "modules": ["ipfw_nat"]},
    "libalias": {"size": 0xC020, "deps": [], "modules": ["libalias"]},
    "dummynet": {"size": 0x14F98, "deps": ["ipfw"], "modules": ["dummynet"]},
    "nullfs": {"size": 0x7F10, "deps": [], "modules": ["nullfs"]},
    "fdescfs": {"size": 0x4FC8, "deps": [], "modules": ["fdescfs"]},
    "linux_common": {"size": 0x9A20, "deps": [], "modules": ["linux_common"]},
    "linux": {"size": 0x4A3E8, "deps": ["linux_common"], "modules": ["linuxelf"]},
    "linux64": {"size": 0x4C3C0, "deps": ["linux_common"], "modules": ["linux64elf"]},
    "vmm": {"size": 0x2B2F40, "deps": [], "modules": ["vmm"]},
    "nmdm": {"size": 0x3C08, "deps": [], "modules": ["nmdm"]},
    "accf_http": {"size": 0x2280, "deps": [], "modules": ["accf_http"]},
    "accf_data": {"size": 0x1D90, "deps": [], "modules": ["accf_data"]},
    "aesni": {"size": 0x7EE8, "deps": [], "modules": ["aesni"]},
    "coretemp": {"size": 0x3208, "deps": [], "modules": ["coretemp"]},
    "cpuctl": {"size": 0x3D38, "deps": [], "modules": ["cpuctl"]},
    "if_lagg": {"size": 0x12A40, "deps": [], "modules": ["if_lagg"]},
    "if_gre": {"size": 0x8E28, "deps": [], "modules": ["if_gre"]},
    "ng_ether": {"size": 0x3F18, "deps": ["netgraph"], "modules": ["ng_ether"]},
    "netgraph": {"size": 0x13B50, "deps": [], "modules": ["netgraph"]},
}

# Modules compiled into GENERIC (kldload of their .ko fails with EEXIST: "... or in kernel").
KERNEL_MODULES = [
    "elink", "crypto", "ufs", "tmpfs", "nfscl", "nfslockd", "krpc", "if_lo", "if_tuntap",
    "if_vlan", "if_gif", "if_gre", "if_lagg", "vtnet", "virtio", "virtio_pci", "virtio_blk",
    "acpi", "pci", "ether", "uart", "kbdmux", "mac_veriexec", "xdr", "zlib", "acl_nfs4",
    "sysvmsg", "sysvsem", "sysvshm", "procfs", "pseudofs", "cd9660", "msdosfs", "geom_part_gpt",
]

# Loaded by devmatch/rc on a typical 15.0 amd64 VM, after the loader's files.
BOOT_AUTOLOAD = ["acpi_wmi", "intpm", "mac_ntpd"]


class KldError(Exception):
    def __init__(self, errnum: int):
        super().__init__(os.strerror(errnum))
        self.errno = errnum


def _kld(runtime: dict[str, Any]) -> dict[str, Any]:
    kld = runtime.get("kld")
    if not kld:
        kld = runtime["kld"] = _fresh()
    if "next_fileid" not in kld or any("refs" not in f for f in kld["files"]):
        _migrate(kld)
    return kld


def _fresh() -> dict[str, Any]:
    mods = [{"id": i + 1, "name": n} for i, n in enumerate(KERNEL_MODULES)]
    # linker_preload_finish() gives every preloaded file, the kernel included, a user reference
    # (sys/kern/kern_linker.c: "lf->userrefs++; /* so we can (try to) kldunload it */")
    kernel = {"id": 1, "name": "kernel", "path": "/boot/kernel/kernel", "address": KERNEL_BASE,
              "size": KERNEL_SIZE, "deps": [], "modules": mods, "refs": 1, "userrefs": 1}
    return {"files": [kernel], "next_modid": 480, "next_fileid": 2}


def _migrate(kld: dict[str, Any]) -> None:
    """State written before refs/userrefs were tracked: derive them."""
    for f in kld["files"]:
        if "refs" not in f:
            n = 1
            for g in kld["files"]:
                if g is not f and (f["name"] == "kernel" or f["name"] in g.get("deps", [])):
                    n += 1
            f["refs"] = n
        f.setdefault("userrefs", 0 if f.get("implicit") else 1)
    kld.setdefault("next_fileid", max((f["id"] for f in kld["files"]), default=0) + 1)


def files(runtime: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(_kld(runtime)["files"], key=lambda f: f["id"])


def refs(runtime: dict[str, Any], f: dict[str, Any]) -> int:
    """lf->refs: 1 for the file itself, +1 for each file that found it already loaded when
    resolving its dependencies (the kernel gets +1 for every file), -1 for each kldunload that
    only dropped a reference (linker_file_unload()'s "easy case")."""
    _kld(runtime)
    return int(f.get("refs", 1))


def find_file(runtime: dict[str, Any], name: str) -> dict[str, Any] | None:
    """kldfind(2) / linker_find_file_by_name(): ``<name>.ko`` or ``<name>``, basename only."""
    base = os.path.basename(name)
    for f in sorted(_kld(runtime)["files"], key=lambda f: f["id"]):
        if f["name"] == base + ".ko" or f["name"] == base:
            return f
    return None


def find_file_id(runtime: dict[str, Any], fileid: int) -> dict[str, Any] | None:
    for f in _kld(runtime)["files"]:
        if f["id"] == fileid:
            return f
    return None


def find_module(runtime: dict[str, Any], modname: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """modfind(2): the (file, module) holding module ``modname``."""
    for f in _kld(runtime)["files"]:
        for m in f["modules"]:
            if m["name"] == modname:
                return f, m
    return None


def _locate(stem: str) -> str | None:
    for d in MODULE_PATH:
        p = f"{d}/{stem}.ko"
        if os.path.isfile(hoststate.hostpath(p)):
            return p
    return None


def _next_fileid(kld: dict[str, Any]) -> int:
    """LINKER_GET_NEXT_FILE_ID(): a global counter that only moves forward (ids of unloaded
    files are not reused), skipping ids still in use."""
    used = {f["id"] for f in kld["files"]}
    i = kld.get("next_fileid", 1)
    while i in used:
        i += 1
    kld["next_fileid"] = i
    return i


def _next_address(kld: dict[str, Any], preload: bool) -> int:
    base = PRELOAD_BASE if preload else RUNTIME_BASE
    end = base
    for f in kld["files"]:
        if f["name"] == "kernel":
            continue
        if (f["address"] >= RUNTIME_BASE) == (not preload):
            end = max(end, f["address"] + f["size"])
    return (end + PAGE - 1) // PAGE * PAGE


def _kernel(kld: dict[str, Any]) -> dict[str, Any] | None:
    for f in kld["files"]:
        if f["name"] == "kernel":
            return f
    return None


def _load_file(runtime: dict[str, Any], stem: str, path: str, preload: bool,
               user: bool) -> dict[str, Any]:
    """linker_load_file(): the file gets its id and memory first, then
    linker_load_dependencies() loads what it needs (so a dependency loaded for it gets a
    higher id).  A dependency found already loaded gets a reference (refs++); one loaded
    for it starts with refs 1 and no user reference (unless preloaded by loader(8))."""
    kld = _kld(runtime)
    info = CATALOG.get(stem, {"size": 0x4000, "deps": [], "modules": [stem]})
    for mod in info["modules"]:
        if find_module(runtime, mod) is not None:
            raise KldError(errno.EEXIST)
    # every dependency must be resolvable before anything is committed
    for dep in info["deps"]:
        if find_module(runtime, dep) is None and _locate(dep) is None:
            raise KldError(errno.ENOENT)
    mods = []
    for mod in info["modules"]:
        mods.append({"id": kld["next_modid"], "name": mod})
        kld["next_modid"] += 1
    f = {"id": _next_fileid(kld), "name": stem + ".ko", "path": path,
         "address": _next_address(kld, preload), "size": info["size"], "deps": [],
         "modules": mods, "refs": 1, "userrefs": 1 if (user or preload) else 0}
    if not (user or preload):
        f["implicit"] = True
    kld["files"].append(f)
    k = _kernel(kld)
    if k is not None:
        k["refs"] = int(k.get("refs", 1)) + 1
    for dep in info["deps"]:
        found = find_module(runtime, dep)
        if found is not None:
            d = found[0]
            d["refs"] = int(d.get("refs", 1)) + 1
        else:
            d = _load_file(runtime, dep, _locate(dep) or f"/boot/kernel/{dep}.ko", preload, False)
            if preload:
                d["refs"] = int(d.get("refs", 1)) + 1
        f["deps"].append(d["name"])
    return f


def load(runtime: dict[str, Any], name: str, preload: bool = False) -> dict[str, Any]:
    """kldload(2) (kern_kldload()).  ``name`` without '/' or '.' is a module name
    (``if_epair``), otherwise a file (``if_epair.ko``) or a path.

    Raises :class:`KldError` with EEXIST (already loaded / in kernel) or ENOENT.
    """
    if "/" not in name and "." not in name:
        # a module name: EEXIST if that module is present anywhere (also built into the kernel)
        if find_module(runtime, name) is not None:
            raise KldError(errno.EEXIST)
        path = _locate(name)
        if path is None:
            raise KldError(errno.ENOENT)
        return _load_file(runtime, name, path, preload, True)
    if "/" in name:
        path = name if name.startswith("/") else os.path.normpath(os.path.join(os.getcwd(), name))
        if not os.path.isfile(hoststate.hostpath(path)):
            raise KldError(errno.ENOENT)
    else:
        path = None
    base = os.path.basename(name)
    stem = base[:-3] if base.endswith(".ko") else base
    if find_file(runtime, base) is not None:
        raise KldError(errno.EEXIST)
    if path is None:
        path = _locate(stem)
        if path is None:
            raise KldError(errno.ENOENT)
    return _load_file(runtime, stem, path, preload, True)


def _file_unload(runtime: dict[str, Any], f: dict[str, Any]) -> None:
    """linker_file_unload(): with other references only one is dropped; otherwise the file
    goes and drops its references on the files it depends on (the kernel included)."""
    kld = _kld(runtime)
    if int(f.get("refs", 1)) > 1:
        f["refs"] = int(f.get("refs", 1)) - 1
        return
    if f["name"] == "kernel":
        return  # the running kernel never goes away
    if f in kld["files"]:
        kld["files"].remove(f)
    k = _kernel(kld)
    if k is not None and k is not f:
        _file_unload(runtime, k)
    for dep in f.get("deps", []):
        d = find_file(runtime, dep)
        if d is not None and d is not f:
            _file_unload(runtime, d)


def unload(runtime: dict[str, Any], fileid: int, force: bool = False) -> None:
    """kldunload(2) (kern_kldunload()): ENOENT for an unknown id; EBUSY for a file without a
    user reference (loaded only as a dependency: "attempt to unload file that was loaded by the
    kernel" on the console); otherwise drop the user reference and linker_file_unload()."""
    f = find_file_id(runtime, fileid)
    if f is None:
        raise KldError(errno.ENOENT)
    if int(f.get("userrefs", 1)) == 0:
        raise KldError(errno.EBUSY)
    f["userrefs"] = int(f.get("userrefs", 1)) - 1
    _file_unload(runtime, f)


def reset(runtime: dict[str, Any]) -> None:
    runtime["kld"] = _fresh()
