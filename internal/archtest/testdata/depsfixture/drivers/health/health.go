// Package health is allowed everywhere but in the protocol.
package health
