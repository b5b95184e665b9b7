"""Bandits, reinforcement learning and control (CS 229br lectures 8–9)."""
