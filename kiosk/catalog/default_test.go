package catalog

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/internal/golden"
	"github.com/govkiosk/govkiosk/kiosk/form"
)

const defaultDir = "../../assets/catalog"

func loadDefault(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load(os.DirFS(defaultDir), "default.json")
	if err != nil {
		t.Fatalf("the shipped catalog does not load: %v", err)
	}
	return c
}

func TestDefaultCatalog(t *testing.T) {
	c := loadDefault(t)
	if len(c.Items) < 15 || len(c.Bundles) < 3 {
		t.Errorf("%d items and %d bundles; want at least 15 and 3", len(c.Items), len(c.Bundles))
	}
	for _, id := range []string{"gtgsh-setup", "residence-permit", "sscard-loss", "hpf-withdraw-rent",
		"ss-record-print", "complaint", "driving-renew", "elderly-allowance", "dibao", "property-query",
		"license-change", "pension-cert", "marriage-appt"} {
		if c.Item(id) == nil {
			t.Errorf("item %q missing", id)
		}
	}
	birth := c.Bundle("birth-bundle")
	if birth == nil {
		t.Fatal("the birth bundle is missing")
	}
	var titles []string
	for _, it := range birth.Items() {
		titles = append(titles, it.Title.Zh)
	}
	want := []string{"出生医学证明办理", "新生儿入户登记", "新生儿医保参保登记", "新生儿社保卡申领"}
	if !slices.Equal(titles, want) {
		t.Errorf("birth bundle items %q; want %q", titles, want)
	}

	var counterOnly, optionalID, free, paid int
	for _, s := range c.Services() {
		if s.CounterOnly() {
			counterOnly++
		} else if len(s.Form.Fields) == 0 {
			t.Errorf("%s: applied for at the kiosk but asks nothing", s.ID)
		}
		if s.Identity == IdentityOptional {
			optionalID++
		}
		if s.Free() {
			free++
		} else {
			paid++
		}
		if s.Title.En == "" || s.Guide.En == "" {
			t.Errorf("%s: English title or guide missing", s.ID)
		}
	}
	if counterOnly == 0 || optionalID == 0 || paid == 0 || free <= paid {
		t.Errorf("counter-only %d, identity-optional %d, free %d, paid %d: the catalog should show each case and be mostly free",
			counterOnly, optionalID, free, paid)
	}
}

// Every bundle asks each question and each material once, and keeps every item's.
func TestDefaultBundlesMerge(t *testing.T) {
	c := loadDefault(t)
	for _, b := range c.Bundles {
		t.Run(b.ID, func(t *testing.T) {
			merged := b.MergedForm()
			ids := map[string]bool{}
			for _, f := range merged.Fields {
				if ids[f.ID] {
					t.Errorf("field %q asked twice", f.ID)
				}
				ids[f.ID] = true
			}
			mats := map[string]bool{}
			for _, m := range b.Materials() {
				if mats[m.ID] {
					t.Errorf("material %q asked twice", m.ID)
				}
				mats[m.ID] = true
			}
			for _, it := range b.Items() {
				for _, f := range it.Form.Fields {
					mf := merged.Field(f.ID)
					if mf == nil {
						t.Errorf("item %s field %q lost in the merge", it.ID, f.ID)
					} else if f.Required && !mf.Required {
						t.Errorf("item %s requires %q but the merged form does not", it.ID, f.ID)
					}
				}
				for _, m := range it.Materials {
					if !mats[m.ID] {
						t.Errorf("item %s material %q lost in the merge", it.ID, m.ID)
					}
				}
			}
			if len(merged.Fields) >= total(b) {
				t.Errorf("merged form has %d fields, the items %d together: nothing was shared", len(merged.Fields), total(b))
			}
		})
	}
}

func total(b *Bundle) int {
	n := 0
	for _, it := range b.Items() {
		n += len(it.Form.Fields)
	}
	return n
}

// TestBundleGolden records what each shipped bundle asks, so a catalog edit that changes
// a merged form shows up in review. Run with -update to accept a change.
func TestBundleGolden(t *testing.T) {
	c := loadDefault(t)
	var b strings.Builder
	for _, bd := range c.Bundles {
		s := bd.Service()
		fmt.Fprintf(&b, "%s %s identity=%s kiosk=%t days=%d fee=%s\n", bd.ID, bd.Title.Zh, s.Identity, s.Kiosk, s.TimeLimitDays, s.TotalFee())
		fmt.Fprintf(&b, "  departments: %s\n", s.Department.Zh)
		for _, f := range bd.MergedForm().Fields {
			fmt.Fprintf(&b, "  field %-20s %-9s input=%-9s required=%-5t prefill=%s\n", f.ID, f.Type, f.Input(), f.Required, f.Prefill)
		}
		for _, m := range bd.Materials() {
			fmt.Fprintf(&b, "  material %-20s scannable=%-5t mandatory=%-5t pages=%d\n", m.ID, m.Scannable, m.Mandatory, m.PageCount())
		}
	}
	golden.Check(t, "bundles.golden", []byte(b.String()))
}

// The shipped forms' defaults and prefill choices are what residents see first.
func TestDefaultFormsUsable(t *testing.T) {
	c := loadDefault(t)
	for _, s := range c.Services() {
		for _, f := range s.Form.Fields {
			if f.Type == form.TypeChoice && len(f.Options) < 2 {
				t.Errorf("%s.%s: a choice with %d option(s)", s.ID, f.ID, len(f.Options))
			}
			if f.Locked && f.Prefill == "" {
				t.Errorf("%s.%s: locked without prefill", s.ID, f.ID)
			}
		}
	}
}

// TestDefaultFieldKinds: the Chinese input ranks words of what each free-text field of the
// default catalog asks for (derived from the field's type, id and label).
func TestDefaultFieldKinds(t *testing.T) {
	c := loadDefault(t)
	want := map[string]form.TextKind{
		"shop_scope": form.KindBusinessScope, "shop_name": form.KindOrganization,
		"shop_address": form.KindAddress, "current_address": form.KindAddress, "card_address": form.KindAddress,
		"applicant_name": form.KindName, "baby_name": form.KindName, "contact_name": form.KindName,
		"employer": form.KindOrganization, "last_employer": form.KindOrganization, "birth_hospital": form.KindOrganization,
		"content": form.KindFreeText, "hardship": form.KindFreeText, "bank_account": form.KindFreeText,
	}
	seen := map[string]bool{}
	for _, s := range c.Services() {
		for i := range s.Form.Fields {
			f := &s.Form.Fields[i]
			if k, ok := want[f.ID]; ok {
				seen[f.ID] = true
				if got := f.Kind(); got != k {
					t.Errorf("%s.%s (%s): kind %q, want %q", s.ID, f.ID, f.Label.Zh, got, k)
				}
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("no field %s in the default catalog", id)
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
