"""The lab: the fleet of selected sites and both hubs as real hosts on one Linux machine.

Each host is a systemd-nspawn container booted with systemd, on a copy-on-write overlay of one
shared Debian 12 image, in a network namespace of its own plugged into a simulated WAN bridge
(itself in a namespace). The controller reaches the hosts from a namespace of its own through
an ssh ProxyCommand, so nothing touches the machine's network. Every lab address lies in
198.18.0.0/15. `tcd lab down` removes every namespace, mount, link, cgroup and process made.
"""
