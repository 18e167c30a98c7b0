"""The rulesets bundled with sellerscan (YAML data; this file only makes them a package)."""
