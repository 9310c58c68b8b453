"""Jails on the host: jls(8), rc.d/jail (``service jail``) and /etc/jail.conf.d/NAME.conf files.

* :mod:`.paths`: where things live on the host;
* :mod:`.conf`: :class:`JailSpec` and the conf file it renders to;
* :mod:`.parse`: jls output, the conf files (our rendering back to a spec), rc.d/jail's output;
* :mod:`.scripts`: the argv lists and /bin/sh scripts (verified stop, boot edit, conf write);
* :mod:`.validate`: the input rules.

The names below are re-exported so callers write ``jail.render_conf``, ``jail.stop`` ...
"""
from __future__ import annotations

from .conf import HEADER, HOOK_KINDS, SYSVIPC, UNIT_PLACEHOLDER, JailSpec, conf_string, render_conf, sh_join
from .parse import (ConfParseError, is_yes, jid_of, parse_conf, parse_confs, parse_jls, parse_unit,
                    spec_from_params, start_failed)
from .paths import (CONF_DIR, JAIL_ENABLE_MARKER, JLS, MARKER_DIR, SERVICE, SH, SYSRC, conf_path,
                    consolelog_path)
from .scripts import (INLINE_MAX, STOP_NO_CONF, STOP_STILL_RUNNING, WRITE_EXISTS, WRITE_IN_USE,
                      WRITE_NO_BRIDGE, allocate_and_write, boot_disable, boot_enable,
                      destroy_if_present, fits_inline, jls_fact, read_confs, reaped, service, stop,
                      tail_file, written_unit)
from .validate import (MANAGED_PARAMS, PARAM_NAME_MAX, allow_error, devfs_ruleset_error, epair_error,
                       hook_error, hostname_error, param_name_error, param_value_error, path_error,
                       router_error, sysvipc_error, text_error)

__all__ = [
    "HEADER", "HOOK_KINDS", "SYSVIPC", "UNIT_PLACEHOLDER", "JailSpec", "conf_string", "render_conf",
    "sh_join", "ConfParseError", "is_yes", "jid_of", "parse_conf", "parse_confs", "parse_jls",
    "parse_unit", "spec_from_params", "start_failed", "CONF_DIR", "JAIL_ENABLE_MARKER", "JLS",
    "MARKER_DIR", "SERVICE", "SH", "SYSRC", "conf_path", "consolelog_path", "INLINE_MAX",
    "STOP_NO_CONF", "STOP_STILL_RUNNING", "WRITE_EXISTS", "WRITE_IN_USE", "WRITE_NO_BRIDGE",
    "allocate_and_write", "boot_disable", "boot_enable", "destroy_if_present", "fits_inline",
    "jls_fact", "read_confs", "reaped", "service", "stop", "tail_file", "written_unit",
    "MANAGED_PARAMS", "PARAM_NAME_MAX", "allow_error", "devfs_ruleset_error", "epair_error",
    "hook_error", "hostname_error", "param_name_error", "param_value_error", "path_error",
    "router_error", "sysvipc_error", "text_error",
]
