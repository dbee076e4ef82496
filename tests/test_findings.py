"""What base judges from a host's answers, without a lab: which apt drop-in says otherwise (the
command that asks apt runs against real hosts in test_converge.py)."""

from roles.base.findings import overridden_apt_settings


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
