"""The compliance suite `tcd verify` runs against real hosts (pytest + testinfra); see README.md.
Collected only by `tcd verify`, with this folder's own pytest.ini."""
