// Command simenv turns the banner of `sfcdc sim` into shell exports.
//
// Guarantee: it reads only the first line of FILE and prints one
// `export SFCDC_…='value'` line per connection setting, single-quoted (quotes
// inside values dropped) so eval runs no part of a value. It waits up to
// -wait (30 s) for that line, as sfcdc sim prints it only after seeding; it
// exits 2 on bad usage and 1, printing nothing on standard output and the
// likely cause on standard error, when FILE has no banner by then. An eval
// of nothing succeeds, so a shell script should check simenv's status:
// `env=$(go run ./scripts/simenv FILE) && eval "$env"`.
package main
