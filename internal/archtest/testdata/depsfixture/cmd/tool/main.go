// Command tool breaks no-test-code-in-binaries, and fyne-only-in-ui through ui/screen.
package main

import (
	_ "testing"

	_ "github.com/govkiosk/govkiosk/ui/screen"
)

func main() {}
