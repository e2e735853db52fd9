"""TariffConnect: a self-hostable energy-tariff platform with a Flatpeak-compatible API."""

__version__ = "0.1.0"
