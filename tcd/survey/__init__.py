"""The readiness survey as an Excel workbook: the template a unit fills, and its import.

layout.py is the one description of the workbook (sheets, cells, what each cell holds): the
template writes it, the importer reads it, the demo script and the tests fill it.
"""
