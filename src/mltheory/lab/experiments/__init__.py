"""The catalog of experiments, one module each, grouped by topic."""
