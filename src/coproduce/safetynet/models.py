"""Models of the safetynet app."""
