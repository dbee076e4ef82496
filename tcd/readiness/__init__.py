"""The readiness review: every unit assessed against the readiness requirements of
baseline.yml, each gap costed from the price catalogue; the proposal as xlsx, html and a summary.
"""
