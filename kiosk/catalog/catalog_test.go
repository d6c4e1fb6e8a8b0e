package catalog

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// small is a valid catalog the problem cases break one way each.
const small = `{
  "format": 1,
  "version": "t1",
  "categories": [{"id": "household", "title": {"zh": "户籍", "en": "Household"}}],
  "items": [
    {"id": "item-a", "title": {"zh": "户籍证明", "en": "Household certificate"}, "pinyin": "hu ji zheng ming",
     "category": "household", "department": {"zh": "公安局"}, "time_limit_days": 0,
     "materials": [{"id": "register", "title": {"zh": "户口簿"}, "scannable": true, "mandatory": true, "pages": 2}],
     "channels": {"kiosk": true}, "guide": {"zh": "当场打印"},
     "form": {"fields": [
       {"id": "name", "label": {"zh": "姓名"}, "type": "text", "required": true, "prefill": "name", "locked": true},
       {"id": "phone", "label": {"zh": "手机号码"}, "type": "mobile", "required": true}]}},
    {"id": "item-b", "title": {"zh": "居住证", "en": "Residence permit"},
     "category": "household", "department": {"zh": "公安局"}, "time_limit_days": 15,
     "materials": [{"id": "register", "title": {"zh": "户口簿"}, "scannable": true, "mandatory": false, "pages": 3}],
     "fees": [{"title": {"zh": "工本费"}, "amount_fen": 2000}],
     "channels": {"kiosk": true, "counter": true}, "guide": {"zh": "十五个工作日"},
     "form": {"fields": [
       {"id": "phone", "label": {"zh": "联系电话"}, "type": "mobile"},
       {"id": "address", "label": {"zh": "居住地址"}, "type": "address", "required": true}]}}
  ],
  "bundles": [
    {"id": "bundle-ab", "title": {"zh": "一件事"}, "category": "household", "guide": {"zh": "一次办"},
     "items": ["item-a", "item-b"]}
  ]
}`

// mutate parses small, applies f to the generic JSON and returns the bytes.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(small), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func items(m map[string]any) []any { return m["items"].([]any) }
func itemN(m map[string]any, i int) map[string]any {
	return items(m)[i].(map[string]any)
}
func fields(m map[string]any, i int) []any {
	return itemN(m, i)["form"].(map[string]any)["fields"].([]any)
}
func fieldN(m map[string]any, i, j int) map[string]any { return fields(m, i)[j].(map[string]any) }

func TestParseSmall(t *testing.T) {
	c, err := Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	b := c.Bundle("bundle-ab")
	if b == nil {
		t.Fatal("bundle missing")
	}
	var ids []string
	for _, f := range b.MergedForm().Fields {
		ids = append(ids, f.ID)
	}
	if want := []string{"name", "phone", "address"}; !slices.Equal(ids, want) {
		t.Errorf("merged fields %q; want %q", ids, want)
	}
	if !b.MergedForm().Field("phone").Required {
		t.Error("phone is required by item-a, so the merged field must be")
	}
	mats := b.Materials()
	if len(mats) != 1 || !mats[0].Mandatory || mats[0].Pages != 3 {
		t.Errorf("merged materials %+v; want one mandatory register of 3 pages", mats)
	}
	s := b.Service()
	if s.TimeLimitDays != 15 || s.TotalFee() != "20.00" || s.Free() || !s.Kiosk || s.Identity != IdentityRequired {
		t.Errorf("bundle service: days %d fee %s free %t kiosk %t identity %s", s.TimeLimitDays, s.TotalFee(), s.Free(), s.Kiosk, s.Identity)
	}
	if c.Service("item-a").Item != c.Item("item-a") || c.Item("bundle-ab") != nil || c.Bundle("item-a") != nil {
		t.Error("lookups mix items and bundles")
	}
	if got := c.InCategory("household"); len(got) != 3 || got[0].Bundle == nil {
		t.Errorf("InCategory: %d services, first bundle=%v; want 3 with the bundle first", len(got), got[0].Bundle != nil)
	}
	if c.Category("household") == nil || c.Category("none") != nil || c.Service("none") != nil {
		t.Error("category or service lookup")
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		// paths expected among the problems (every one must be reported).
		paths []string
	}{
		{"not json", []byte(`{"format": 1,`), []string{"line 1 column 14"}},
		{"empty", []byte(``), []string{""}},
		{"wrong type", []byte(`{"format": "one"}`), []string{"format"}},
		{"unknown field", mutate(t, func(m map[string]any) { itemN(m, 0)["colour"] = "red" }), []string{""}},
		{"trailing data", []byte(small + `{}`), []string{""}},
		{"newer format", mutate(t, func(m map[string]any) { m["format"] = 2 }), []string{"format"}},
		{"no version", mutate(t, func(m map[string]any) { delete(m, "version") }), []string{"version"}},
		{"bad item id", mutate(t, func(m map[string]any) { itemN(m, 0)["id"] = "Item A" }), []string{"items[0].id", "bundles[0].items[0]"}},
		{"duplicate id", mutate(t, func(m map[string]any) { itemN(m, 1)["id"] = "item-a" }), []string{"items[1].id"}},
		{"bundle reuses item id", mutate(t, func(m map[string]any) {
			m["bundles"].([]any)[0].(map[string]any)["id"] = "item-b"
		}), []string{"bundles[0].id"}},
		{"no chinese title", mutate(t, func(m map[string]any) { itemN(m, 0)["title"] = map[string]any{"en": "x"} }), []string{"items[0].title.zh"}},
		{"pinyin count", mutate(t, func(m map[string]any) { itemN(m, 0)["pinyin"] = "hu ji" }), []string{"items[0].pinyin"}},
		{"pinyin tones", mutate(t, func(m map[string]any) { itemN(m, 0)["pinyin"] = "hù jí zhèng míng" }), []string{"items[0].pinyin"}},
		{"unknown category", mutate(t, func(m map[string]any) { itemN(m, 1)["category"] = "tax" }), []string{"items[1].category"}},
		{"no channel", mutate(t, func(m map[string]any) { itemN(m, 0)["channels"] = map[string]any{} }), []string{"items[0].channels"}},
		{"negative fee", mutate(t, func(m map[string]any) {
			itemN(m, 1)["fees"] = []any{map[string]any{"title": map[string]any{"zh": "费"}, "amount_fen": -1}}
		}), []string{"items[1].fees[0].amount_fen"}},
		{"time limit", mutate(t, func(m map[string]any) { itemN(m, 0)["time_limit_days"] = 400 }), []string{"items[0].time_limit_days"}},
		{"rating average", mutate(t, func(m map[string]any) {
			itemN(m, 0)["rating"] = map[string]any{"average": 6, "count": 3}
		}), []string{"items[0].rating"}},
		{"rating of no ratings", mutate(t, func(m map[string]any) {
			itemN(m, 0)["rating"] = map[string]any{"average": 4.5, "count": 0}
		}), []string{"items[0].rating"}},
		{"identity rule", mutate(t, func(m map[string]any) { itemN(m, 0)["identity"] = "maybe" }), []string{"items[0].identity"}},
		{"no guide", mutate(t, func(m map[string]any) { delete(itemN(m, 0), "guide") }), []string{"items[0].guide.zh"}},
		{"duplicate material", mutate(t, func(m map[string]any) {
			itemN(m, 0)["materials"] = append(itemN(m, 0)["materials"].([]any), itemN(m, 0)["materials"].([]any)[0])
		}), []string{"items[0].materials[1].id"}},
		{"pages on unscannable", mutate(t, func(m map[string]any) {
			itemN(m, 0)["materials"].([]any)[0].(map[string]any)["scannable"] = false
		}), []string{"items[0].materials[0].pages", "bundles[0].items"}},
		{"unknown licence type", mutate(t, func(m map[string]any) {
			itemN(m, 0)["materials"].([]any)[0].(map[string]any)["licence"] = "hukou"
		}), []string{"items[0].materials[0].licence"}},
		{"field type", mutate(t, func(m map[string]any) { fieldN(m, 0, 1)["type"] = "email" }), []string{"items[0].form.fields[1].type"}},
		{"duplicate field", mutate(t, func(m map[string]any) { fieldN(m, 0, 1)["id"] = "name" }), []string{"items[0].form.fields[1].id"}},
		{"text kind", mutate(t, func(m map[string]any) { fieldN(m, 0, 1)["text_kind"] = "street" }), []string{"items[0].form.fields[1].text_kind"}},
		{"bad pattern", mutate(t, func(m map[string]any) {
			fieldN(m, 1, 1)["pattern"] = "([0-9"
		}), []string{"items[1].form.fields[1].pattern", "items[1].form.fields[1].pattern_message.zh"}},
		{"choice without options", mutate(t, func(m map[string]any) { fieldN(m, 1, 1)["type"] = "choice" }), []string{"items[1].form.fields[1].options"}},
		{"prefill mismatch", mutate(t, func(m map[string]any) { fieldN(m, 0, 1)["prefill"] = "birth" }), []string{"items[0].form.fields[1].prefill"}},
		{"locked without prefill", mutate(t, func(m map[string]any) { fieldN(m, 0, 1)["locked"] = true }), []string{"items[0].form.fields[1].locked"}},
		{"bad date bound", mutate(t, func(m map[string]any) {
			fieldN(m, 0, 1)["type"] = "date"
			fieldN(m, 0, 1)["max_date"] = "tomorrow"
		}), []string{"items[0].form.fields[1].max_date", "bundles[0].items[1].form.fields[0]"}},
		{"default refused", mutate(t, func(m map[string]any) { fieldN(m, 0, 1)["default"] = "12345" }), []string{"items[0].form.fields[1].default"}},
		{"bundle field conflict", mutate(t, func(m map[string]any) { fieldN(m, 1, 0)["type"] = "phone" }), []string{"bundles[0].items[1].form.fields[0]"}},
		{"bundle rules conflict", mutate(t, func(m map[string]any) {
			fieldN(m, 1, 0)["hint"] = map[string]any{"zh": "提示"}
			fieldN(m, 1, 0)["prefill"] = "name"
		}),
			[]string{"items[1].form.fields[0].prefill", "bundles[0].items[1].form.fields[0]"}},
		{"bundle material conflict", mutate(t, func(m map[string]any) {
			itemN(m, 1)["materials"].([]any)[0].(map[string]any)["title"] = map[string]any{"zh": "户口本"}
		}), []string{"bundles[0].items"}},
		{"bundle unknown item", mutate(t, func(m map[string]any) {
			m["bundles"].([]any)[0].(map[string]any)["items"] = []any{"item-a", "item-z"}
		}), []string{"bundles[0].items[1]"}},
		{"bundle of one", mutate(t, func(m map[string]any) {
			m["bundles"].([]any)[0].(map[string]any)["items"] = []any{"item-a"}
		}), []string{"bundles[0].items"}},
		{"many problems at once", mutate(t, func(m map[string]any) {
			delete(m, "version")
			itemN(m, 0)["category"] = "none"
			fieldN(m, 1, 1)["type"] = "email"
		}), []string{"version", "items[0].category", "items[1].form.fields[1].type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.data)
			if c != nil {
				t.Fatal("a catalog was returned with problems")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v; want a *ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Path)
				if p.Message == "" {
					t.Errorf("problem at %q has no message", p.Path)
				}
			}
			for _, want := range tt.paths {
				if !slices.Contains(got, want) {
					t.Errorf("no problem at %q; got %q\n%v", want, got, err)
				}
			}
		})
	}
}

func TestStoreKeepsGoodCatalog(t *testing.T) {
	first, err := Parse([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(first, nil)
	bad := mutate(t, func(m map[string]any) { m["version"] = "t2"; delete(m, "categories") })
	if _, err := s.Replace(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Replace(bad) = %v; want ErrInvalid", err)
	}
	if s.Current() != first {
		t.Fatal("a refused push replaced the catalog")
	}
	good := mutate(t, func(m map[string]any) { m["version"] = "t3" })
	c, err := s.Replace(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.Current() != c || c.Version != "t3" {
		t.Errorf("current version %q; want t3", s.Current().Version)
	}
}

// endless is a reader that never ends, as a broken push might be.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

func TestReadLimit(t *testing.T) {
	if _, err := Read(endless{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("endless catalog: %v; want ErrInvalid", err)
	}
	if _, err := Parse(make([]byte, MaxSize+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("oversized catalog: %v; want ErrInvalid", err)
	}
}

func TestFeeYuan(t *testing.T) {
	tests := map[int64]string{0: "0.00", 5: "0.05", 1000: "10.00", 12345: "123.45", -250: "-2.50"}
	for fen, want := range tests {
		if got := (Fee{AmountFen: fen}).Yuan(); got != want {
			t.Errorf("%d fen = %q; want %q", fen, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	def, err := os.ReadFile(defaultDir + "/default.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(small))
	f.Add([]byte(`{"format":1,"version":"x","categories":[],"items":[null]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		// An accepted catalog is usable: every service resolves and searching it is safe.
		for _, s := range c.Services() {
			if c.Service(s.ID) != s || s.Form.Fields == nil && len(s.Items) == 0 {
				t.Fatalf("service %q does not resolve", s.ID)
			}
		}
		c.Search("hj", 5)
		c.Search(string(data[:min(len(data), 8)]), 5)
		// And it survives a round trip.
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(ids(c), ids(c2)) {
			t.Fatal("round trip changed the services")
		}
	})
}

func ids(c *Catalog) []string {
	var out []string
	for _, s := range c.Services() {
		out = append(out, s.ID)
	}
	return out
}

// TestMinPages: min_pages is checked against pages, and a bundle keeps the strictest
// minimum of the items sharing a material.
func TestMinPages(t *testing.T) {
	for _, tc := range []struct {
		name string
		mat  map[string]any
		ok   bool
	}{
		{"fewer than pages", map[string]any{"min_pages": 1}, true},
		{"equal to pages", map[string]any{"min_pages": 2}, true},
		{"above pages", map[string]any{"min_pages": 3}, false},
		{"negative", map[string]any{"min_pages": -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(mutate(t, func(m map[string]any) {
				mat := itemN(m, 0)["materials"].([]any)[0].(map[string]any)
				for k, v := range tc.mat {
					mat[k] = v
				}
			}))
			if (err == nil) != tc.ok {
				t.Errorf("Parse = %v; want ok %v", err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "items[0].materials[0].min_pages") {
				t.Errorf("problem not at min_pages: %v", err)
			}
		})
	}
	for _, tc := range []struct {
		name       string
		minA, minB int
		pages, min int
	}{
		// item-a asks 2 pages, item-b 3.
		{"neither allows fewer", 0, 0, 3, 3},
		{"b allows 1, a needs its 2", 0, 1, 3, 2},
		{"both allow 1", 1, 1, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(mutate(t, func(m map[string]any) {
				itemN(m, 0)["materials"].([]any)[0].(map[string]any)["min_pages"] = tc.minA
				itemN(m, 1)["materials"].([]any)[0].(map[string]any)["min_pages"] = tc.minB
			}))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Service("bundle-ab").Material("register")
			if got.PageCount() != tc.pages || got.MinPageCount() != tc.min {
				t.Errorf("bundle's register: %d pages, at least %d; want %d, %d", got.PageCount(), got.MinPageCount(), tc.pages, tc.min)
			}
		})
	}
}

// TestPublishedRating: the hub's 好差评 mark on an item is read (and checked).
func TestPublishedRating(t *testing.T) {
	c, err := Parse(mutate(t, func(m map[string]any) {
		itemN(m, 1)["rating"] = map[string]any{"average": 4.6, "count": 120, "since": "2026-11-01"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Items[1].Rating; r == nil || r.Average != 4.6 || r.Count != 120 || r.Since != "2026-11-01" || c.Items[0].Rating != nil {
		t.Errorf("ratings %+v %+v", c.Items[0].Rating, c.Items[1].Rating)
	}
}
