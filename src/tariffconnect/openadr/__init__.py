"""OpenADR 3.0 price events: a VTN's read side under /openadr/3.0/, for VENs (chargers, heat
pumps, home energy managers) that act on a location's prices."""
