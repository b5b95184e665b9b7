"""Adversarial robustness and data poisoning (lecture 11; MIT 18.408)."""
