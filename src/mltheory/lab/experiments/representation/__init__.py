"""Representations, distribution shift, transfer and meta-learning (CS 229br lectures 3–4)."""
