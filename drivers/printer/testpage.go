package printer

import (
	"time"

	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// TestReceipt is the page a technician prints to check a printer: every style the
// kiosk's receipts use, a separator, a QR code and the full width of the paper, so a
// missing font, a wrong paper width or a weak head shows at once. It holds no personal
// data.
func TestReceipt(port string, p Paper, now time.Time) *receipt.Document {
	ruler := ""
	for i := 0; i < p.Cols; i++ {
		ruler += string(rune('0' + (i+1)%10))
	}
	return receipt.New().
		Title("打印机测试").
		Separator().
		Field("端口", port).
		Field("纸宽", p.String()).
		Field("时间", now.Format("2006-01-02 15:04:05")).
		Text(ruler).
		Styled("粗体 Bold", receipt.Style{Bold: true}).
		Styled("下划线 Underline", receipt.Style{Underline: true}).
		Styled("倍宽 Wide", receipt.Style{Size: receipt.Wide}).
		Styled("倍高 Tall", receipt.Style{Size: receipt.Tall}).
		Styled("右对齐 Right", receipt.Style{Align: receipt.Right}).
		Text("汉字：政务服务一网通办 ASCII: 0123456789 ABCxyz").
		Separator().
		Tracking("查询码", "TEST-0000").
		QR("govkiosk printer test "+now.Format(time.RFC3339), "扫码验证二维码打印").
		Footer("测试完毕").
		Feed(1).
		Cut(true)
}
