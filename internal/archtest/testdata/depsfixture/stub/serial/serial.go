// Package serial stands in for the serial library.
package serial
