"""Planning the analysis: per-file facts computed in the guarded workers, the groups of
modules that can reach each other, which groups can hold PII, and the cached run of the
taint analysis over them."""
