"""Privacy: differentially private training and membership inference (lecture 11)."""
