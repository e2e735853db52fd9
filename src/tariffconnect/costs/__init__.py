"""Costs: what stored (or given) meter records cost at the tariffs in force when they flowed."""
