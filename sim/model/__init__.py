"""One replication: traffic, rosters, stations, the exact and the fast paths, records."""
