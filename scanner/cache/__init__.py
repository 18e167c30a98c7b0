"""A content-addressed store of per-file and per-group results, shared by scans."""
