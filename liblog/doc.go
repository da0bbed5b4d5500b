// Package liblog routes the log output that libraries write on their own
// (gRPC's grpclog, go-redis's logger) through slog, or silences it.
//
// Guarantee: once Use ran, neither library writes a line of its own to
// standard error: their lines are records of the given slog logger (with
// component "grpc" or "redis"), so a JSON log holds only JSON and the
// redacting handler sees every line; gRPC's info chatter and go-redis's
// lines go to debug.
package liblog
