// Package testfile has its doc in a test file.
package testfile
