package receipt_test

import (
	"fmt"

	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// A service builds its receipt with the chaining methods; the masked number is the only
// form of the ID number the document ever holds.
func Example() {
	doc := receipt.New().
		Title("回执").
		Field("事项", "社保卡补办").
		ID("证件号码", "990101199003071237").
		Tracking("查询码", "K7Q2-0042-8").
		Cut(true)
	if err := doc.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(doc.PlainText(receipt.Cols58))
	// Output:
	//               回执
	// 事项：    社保卡补办
	// 证件号码：9901**********1237
	//              查询码
	//           K7Q2-0042-8
	// ~~ cut ~~
}
