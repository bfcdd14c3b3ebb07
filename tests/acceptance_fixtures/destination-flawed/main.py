from destination_flawed.run import run

run()
