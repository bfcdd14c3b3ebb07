from destination_postgres.run import run

run()
