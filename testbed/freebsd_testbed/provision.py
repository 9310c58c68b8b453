"""FreeBSD-looking files written into a host root on first boot (and into fast tests' roots).

:func:`populate` writes only files that do not exist yet, so it is safe on every ``up``.
All paths go through :func:`hoststate.hostpath` semantics relative to ``root``.
"""
from __future__ import annotations

import os

from .tools import kld

RC_CONF = """hostname="testbed"
ifconfig_vtnet0="inet 192.168.1.10/24"
defaultrouter="192.168.1.1"
sshd_enable="YES"
ntpd_enable="YES"
ntpd_sync_on_start="YES"
moused_nondefault_enable="NO"
# Set dumpdev to "AUTO" to enable crash dumps, "NO" to disable
dumpdev="AUTO"
zfs_enable="YES"
"""

LOADER_CONF = """kern.geom.label.disk_ident.enable="0"
kern.geom.label.gptid.enable="0"
cryptodev_load="YES"
zfs_load="YES"
"""

# A subset of /etc/defaults/rc.conf: the variables a provider touches, with their 15.0 defaults.
# Comments after a value are what `sysrc -d` prints.
RC_DEFAULTS = """#!/bin/sh
#
# This is rc.conf - a file full of useful variables that you can set
# to change the default startup behavior of your system.  You should
# not edit this file!  Put any overrides into one of the ${rc_conf_files}
# instead and you will be able to update these defaults later without
# spamming your local configuration information.
#

##############################################################
###  Important initial Boot-time options  ####################
##############################################################

rc_conf_files="/etc/rc.conf /etc/rc.conf.local"	# Files to source for local overrides
rc_info="NO"		# Enables display of informational messages at boot.
rc_startmsgs="YES" 	# Show "Starting foo:" messages at boot
early_late_divider="FILESYSTEMS"	# Script that separates early/late stages of the boot process.
always_force_depends="NO"	# Set to check that indicated dependencies are running during boot.
kld_list=""		# Kernel modules to load after local disks are mounted
kldxref_enable="YES"	# Build linker.hints files with kldxref(8).
zfs_enable="NO"		# Set to YES to automatically mount ZFS file systems
zfs_bootonce_activate="NO" # Set YES to make successful bootonce BE permanent
zpool_reguid=""		# Set to zpools for which the GUID should be replaced
zpool_upgrade=""	# Set to zpools to be upgraded

##############################################################
###  Network configuration sub-section  ######################
##############################################################

hostname=""			# Set this!
nisdomainname="NO"		# Set to NIS domain if using NIS (or NO).
dhclient_program="/sbin/dhclient"	# Path to dhcp client program.
background_dhclient="NO"	# Start dhcp client in the background.
synchronous_dhclient="NO"	# Start dhclient directly on configured
firewall_enable="NO"		# Set to YES to enable firewall functionality
firewall_script="/etc/rc.firewall" # Which script to run to set up the firewall
firewall_type="UNKNOWN"		# Firewall type (see /etc/rc.firewall)
pf_enable="NO"			# Set to YES to enable packet filter (pf)
pf_rules="/etc/pf.conf"		# rules definition file for pf (nonexistent
				# by default for security reasons)
pf_program="/sbin/pfctl"	# where pfctl lives
pf_flags=""			# additional flags for pfctl
pf_fallback_rules_enable="NO"	# Use rules defined in pf_fallback_rules when
pflog_enable="NO"		# Set to YES to enable packet filter logging
pflog_logfile="/var/log/pflog"	# where pflogd should store the logfile
pflog_program="/sbin/pflogd"	# where the pflogd program lives
pflog_flags=""			# additional flags for pflogd
pfsync_enable="NO"		# Expose pf state to other hosts for syncing
gateway_enable="NO"		# Set to YES if this host will be a gateway.
ipv6_gateway_enable="NO"	# Set to YES if this host will be a gateway.
ifconfig_lo0="inet 127.0.0.1"	# default loopback device configuration.
cloned_interfaces=""		# List of cloned network interfaces to create.
cloned_interfaces_sticky="NO"	# Prevent cloned interfaces from being destroyed.
vlans_IF=""			# Placeholder
autobridge_interfaces=""	# List of bridges to check
defaultrouter="NO"		# Set to default gateway (or NO).
static_routes=""		# Set to static route list (or leave empty).
ipv6_defaultrouter="NO"		# Set to IPv6 default gateway (or NO).
ipv6_activate_all_interfaces="NO"	# If NO, interfaces which have no
inetd_enable="NO"		# Run the network daemon dispatcher (YES/NO).
sshd_enable="NO"		# Enable sshd
sshd_program="/usr/sbin/sshd"	# path to sshd, if you want a different one.
sshd_flags=""			# Additional flags for sshd.
ntpd_enable="NO"		# Run ntpd Network Time Protocol (or NO).
ntpd_sync_on_start="NO"		# Sync time on ntpd startup, even if offset is high
ntpdate_enable="NO"		# Run ntpdate to sync time on boot (or NO).
nfs_server_enable="NO"		# This host is an NFS server (or NO).
rpcbind_enable="NO"		# Run the portmapper service (YES/NO).
sendmail_enable="NONE"		# Run the sendmail inbound daemon (YES/NO/NONE).
sendmail_submit_enable="YES"	# Start a localhost-only MTA for mail submission
sendmail_outbound_enable="YES"	# Dequeue stuck mail (YES/NO).
sendmail_msp_queue_enable="YES"	# Dequeue stuck clientmqueue mail (YES/NO).

##############################################################
###  System console options  #################################
##############################################################

keymap="NO"		# keymap in /usr/share/{syscons,vt}/keymaps/* (or NO).
moused_enable="NO"	# Run the mouse daemon.
moused_nondefault_enable="YES" # Treat non-default mice as enabled unless

##############################################################
###  Miscellaneous administrative options  ###################
##############################################################

cron_enable="YES"	# Run the periodic job daemon.
syslogd_enable="YES"	# Run syslog daemon (or NO).
dumpdev="NO"		# Device to crashdump to (device name, AUTO, or NO).
local_startup="/usr/local/etc/rc.d" # startup script dirs.
script_name_sep=" "	# Change if your startup scripts' names contain spaces
rctl_enable="YES"	# Load rctl(8) rules on boot
rctl_rules="/etc/rctl.conf" # rctl(8) ruleset. See rctl.conf(5).
clear_tmp_enable="NO"	# Clear /tmp at startup.
linux_enable="NO"	# Linux binary compatibility loaded at startup (or NO).
jail_enable="NO"	# Set to NO to disable starting of any jails
jail_conf="/etc/jail.conf"	# Configuration file for jails
jail_parallel_start="NO"	# Start jails in the background
jail_list=""		# Space separated list of names of jails
jail_reverse_stop="NO"	# Stop jails in reverse order
devfs_rulesets="/etc/defaults/devfs.rules /etc/devfs.rules" # Files containing
devfs_system_ruleset=""	# The name (NOT number) of a ruleset to apply to /dev
growfs_enable="NO"	# Set to YES to grow root partition to fill disk
"""

RESOLV_CONF = "search localdomain\nnameserver 192.168.1.1\n"
FREEBSD_UPDATE_VERSION = "15.0-RELEASE"


def _write(root: str, path: str, text: str, mode: int = 0o644) -> None:
    real = os.path.join(root, path.lstrip("/"))
    if os.path.lexists(real):
        return
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(real, mode)


def populate(root: str) -> None:
    """Write the FreeBSD files a fresh 15.0 host has (only those missing)."""
    _write(root, "/etc/rc.conf", RC_CONF)
    _write(root, "/etc/defaults/rc.conf", RC_DEFAULTS, 0o444)
    _write(root, "/boot/loader.conf", LOADER_CONF)
    marker = os.path.join(root, "var/db/testbed/provisioned")
    if not os.path.exists(marker):
        # first boot: FreeBSD's own resolv.conf replaces whatever the image had
        real = os.path.join(root, "etc/resolv.conf")
        if os.path.lexists(real):
            os.remove(real)
        _write(root, "/etc/resolv.conf", RESOLV_CONF)
    for stem in kld.CATALOG:
        _write(root, f"/boot/kernel/{stem}.ko", "")
    _write(root, "/boot/kernel/kernel", "")
    os.makedirs(os.path.join(root, "boot/modules"), exist_ok=True)
    for d in ("var/db/testbed", "var/log/testbed", "jails", "zroot", "usr/local/etc/rc.d", "etc/jail.conf.d"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as f:
            f.write(FREEBSD_UPDATE_VERSION + "\n")
