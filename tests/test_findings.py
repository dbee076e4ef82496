"""What base judges from a host's answers, without a lab: which apt drop-in says otherwise (the
command that asks apt runs against real hosts in test_converge.py)."""

from roles.base.findings import later_sysctl_settings, overridden_apt_settings, sysctl_at_boot


def test_a_drop_in_setting_ours_otherwise_is_named_with_its_value():
    lines = [
        "/etc/apt/apt.conf.d/20auto-upgrades\tAPT::Periodic::Unattended-Upgrade 1",
        "/etc/apt/apt.conf.d/99local\tAPT::Periodic::Unattended-Upgrade 0",
        "/etc/apt/apt.conf.d/99local\tUnattended-Upgrade::Automatic-Reboot true",
        "/etc/apt/apt.conf.d/70debconf\tDPkg::Pre-Install-Pkgs:: /usr/sbin/dpkg-preconfigure",
    ]
    assert overridden_apt_settings(lines) == [
        '/etc/apt/apt.conf.d/99local sets APT::Periodic::Unattended-Upgrade "0"',
        '/etc/apt/apt.conf.d/99local sets Unattended-Upgrade::Automatic-Reboot "true"',
    ]


# `systemd-analyze cat-config sysctl.d` as a host prints it (abridged)
CAT_CONFIG = """# /usr/lib/sysctl.d/50-pid-max.conf
# To override settings in this file, create a local file in /etc
kernel.pid_max = 4194304

# /etc/sysctl.d/99-sysctl.conf
#net.ipv4.ip_forward=1

# /etc/sysctl.d/99-tcd.conf
# Managed by tcd-fleet
net.ipv4.ip_forward = 0
net.ipv6.conf.all.forwarding = 0

# /etc/sysctl.d/zz-docker.conf
-net/ipv4/ip_forward=1
net.ipv6.conf.all.forwarding = 0
""".splitlines()


def test_the_last_file_read_at_boot_decides_and_a_later_one_saying_otherwise_is_named():
    ours = "/etc/sysctl.d/99-tcd.conf"
    wanted = {"net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0"}
    assert sysctl_at_boot(CAT_CONFIG)["net.ipv4.ip_forward"] == "1"
    assert later_sysctl_settings(CAT_CONFIG, ours, wanted) == [
        "/etc/sysctl.d/zz-docker.conf sets net.ipv4.ip_forward = 1"
    ]
    # the same files without the later one: ours decides, nothing to report
    alone = CAT_CONFIG[: CAT_CONFIG.index("# /etc/sysctl.d/zz-docker.conf")]
    assert sysctl_at_boot(alone) == {"kernel.pid_max": "4194304", **wanted}
    assert later_sysctl_settings(alone, ours, wanted) == []
