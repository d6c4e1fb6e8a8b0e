package idcard

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// The sample cards every binary carries cover the four layouts and a long-term card, and
// load from a directory as well.
func TestSampleCards(t *testing.T) {
	cards := testCards(t)
	types := map[string]bool{}
	long := false
	for _, c := range cards {
		types[string(c.CardType)] = true
		long = long || c.ValidTo == "长期"
	}
	if len(types) != 4 || !long {
		t.Fatalf("sample cards cover %d card types, long-term %v", len(types), long)
	}
	fromDir, err := LoadCards(os.DirFS(filepath.Join("..", "..", "assets", "cards")), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(fromDir) != len(cards) {
		t.Fatalf("%d cards in the directory, %d embedded", len(fromDir), len(cards))
	}
}

func TestLoadCardsRefuses(t *testing.T) {
	good := `{"card_type":"resident","name":"测试甲","gender":"1","birth":"19900101","id_number":"990101199001010019","valid_from":"20200101","valid_to":"长期"}`
	cases := []struct {
		name  string
		json  string
		errIs error
	}{
		{"good", good, nil},
		{"real region code", `{"card_type":"resident","name":"测试甲","gender":"1","birth":"19900101","id_number":"110101180001010015","valid_from":"20200101","valid_to":"长期"}`, ErrNotSynthetic},
		{"real country code", `{"card_type":"foreigner_permanent_2017","name":"测试丙","gender":"1","birth":"19850303","id_number":"USA990085030301","valid_from":"20170616","valid_to":"20270615"}`, ErrNotSynthetic},
		{"name too long", `{"card_type":"resident","name":"测试甲测试甲测试甲测试甲测试甲测","gender":"1","birth":"19900101","id_number":"990101199001010019","valid_from":"20200101","valid_to":"长期"}`, ErrEncode},
		{"unknown key", `{"card_type":"resident","nmae":"x","id_number":"990101199001010019"}`, nil},
		{"bad date", `{"card_type":"resident","name":"测试甲","gender":"1","birth":"19900231","id_number":"990101199001010019","valid_from":"20200101","valid_to":"长期"}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadCards(fstest.MapFS{"cards/x.json": {Data: []byte(c.json)}}, "cards")
			switch {
			case c.name == "good" && err != nil:
				t.Fatal(err)
			case c.name != "good" && err == nil:
				t.Fatal("accepted")
			case c.errIs != nil && !errors.Is(err, c.errIs):
				t.Fatalf("got %v, want %v", err, c.errIs)
			}
		})
	}
	if _, err := LoadCards(fstest.MapFS{}, "cards"); err == nil {
		t.Fatal("an empty directory gives cards")
	}
}

func TestUserAssignedCountry(t *testing.T) {
	for s, want := range map[string]bool{"ZZZ": true, "AAA": true, "XAB": true, "QMA": true, "QZZ": true,
		"QLZ": false, "CHN": false, "USA": false, "zzz": false, "ZZ": false, "Z1Z": false} {
		if got := userAssignedCountry(s); got != want {
			t.Errorf("%s: %v", s, got)
		}
	}
}

func TestParseFault(t *testing.T) {
	for _, name := range FaultNames() {
		k, err := ParseFault(name)
		if err != nil || k.String() != name {
			t.Fatalf("%s: %v %v", name, k, err)
		}
	}
	if _, err := ParseFault("fire"); err == nil {
		t.Fatal("unknown fault accepted")
	}
}

func TestSimulatorPlaceAndClose(t *testing.T) {
	sim := startSim(t, SimConfig{})
	if err := sim.Place("nonexistent"); err == nil {
		t.Fatal("placed a card that does not exist")
	}
	if err := sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	if sim.Placed() != "resident" {
		t.Fatalf("placed %q", sim.Placed())
	}
	if err := sim.AddCard("bad", Card{CardType: "resident", IDNumber: "110101180001010015"}); !errors.Is(err, ErrNotSynthetic) {
		t.Fatalf("added a non-synthetic card: %v", err)
	}
	sim.Remove()
	if sim.Placed() != "" {
		t.Fatal("card still placed")
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Place("resident"); err != nil {
		t.Fatal(err) // placing is state only; the line stays closed
	}
}
