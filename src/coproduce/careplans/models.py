"""Models of the careplans app."""
