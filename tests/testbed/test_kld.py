"""kldload / kldstat / kldunload against a temp host root."""
import re


def test_kldstat_boot_modules(tool):
    rc, out, err = tool("kldstat")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Id Refs Address                Size Name"
    assert re.fullmatch(r" 1 +\d+ 0xffffffff80200000 +[0-9a-f]+ kernel", lines[1])
    names = [ln.split()[-1] for ln in lines[1:]]
    assert "zfs.ko" in names and "cryptodev.ko" in names


def test_kldload_and_already_loaded(tool):
    assert tool("kldload", "if_epair") == (0, "", "")
    rc, out, err = tool("kldload", "if_epair")
    assert (rc, out) == (1, "")
    assert err == "kldload: can't load if_epair: module already loaded or in kernel\n"
    assert tool("kldload", "-n", "if_epair") == (0, "", "")
    assert tool("kldload", "-nv", "if_epair") == (0, "if_epair is already loaded\n", "")
    rc, out, _ = tool("kldstat", "-n", "if_epair")
    assert rc == 0
    assert re.fullmatch(r"Id Refs Address                Size Name\n +\d+ +1 0x[0-9a-f]{16} +539c if_epair.ko\n", out)
    assert tool("kldstat", "-q", "-m", "if_epair") == (0, "", "")


def test_kldload_verbose_ids_and_deps(tool):
    rc, out, _ = tool("kldload", "-v", "if_bridge")
    assert rc == 0 and re.fullmatch(r"Loaded if_bridge, id=\d+\n", out)
    rc, out, _ = tool("kldstat", "-m", "bridgestp")
    assert rc == 0 and out.startswith("Id  Refs Name\n")
    assert re.fullmatch(r"Id  Refs Name\n *\d+ +1 bridgestp\n", out)
    rc, out, err = tool("kldunload", "bridgestp")
    assert rc == 1 and err == "kldunload: can't unload file: Device busy\n"
    assert tool("kldunload", "-v", "if_bridge")[1].startswith("Unloading if_bridge.ko, id=")
    # bridgestp was loaded only for if_bridge: it went with it (linker_file_unload)
    assert "bridgestp" not in tool("kldstat")[1]


def test_kldload_errors(tool):
    rc, out, err = tool("kldload", "nosuchmod")
    assert (rc, out, err) == (1, "", "kldload: can't load nosuchmod: No such file or directory\n")
    rc, _, err = tool("kldload", "if_vlan")  # compiled into GENERIC
    assert rc == 1 and "module already loaded or in kernel" in err
    assert tool("kldload") == (1, "", "usage: kldload [-nqv] file ...\n")
    rc, _, err = tool("kldload", "-z", "x")
    assert rc == 1 and err.startswith("kldload: illegal option -- z\nusage:")
    assert tool("kldstat", "-q", "-m", "if_epair") == (1, "", "")
    rc, _, err = tool("kldstat", "-m", "if_epair")
    assert rc == 1 and err == "kldstat: can't find module if_epair: No such file or directory\n"
    rc, _, err = tool("kldstat", "-n", "if_epair")
    assert rc == 1 and err == "kldstat: can't find file if_epair: No such file or directory\n"
    rc, _, err = tool("kldunload", "if_epair")
    # sbin/kldunload/kldunload.c: errx(EXIT_FAILURE, "can't find file %s") -- no errno text
    assert rc == 1 and err == "kldunload: can't find file if_epair\n"


def test_kldload_by_path_and_ko(tool):
    assert tool("kldload", "/boot/kernel/pf.ko")[0] == 0
    assert tool("kldstat", "-q", "-m", "pf")[0] == 0
    rc, _, err = tool("kldload", "pf.ko")
    assert rc == 1 and "already loaded" in err


def test_unload_drops_dependencies_loaded_for_it(tool):
    assert tool("kldload", "if_bridge")[0] == 0
    out = tool("kldstat")[1]
    assert "bridgestp.ko" in out and "if_bridge.ko" in out
    assert tool("kldunload", "if_bridge")[0] == 0
    out = tool("kldstat")[1]
    assert "bridgestp.ko" not in out and "if_bridge.ko" not in out


def test_unload_keeps_dependencies_loaded_by_hand(tool):
    assert tool("kldload", "bridgestp")[0] == 0
    assert tool("kldload", "if_bridge")[0] == 0
    assert tool("kldunload", "if_bridge")[0] == 0
    assert "bridgestp.ko" in tool("kldstat")[1]
