package ui_test

import (
	"testing"

	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestExportLogsAsksForAUSBStick: without a stick the logs section says none was found
// and that nothing was written; with one it says where the logs went.
func TestExportLogsAsksForAUSBStick(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	openTechnician(t, k)
	k.Tap("tech.section.logs")
	k.Tech.Fail = ui.ErrNoRemovableMedium
	k.Tap("tech.export_logs")
	k.Loop.WaitFor(t, "no stick said", func() bool { return k.Shows("没有找到 U 盘") && k.Shows("没有写入任何文件") })
	k.Tech.Fail = nil
	k.Tap("tech.export_logs")
	k.Loop.WaitFor(t, "where the logs went said", func() bool { return k.Shows("已导出到 U 盘：USB: govkiosk-logs.tar.gz") })
}
