"""Learning dynamics: deep linear networks, sparse parities, simplicity bias (CS 229br lecture 2)."""
