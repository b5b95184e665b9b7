"""Language models and interpretability (CS 229br lectures 6–7)."""
