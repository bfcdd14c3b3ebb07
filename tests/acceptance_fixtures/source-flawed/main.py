from source_flawed.run import run

run()
