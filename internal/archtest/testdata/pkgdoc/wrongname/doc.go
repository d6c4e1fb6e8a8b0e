// Package right is not the name of this package.
package wrongname
