package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// platformTech is the technician fake on a terminal whose platform pushed a
// configuration: it sets the hall's Chinese name and the idle timeout.
type platformTech struct {
	*uitest.Technician
	st ui.PlatformConfig
}

func (p *platformTech) Effective(c *config.Config) *config.Config {
	out := *c
	out.Hall.NameZh = "平台大厅"
	out.Session.IdleTimeout.Duration = 4 * time.Minute
	return &out
}

func (p *platformTech) PlatformConfig() ui.PlatformConfig { return p.st }

// TestTechnicianShowsPlatformConfig: the terminal section says which settings the
// platform's configuration sets (they win over the file), that devices wait for a
// restart, and a refused push with its reasons; a technician's save keeps the platform's
// settings in force.
func TestTechnicianShowsPlatformConfig(t *testing.T) {
	pt := &platformTech{st: ui.PlatformConfig{Version: "cfg-7", Sets: []string{"hall.name_zh", "session.idle_timeout", "device"},
		Restart: true, Refused: "cfg-8", Problems: []string{"session.warning_time: 3m is over 2m"}}}
	k := uitest.Start(t, uitest.Options{Deps: func(d *ui.Deps) {
		pt.Technician = d.Technician.(*uitest.Technician)
		d.Technician = pt
	}})
	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: 1900, Y: 20}, {X: 1900, Y: 1060}, {X: 20, Y: 1060}} {
		k.TapAt(p)
	}
	k.WaitScreen("tech_pin")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
	k.Tap("tech.section.terminal")
	for _, want := range []string{"平台配置", "cfg-7", "hall.name_zh, session.idle_timeout, device", "优先于本机配置文件",
		"重启后生效", "已拒绝平台配置 cfg-8", "session.warning_time: 3m is over 2m"} {
		if !k.Shows(want) {
			t.Errorf("the terminal section does not show %q: %v", want, k.Texts())
		}
	}
	k.Tap("tech.idle.plus")
	k.Tap("tech.save")
	k.Loop.WaitFor(t, "saved", func() bool { return k.Shows("已保存") || k.Shows("失败") })
	k.Tap("tech.exit")
	k.WaitScreen("home")
	if !k.Shows("平台大厅") {
		t.Errorf("after the technician's save the platform's hall name is gone: %v", k.Texts())
	}
}
