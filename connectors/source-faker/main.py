from source_faker.run import run

run()
