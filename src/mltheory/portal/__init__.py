"""The mltheory portal: course pages, admissions, the seminar series and compute access (Django).

The portal uses the lab only through its public Python API (``mltheory.lab``).
"""
