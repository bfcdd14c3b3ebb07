"""Log-based change data capture: a logical replication slot with the built-in `pgoutput` plugin."""
