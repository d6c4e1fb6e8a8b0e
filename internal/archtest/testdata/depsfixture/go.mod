// A small module that breaks each dependency guard in a known way (see deps_test.go).
module github.com/govkiosk/govkiosk

go 1.26

require (
	fyne.io/fyne/v2 v2.0.0
	github.com/tarm/serial v0.0.0
)

replace (
	fyne.io/fyne/v2 => ./stub/fyne
	github.com/tarm/serial => ./stub/serial
)
