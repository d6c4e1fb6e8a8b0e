// Command barewindow is the memory baseline the kiosk is measured against: a bare Fyne
// window with three widgets (a label, an entry and a button) and Fyne's own theme, full
// screen like the kiosk. It prints "ready" once its window is up and runs until
// interrupted.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.govkiosk.barewindow")
	w := a.NewWindow("baseline")
	w.SetContent(container.NewVBox(
		widget.NewLabel("Baseline window"),
		widget.NewEntry(),
		widget.NewButton("OK", func() {}),
	))
	w.SetFullScreen(true)
	a.Lifecycle().SetOnStarted(func() { fmt.Println("ready") })
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
}
