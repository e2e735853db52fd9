"""DIRECT connections: a customer's login at their provider, the tariff pulled from the
provider's auth module (or a built-in adapter) and kept fresh (docs/direct.md).

Floor: beside connect/flow, above the domain services; the flow calls in, never the reverse.
"""
