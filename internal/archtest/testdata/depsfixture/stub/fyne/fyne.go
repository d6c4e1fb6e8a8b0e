// Package fyne stands in for the UI toolkit.
package fyne
