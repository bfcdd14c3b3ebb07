from destination_duckdb.run import run

if __name__ == "__main__":
    run()
