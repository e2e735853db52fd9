"""Octopus Energy (GB): the REST API client (client.py), the shapes of its codes (codes.py),
its answers as typed values (answers.py) and its errors (errors.py)."""
