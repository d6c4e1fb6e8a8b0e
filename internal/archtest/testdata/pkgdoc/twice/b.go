// Package twice is documented here as well.
package twice
