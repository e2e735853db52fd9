"""Market sources (`mrs_` ids) and market regions for market-indexed tariffs."""
