package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
)

// simPanel is the newcomer's hands on the simulated devices: a small second window to place
// and remove sample cards, run the printer out of paper, open its cover and "scan" a code.
// It exists only with -simulate and talks to the simulators, never to the kiosk's screens:
// the kiosk sees what a real device would tell it, over the same protocols.
func simPanel(a fyne.App, s *simulation) fyne.Window {
	w := a.NewWindow("govkiosk — 模拟设备 / simulated devices")
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	say := func(msg string, err error) {
		if err != nil {
			msg += ": " + err.Error()
		}
		status.SetText(msg)
	}

	cards := container.NewVBox(widget.NewLabelWithStyle("身份证读卡器 ID-card reader", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, name := range s.cards {
		cards.Add(widget.NewButton("放置卡片 place: "+name, func() { say("card placed: "+name, s.card.Place(name)) }))
	}
	cards.Add(widget.NewButton("取走卡片 remove card", func() { s.card.Remove(); say("card removed", nil) }))

	printed := widget.NewLabel("打印内容 receipts: " + s.printed)
	printed.Wrapping = fyne.TextWrapBreak
	prn := container.NewVBox(
		widget.NewLabelWithStyle("打印机 printer", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		// Two columns, so the panel fits beside the kiosk's 1280-pixel window on a
		// 1920-pixel display.
		container.NewGridWithColumns(2,
			widget.NewButton("纸正常 paper ok", func() { s.printer.SetPaper(printersim.PaperOK); say("paper ok", nil) }),
			widget.NewButton("纸将尽 near end", func() { s.printer.SetPaper(printersim.PaperNearEnd); say("paper near end", nil) }),
			widget.NewButton("缺纸 paper out", func() { s.printer.SetPaper(printersim.PaperOut); say("paper out", nil) }),
			widget.NewButton("开盖 cover open", func() { s.printer.SetCover(true); say("cover open", nil) }),
			widget.NewButton("合盖 cover closed", func() { s.printer.SetCover(false); say("cover closed", nil) }),
			// DLE EOT 3 bit 2: the kiosk clears the first with DLE ENQ by itself; the
			// second (a fault that needs a technician) stays, and the hub's console raises a
			// maintenance alert. Short labels: the grid is as wide as its widest cell.
			widget.NewButton("可恢复 recoverable", func() { s.printer.SetRecoverableError(true, false); say("recoverable error", nil) }),
			widget.NewButton("故障 fault", func() { s.printer.SetRecoverableError(true, true); say("printer fault", nil) }),
			widget.NewButton("排除 clear fault", func() { s.printer.SetRecoverableError(false, false); say("printer fault cleared", nil) }),
		),
		printed,
	)

	a4 := container.NewVBox(
		widget.NewLabelWithStyle("A4打印机 A4 printer", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2,
			widget.NewButton("A4有纸 paper ok", func() { s.a4.LoadPaper(); s.a4.Jam(false); say("A4 paper loaded", nil) }),
			widget.NewButton("A4缺纸 paper out", func() { s.a4.EmptyPaper(); say("A4 paper out", nil) }),
			// The paper runs out on the next job's first page, as it does mid-job. Short labels: the
			// grid is as wide as its widest cell, and the panel must fit beside the kiosk.
			widget.NewButton("A4中途缺纸 mid-job", func() { s.a4.RunOutAfter(0); say("A4 runs out of paper on the next page", nil) }),
			widget.NewButton("A4卡纸 jam", func() { s.a4.Jam(true); say("A4 paper jam", nil) }),
		),
		wrapped("打印内容 certificates: "+s.a4Printed),
	)

	code := widget.NewEntry()
	code.SetPlaceHolder("tracking code or QR payload")
	scan := container.NewVBox(
		widget.NewLabelWithStyle("扫码枪 barcode scanner", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, widget.NewButton("扫描 scan", func() {
			say("scanned", s.codes.Scan(code.Text))
		}), code),
	)

	hubLink := widget.NewLabel("中心平台 hub dashboard: " + s.dashboard)
	hubLink.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewVScroll(container.NewVBox(cards, widget.NewSeparator(), prn, widget.NewSeparator(), a4, widget.NewSeparator(), scan,
		widget.NewSeparator(), hubLink, status)))
	w.Resize(fyne.NewSize(420, 640))
	return w
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapBreak
	return l
}
