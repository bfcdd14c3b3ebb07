from source_postgres.run import run

run()
