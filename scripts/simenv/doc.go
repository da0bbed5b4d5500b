// Command simenv turns the banner of `sfcdc sim` into shell exports.
//
// Guarantee: it reads only the first line of FILE and prints one
// `export SFCDC_…='value'` line per connection setting, single-quoted (quotes
// inside values dropped) so eval runs no part of a value; it exits 2 on bad
// usage and 1, printing nothing, when FILE has no banner line yet.
package main
