package idcard_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/transport/transporttest"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// A card read recorded with `kioskctl idcard read --record` plays back through the driver:
// the driver must send exactly the recorded commands, in order, and use up the recording,
// and it must make the same identity of the recorded answers (split over several reads as
// the line delivered them). A change to the command sequence or to the parsing shows here;
// if the change is meant, record the session again.
func TestRecordedCardRead(t *testing.T) {
	rec := transporttest.Load(t, filepath.Join("testdata", "recorded", "read-resident.rec"))
	if len(rec.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(rec.Sessions))
	}
	p := transporttest.NewPlayback(t, "recorded reader", rec.Sessions[0])
	c := idcard.NewConn(p, idcard.DefaultBaud)
	defer c.Wipe()
	ctx := context.Background()
	// The steps of kioskctl idcard read, as recorded.
	if err := c.SAMStatus(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.FindCard(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.ReadIdentity(ctx, idcard.ReadOptions{AdditionalAddress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer id.Wipe()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, got, want string }{
		{"card type", string(id.CardType), string(identity.Resident)},
		{"name", id.Name, "测试甲"},
		{"ID number", id.IDNumber, "990101199001010019"},
		{"address", id.Address, "测试省样例市虚构区演示路1号"},
		{"authority", id.Authority, "样例市公安局虚构分局"},
		{"additional address", id.AdditionalAddress, "测试省样例市虚构区新址路8号"},
	} {
		if f.got != f.want {
			t.Errorf("%s %q, want %q", f.name, f.got, f.want)
		}
	}
	if !id.IDNumberValid {
		t.Error("the synthetic ID number's check digit is right, but reads as wrong")
	}
	if id.Birth.String() != "1990-01-01" || id.Gender.Name != "男" || id.Nation.Name != "汉" || len(id.Photo) == 0 {
		t.Errorf("birth %v, gender %q, nation %q, %d photo bytes", id.Birth, id.Gender.Name, id.Nation.Name, len(id.Photo))
	}
}
