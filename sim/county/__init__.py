"""One county: network, routing, demand, harvest, trunk, hub, last mile, the model that wires them, KPIs."""
