# One command each: `make test` passes the tests, `make run-sim` starts the
# simulated org, `make bench` runs the end-to-end demo benchmark and the
# package benchmarks.
.PHONY: build test bench generate run-sim

build:
	go build -o bin/sfcdc ./cmd/sfcdc

test:
	./scripts/test.sh

# The end-to-end benchmark: `sfcdc demo` streams 100,000 events through the
# real pipeline with both simulators in the process and prints the figures
# (events/s, p99 latency, peak RSS, requests) as JSON; then the package
# micro-benchmarks.
bench:
	go run ./cmd/sfcdc demo --events 100000 --json
	go test -run '^$$' -bench . -benchmem ./...

generate:
	go generate ./proto/...

run-sim:
	go run ./cmd/sfcdc sim
