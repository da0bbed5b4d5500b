// Package packaging holds no code: its tests guard the container packaging
// of sfcdc. They guarantee that the repository's Dockerfile is multi-stage,
// builds with the Go version of go.mod into a statically linked binary
// (checked by running the Dockerfile's own build command and reading the
// ELF headers), and ships it on a minimal base image as a numeric non-root
// user, with the documented entry point, command and metrics port; and
// that .dockerignore keeps nothing the build needs out of the context.
//
// `docker build` itself is not run by the tests: the base images come
// from registries the test machines cannot be assumed to reach.
package packaging
