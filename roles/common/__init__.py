"""Helpers the roles share: rendering templates onto hosts, WireGuard facts and operations."""
