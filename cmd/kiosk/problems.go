package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/queue"
	"github.com/govkiosk/govkiosk/ui/fonts"
)

// startStep names the part of start-up that failed.
type startStep string

const (
	stepConfig  startStep = "configuration"
	stepDataDir startStep = "data directory"
	stepFonts   startStep = "fonts"
	stepDevices startStep = "devices"
	stepQueue   startStep = "offline queue"
	// stepPlatform is safe mode the platform's operator asked for.
	stepPlatform startStep = "platform"
)

// startupProblem is one start-up failure the kiosk survived in safe mode: what failed,
// the error, and what a technician does about it, in both languages.
type startupProblem struct {
	Step startStep
	Err  error
	Todo form.Text
}

type startupProblems []startupProblem

func (ps *startupProblems) add(step startStep, err error) {
	*ps = append(*ps, startupProblem{Step: step, Err: err, Todo: advice(step, err)})
}

// log writes each problem to the journal, in words and with what to do.
func (ps startupProblems) log(log *slog.Logger) {
	for _, p := range ps {
		log.Error("start-up failed; running in safe mode for a technician",
			"step", string(p.Step), "err", p.Err, "what_to_do", p.Todo.En)
	}
}

// text is what the technician screen shows: each problem and what to do about it.
func (ps startupProblems) text() form.Text {
	var zh, en []string
	for _, p := range ps {
		zh = append(zh, stepZh[p.Step]+"："+p.Todo.Zh+"（"+p.Err.Error()+"）")
		en = append(en, string(p.Step)+": "+p.Todo.En+" ("+p.Err.Error()+")")
	}
	return form.Text{Zh: strings.Join(zh, "\n"), En: strings.Join(en, "\n")}
}

var stepZh = map[startStep]string{
	stepConfig:   "配置文件",
	stepDataDir:  "数据目录",
	stepFonts:    "字体",
	stepDevices:  "设备",
	stepQueue:    "离线队列",
	stepPlatform: "平台",
}

// advice is what a technician does about a start-up failure. The errors it tells apart
// are the typed ones the parts return; anything else gets the step's general advice.
// docs/technician-recovery.md says the same at length.
func advice(step startStep, err error) form.Text {
	switch {
	case errors.Is(err, errRemoteSafeMode):
		return form.Text{
			Zh: "平台管理员远程让本机进入安全模式，自助办理已暂停。检查完毕后点“正常重启”，或由平台远程重启。",
			En: "the platform's operator put this kiosk in safe mode remotely; self-service is paused. When the check is done, tap Restart normally, or the platform restarts it remotely.",
		}
	case errors.Is(err, queue.ErrKey):
		return form.Text{
			Zh: "队列密钥缺失或不符。请从本终端的密钥备份恢复队列密钥（默认 /etc/govkiosk/queue.key，演示模式为数据目录下 keys/queue.key）后点“正常重启”；不要新建密钥，新密钥读不了已保存的申请。",
			En: "the queue key is missing or wrong. Restore the queue key (/etc/govkiosk/queue.key by default; keys/queue.key in the data directory in simulate mode) from this terminal's key backup, then tap Restart normally; do not create a new key, it cannot read the saved submissions.",
		}
	case errors.Is(err, queue.ErrCorrupt):
		return form.Text{
			Zh: "队列数据库损坏。请运行 kioskctl queue check，然后运行 kioskctl queue salvage 把能读出的申请复制到新队列（原文件保留），再点“正常重启”。",
			En: "the queue database is damaged. Run kioskctl queue check, then kioskctl queue salvage to copy every readable submission into a fresh queue (the damaged one is kept), then tap Restart normally.",
		}
	case errors.Is(err, queue.ErrLocked):
		return form.Text{
			Zh: "另一个程序正在使用队列。请关闭其他 kiosk 或 kioskctl 进程后点“正常重启”。",
			En: "another program holds the queue. Stop any other kiosk or kioskctl process, then tap Restart normally.",
		}
	case errors.Is(err, queue.ErrDiskFull):
		return form.Text{
			Zh: "磁盘已满。请清理磁盘空间（不要删除 queue 目录）后点“正常重启”。",
			En: "the disk is full. Free disk space (never delete the queue directory), then tap Restart normally.",
		}
	case errors.Is(err, client.ErrNotEnrolled):
		return form.Text{Zh: "终端尚未注册，请在技术人员设置中注册。", En: "the terminal is not enrolled; enrol it in the technician settings."}
	case errors.Is(err, fonts.ErrMissing):
		return form.Text{
			Zh: "中文字体缺失。请安装 fonts-noto-cjk 软件包后点“正常重启”。",
			En: "the Chinese font is missing. Install the fonts-noto-cjk package, then tap Restart normally.",
		}
	case errors.Is(err, fs.ErrPermission):
		return form.Text{
			Zh: "没有权限。请检查数据目录和配置文件的属主与权限后点“正常重启”。",
			En: "permission denied. Check the owner and mode of the data directory and the configuration file, then tap Restart normally.",
		}
	}
	switch step {
	case stepConfig:
		return form.Text{
			Zh: "配置文件无法读取，已使用默认配置。请改正配置文件（参考 kiosk/config/example.toml）后点“正常重启”。",
			En: "the configuration could not be read; the kiosk runs on the default. Correct the configuration file (see kiosk/config/example.toml), then tap Restart normally.",
		}
	case stepDevices:
		return form.Text{
			Zh: "设备配置有误。请改正配置文件中的 [[devices]] 部分后点“正常重启”。",
			En: "the device configuration is wrong. Correct the [[devices]] entries of the configuration file, then tap Restart normally.",
		}
	}
	return form.Text{
		Zh: "请查看日志（journalctl -u govkiosk），排除问题后点“正常重启”。",
		En: "read the log (journalctl -u govkiosk), fix what it names, then tap Restart normally.",
	}
}
