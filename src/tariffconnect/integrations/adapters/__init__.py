"""Built-in provider adapters: the provider's login and tariff read by TariffConnect itself,
driving the same auth-module protocol as an external module (docs/direct.md)."""
