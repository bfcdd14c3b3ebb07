"""SQL loading shared by every SQL destination; engine specifics sit behind `dialect.SqlDialect`."""
