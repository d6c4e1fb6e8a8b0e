// Package testonly has only tests, so its doc is in one.
package testonly
