// SimulationKit placeholder
