package catalog

import (
	"slices"
	"strings"

	"github.com/govkiosk/govkiosk/kiosk/form"
)

// build makes the Service of every item and bundle and the ID index. It runs only on a
// catalog that passed check, so merges cannot fail here.
func (c *Catalog) build() {
	c.byID = make(map[string]*Service, len(c.Items)+len(c.Bundles))
	c.services = c.services[:0]
	for _, b := range c.Bundles {
		s := bundleService(b)
		b.svc = s
		c.services = append(c.services, s)
		c.byID[s.ID] = s
	}
	for _, it := range c.Items {
		s := itemService(it)
		c.services = append(c.services, s)
		c.byID[s.ID] = s
	}
	t := newInitialTable()
	for _, s := range c.services {
		s.search = newSearchKeys(s, &t)
	}
}

func identityOf(it *Item) IdentityRule {
	if it.Identity == "" {
		return IdentityRequired
	}
	return it.Identity
}

func itemService(it *Item) *Service {
	return &Service{
		ID:            it.ID,
		Item:          it,
		Items:         []*Item{it},
		Title:         it.Title,
		Pinyin:        it.Pinyin,
		Keywords:      it.Keywords,
		Category:      it.Category,
		Summary:       it.Summary,
		Department:    it.Department,
		Conditions:    it.Conditions,
		Materials:     mergeMaterials([]*Item{it}),
		TimeLimitDays: it.TimeLimitDays,
		Fees:          it.Fees,
		Identity:      identityOf(it),
		Eligibility:   it.Eligibility,
		Kiosk:         it.Channels.Kiosk,
		Form:          it.Form,
		Guide:         it.Guide,
		Appointment:   it.Appointment,
		Post:          it.Post,
	}
}

func bundleService(b *Bundle) *Service {
	s := &Service{
		ID:       b.ID,
		Bundle:   b,
		Items:    b.items,
		Title:    b.Title,
		Pinyin:   b.Pinyin,
		Keywords: b.Keywords,
		Category: b.Category,
		Summary:  b.Summary,
		Guide:    b.Guide,
		Identity: IdentityOptional,
		Kiosk:    true,
	}
	rules := []*Eligibility{b.Eligibility}
	var deptZh, deptEn []string
	schemas := make([]form.Schema, 0, len(b.items))
	for _, it := range b.items {
		if !slices.Contains(deptZh, it.Department.Zh) {
			deptZh = append(deptZh, it.Department.Zh)
			deptEn = append(deptEn, it.Department.In(form.En))
		}
		for _, cond := range it.Conditions {
			if !slices.ContainsFunc(s.Conditions, func(t Text) bool { return t.Zh == cond.Zh }) {
				s.Conditions = append(s.Conditions, cond)
			}
		}
		s.TimeLimitDays = max(s.TimeLimitDays, it.TimeLimitDays)
		s.Fees = append(s.Fees, it.Fees...)
		if identityOf(it) == IdentityRequired {
			s.Identity = IdentityRequired
		}
		s.Kiosk = s.Kiosk && it.Channels.Kiosk
		schemas = append(schemas, it.Form)
		rules = append(rules, it.Eligibility)
	}
	s.Eligibility, _ = mergeEligibility(rules...)
	s.Department = Text{Zh: strings.Join(deptZh, "、"), En: strings.Join(deptEn, ", ")}
	s.Materials = mergeMaterials(b.items)
	s.Form, _ = form.Merge(schemas...)
	return s
}

// mergeMaterials lists the items' materials once each by ID, in order of first
// appearance: mandatory when any item requires it, with the most pages asked and the
// highest minimum any item accepts.
func mergeMaterials(items []*Item) []Material {
	var out []Material
	at := map[string]int{}
	for _, it := range items {
		for _, m := range it.Materials {
			if i, ok := at[m.ID]; ok {
				// The strictest item decides: the most pages asked, the most accepted as
				// the fewest.
				least := max(out[i].MinPageCount(), m.MinPageCount())
				out[i].Mandatory = out[i].Mandatory || m.Mandatory
				out[i].Pages = max(out[i].Pages, m.Pages)
				out[i].MinPages = least
				if least >= out[i].PageCount() {
					out[i].MinPages = 0
				}
				continue
			}
			at[m.ID] = len(out)
			out = append(out, m)
		}
	}
	return out
}
