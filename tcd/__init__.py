"""tcd-fleet: infrastructure as code for Đồng Nai's online citizen reception rollout."""

__version__ = "0.1.0"
