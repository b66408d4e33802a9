"""The floor every app may use: it imports no domain app (see DESIGN.md, "Layout")."""
