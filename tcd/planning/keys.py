"""WireGuard public keys read back from the hosts: the one input of the host data that comes
from the hosts themselves (never a private key)."""

from dataclasses import dataclass, field

from tcd.model.province import Office


@dataclass
class PublicKeys:
    hubs: dict[Office, str] = field(default_factory=dict)
    # gateway host name -> office -> its public key on the tunnel to that office
    spokes: dict[str, dict[Office, str]] = field(default_factory=dict)
