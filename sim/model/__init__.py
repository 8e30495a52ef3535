"""One replication: shipments, rosters, stations, trips, the exact and the fast entry paths,
records, tied together by :class:`sim.model.border.Border`."""
