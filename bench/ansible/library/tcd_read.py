#!/usr/bin/python3
"""Ansible module of the twin: read-only shell commands run on the host in one module call, each
one's output lines returned under its name. It is how the twin reads what the roles decide from
(as pyinfra reads its facts: `tcd rollout` asks them in one command per host and phase), where
Ansible would otherwise spend one SSH round trip per command. Nothing here changes the host."""

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: tcd_read
short_description: run read-only shell commands, return their output lines by name
options:
  commands:
    description: name -> shell command (its exit status is ignored: a read says what it found)
    type: dict
    required: true
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec={"commands": {"type": "dict", "required": True}},
        supports_check_mode=True,
    )
    reads = {}
    for name, command in module.params["commands"].items():
        _, out, _ = module.run_command(command, use_unsafe_shell=True)
        reads[name] = out.splitlines()
    module.exit_json(changed=False, reads=reads)


if __name__ == "__main__":
    main()
