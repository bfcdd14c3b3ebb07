"""Dockyard source for PostgreSQL.

Rows are turned into JSON by the server (`row_to_json`) and copied to stdout as bytes, so the Python side never
builds a per-record object; CDC reads the pgoutput stream of a replication slot through SQL.
"""
