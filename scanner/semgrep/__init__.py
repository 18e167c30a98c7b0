"""The second engine: semgrep, run once per scan on the same files, for pattern rules
(hard-coded credentials, secrets logged or sent away, forms asking for secret keys)."""
