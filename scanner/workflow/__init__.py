"""The developer workflow around a scan: configuration files, file selection
(include/exclude patterns, `.gitignore`), inline suppressions, baselines and diff-aware
scans. It sits between the library entry (`scanner.api`) and the pipeline."""
