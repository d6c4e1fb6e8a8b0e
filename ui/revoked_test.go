package ui_test

import (
	"testing"

	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestRevokedTerminalSaysSo: once the platform refuses the terminal as revoked, the
// start screen no longer says "working offline, you can still apply" (nothing taken here
// would arrive) but that the terminal is out of service, and the technician's queue
// section says plainly that the terminal was revoked and must be enrolled again.
func TestRevokedTerminalSaysSo(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Sync.Set(ui.SyncState{Online: false, Queued: 2})
	k.Loop.WaitFor(t, "offline shown", func() bool { return k.Shows("2 件已安全保存") })
	k.Sync.Set(ui.SyncState{Online: false, Queued: 2, Revoked: true})
	k.Loop.WaitFor(t, "out of service shown", func() bool { return k.Shows("本机暂停服务，请到服务窗口办理。") })
	if k.Shows("2 件已安全保存") {
		t.Error("a revoked terminal still tells residents their applications are kept to be sent")
	}
	openTechnician(t, k)
	k.Tap("tech.section.queue")
	k.Loop.WaitFor(t, "revoked said on the technician screen", func() bool { return k.Shows("已被吊销：平台拒绝本终端") })
	k.Tap("tech.queue")
	k.Loop.WaitFor(t, "revoked said with the queue", func() bool { return k.Shows("已被吊销") && k.Shows("待上传") })
}
