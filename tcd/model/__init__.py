"""Pydantic v2 models of every input file under inventory/.

One module per file kind; they only describe shapes and single-file rules. Rules that need
several files at once (duplicates, wave membership, address plan) live in tcd.loading.crosscheck.
"""
