// Manage FreeBSD 15 hosts over SSH: ZFS datasets, bridges, VNET jails, packages, PF.
package freebsd
