"""Meter records: interval and cumulative submissions (`meter_batch`), stored for costs."""
