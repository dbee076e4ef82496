"""Derived data: the address plan (and, later, tunnel peers and per-host deploy data)."""

from tcd.planning.addresses import HostPlan, HubPlan, Plan, SitePlan, plan_addresses

__all__ = ["HostPlan", "HubPlan", "Plan", "SitePlan", "plan_addresses"]
