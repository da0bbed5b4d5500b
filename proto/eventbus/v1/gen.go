package eventbusv1

// Regenerate with `go generate ./proto/...`. Needs protoc (Debian package
// protobuf-compiler); the Go plugins are pinned as tools in go.mod.
//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative pubsub_api.proto"
