"""Batch scans for a review pipeline: many submissions (folders or archives), each scanned
as its own app into its own result folder, with an index of all of them.

`scan_app` is the pure "one input -> one result folder" function; `run_batch` maps it over
the inputs; `archives` unpacks submissions safely."""
