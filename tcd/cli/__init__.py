"""The `tcd` command line (typer + rich).

The CLI speaks English; reports for the Province are in Vietnamese.
"""
