# One command each: `make test` passes the tests, `make run-sim` starts the
# simulated org, `make bench` runs the benchmarks.
.PHONY: build test bench generate run-sim

build:
	go build -o bin/sfcdc ./cmd/sfcdc

test:
	./scripts/test.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...

generate:
	go generate ./proto/...

run-sim:
	go run ./cmd/sfcdc sim
