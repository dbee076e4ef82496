"""Compliance verification: run tests/baseline on the selected hosts, judge the results against
waivers, compare with the previous run, write the reports."""
