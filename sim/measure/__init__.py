"""From records to numbers: metrics, the figures' small data, statistics across replications."""
