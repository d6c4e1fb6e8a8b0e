// Package good has one doc.
package good
