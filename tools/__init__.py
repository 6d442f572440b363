"""Project tooling (run with the test venv's python; see templates.py)."""
