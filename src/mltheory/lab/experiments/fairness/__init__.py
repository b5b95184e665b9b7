"""Fairness: equalized odds by post-processing a score (lecture 11)."""
