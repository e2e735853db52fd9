"""Home-energy software feeds: a location's prices as evcc, Home Assistant and calendar apps
read them, behind per-location read-only feed tokens."""
