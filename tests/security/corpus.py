"""A corpus of hostile strings, pushed through every string input of every resource and of the
provider config (tests/security/test_hostile_input.py)."""
from __future__ import annotations

_SHELL = [";reboot", "a;reboot", "$(reboot)", "`reboot`", "a|reboot", "a||b", "a&b", "a&&b", "a>b",
          "a>>/etc/passwd", "a<b", "a\\b", "'", "'a'", '"', '"a"', "a b", "*", "?", "[a]", "{a,b}",
          "~root", "!x", "#c", "a#b", "a$b", "$HOME", "${HOME}", "$((1+1))", "a=b", "a:b", "a,b",
          "(a)", ")", "a^b", "a%b", "%s%n", "{0}", "\\n", "\\x00", "a'$(reboot)'", '";reboot;"',
          "'; DROP TABLE x; --", "a;b;c", "&", "|", ">", "<", "$", "`", "\\"]
_WHITESPACE = ["", " ", "  ", "\t", "a\tb", "a\nb", "a\rb", "\n", "a\n", "\na", "a\r\nb",
               "a\x0bb", "a\x0cb", " a", "a "]
_CONTROL = ["a\x00b", "\x00", "a\x00", "\x1b[31m", "a\x07b", "\x7f", "a\x1bb", "\x08"]
_PATHS = ["..", ".", "../../etc/passwd", "/etc/../etc/passwd", "/./x", "//x", "/tmp/../../root",
          "a/../b", "/jails/../etc", "/jails/./x", "/", "/dev/null", "~/x", "x/", "/x/", "etc/passwd",
          "/" + "a" * 1100, "/a/b/../../../../"]
_UNICODE = ["jаils",  # Cyrillic a
            "／etc", "a\u200bb", "\u202eabc", "ﬁle", "e\u0301", "😀", "ａｂｃ", "\ufeffa", "a\u2028b",
            "İ", "ǅ", "\u00a0a", "a\u3000b"]
_LONG = ["a" * 64, "a" * 65, "a" * 256, "a" * 1024, "a" * 4097, "a" * 100000, "-" * 300]
_DASHES = ["-r", "--help", "-o", "-rf", "-", "--", "-x", "-j", "-f/etc/passwd", "--version", "-1"]
_IPS = ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/", "/24",
        "::1/129", "fe80::1%lo0", "0.0.0.0/0", "1.2.3.4/24 ; reboot", "01.02.03.04", "1.2.3.4/024",
        "192.168.1.201/24\n", "999.999.999.999/99", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8:9",
        "192.168.1.1 ", "localhost", "0x7f000001"]
_ZFS = ["zroot//a", "zroot/a@b", "zroot/a#b", "/zroot", "zroot/", "1zroot", "zroot/a b;c",
        "zroot/" + "x" * 300, "zroot/%", "zroot/a\\b"]
_JAIL_IF = ["0", "123", "a.b", "BRIDGE0", "bridge0;", "br idge0", "bridge" + "0" * 20, "epair",
            "lo0 up", "vtnet0\n", "epair1b; reboot"]
_PKG = ["nginx; rm -rf /", "-y", "nginx\nvim", "../nginx", "nginx-", "nginx--1", "ngi nx",
        "nginx>=1", "nginx*", "@nginx"]
_MISC = ["null", "None", "true", "0", "-0", "1e999", "NaN", "[]", "{}", "<script>", "a/b", "a\\/b",
         "%00", "%0a", "..%2f..%2fetc", "\\x41", "AUX", "CON", "\u0000", "$IFS", "a${IFS}b",
         "a$(printf x)b", "$'\\x41'", "x\\", "'\\''", "\"$\"", "a\"b'c", "#!/bin/sh", "--\nb", "+x",
         "=", "a=", "=a", "a+=b", "a-=b"]
_PF = ['include "/etc/passwd"', 'pass all\ninclude "/tmp/x"', "pass all `reboot`",
       "pass all $(reboot)", 'anchor "x" {\n include "/etc/passwd"\n}', "load anchor x from \"/etc/passwd\"",
       "pass all\x00block all", "pass in all\n" * 3]

HOSTILE: list[str] = list(dict.fromkeys(_SHELL + _WHITESPACE + _CONTROL + _PATHS + _UNICODE + _LONG + _DASHES
                                         + _IPS + _ZFS + _JAIL_IF + _PKG + _MISC + _PF))
assert len(HOSTILE) >= 200, len(HOSTILE)
