package catalog

import (
	"fmt"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/licence"
)

// Format is the catalog format this package reads. A catalog declares its format; one
// newer than this is refused (the kiosk keeps its catalog until its software is updated).
const Format = 1

// Text is a text in Chinese and English; see form.Text.
type Text = form.Text

// Problem is one mistake found in a catalog, at a path such as
// "items[3].materials[1].id"; see form.Problem.
type Problem = form.Problem

// IdentityRule says whether a service needs the resident's identity.
type IdentityRule string

// Identity rules.
const (
	// IdentityRequired services start by reading the ID card (or a QR code). It is the
	// default when a catalog says nothing.
	IdentityRequired IdentityRule = "required"
	// IdentityOptional services let the resident go on without identifying (an anonymous
	// complaint).
	IdentityOptional IdentityRule = "optional"
)

// Category groups services on the kiosk's home screen.
type Category struct {
	ID    string `json:"id"`
	Title Text   `json:"title"`
	// Icon names an icon among the kiosk's assets; the UI shows a default when unknown.
	Icon string `json:"icon,omitempty"`
}

// Material is a document a service requires (申请材料).
type Material struct {
	// ID names the material across the catalog: items that share a material (a household
	// register) use the same ID, so a bundle asks for it once.
	ID          string `json:"id"`
	Title       Text   `json:"title"`
	Description Text   `json:"description,omitzero"`
	// Scannable materials are scanned at the kiosk; the others are shown to staff or
	// brought later, and only listed.
	Scannable bool `json:"scannable"`
	// Pages is how many pages a scannable material usually has (a household register's
	// home page and the resident's page: 2). Zero means 1.
	Pages int `json:"pages,omitempty"`
	// MinPages is the fewest pages the item accepts when the resident cannot provide them
	// all (a rental contract shorter than usual); 0 means every page is needed. Going on
	// with fewer is recorded on the submission.
	MinPages int `json:"min_pages,omitempty"`
	// Mandatory materials must be provided; the others depend on the case ("if an agent
	// applies, a power of attorney").
	Mandatory bool `json:"mandatory"`
	// Licence names the e-licence that can stand in for this material: a resident the
	// platform holds one for may agree to use it instead of scanning. Empty: scan only.
	Licence licence.Type `json:"licence,omitempty"`
}

// PageCount returns how many pages to ask for: Pages, at least 1.
func (m *Material) PageCount() int { return max(m.Pages, 1) }

// MinPageCount returns the fewest pages accepted: MinPages, or PageCount when unset.
func (m *Material) MinPageCount() int {
	if m.MinPages <= 0 {
		return m.PageCount()
	}
	return min(m.MinPages, m.PageCount())
}

// Fee is one charge of a service. Amounts are in fen (分) to stay exact.
type Fee struct {
	Title     Text  `json:"title"`
	AmountFen int64 `json:"amount_fen"`
}

// Yuan formats the amount in yuan ("20.00").
func (f Fee) Yuan() string {
	return formatFen(f.AmountFen)
}

func formatFen(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// Channels says where a service can be applied for.
type Channels struct {
	// Kiosk services are applied for at this terminal. A service without it is shown with
	// its guide and "please go to the counter".
	Kiosk bool `json:"kiosk"`
	// Online services can also be applied for on the government service website or app.
	Online bool `json:"online"`
	// Counter services can be applied for at a service counter in the hall.
	Counter bool `json:"counter"`
}

// Item is one government service item (事项).
type Item struct {
	// ID is stable across catalog versions: submissions name it.
	ID    string `json:"id"`
	Title Text   `json:"title"`
	// Pinyin is the title's pinyin, one syllable per Han character of Title.Zh, separated
	// by spaces, without tones ("hu ji zheng ming"). Optional; it makes search exact.
	Pinyin string `json:"pinyin,omitempty"`
	// Keywords are other words residents search for (户口, hukou, 身份证明).
	Keywords   []string `json:"keywords,omitempty"`
	Category   string   `json:"category"`
	Department Text     `json:"department"`
	// Summary is one line under the title in lists.
	Summary Text `json:"summary,omitzero"`
	// Conditions are who may apply (申请条件), one per line.
	Conditions []Text     `json:"conditions,omitempty"`
	Materials  []Material `json:"materials,omitempty"`
	// TimeLimitDays is the promised processing time in working days; 0 means done on the
	// spot (即办).
	TimeLimitDays int      `json:"time_limit_days"`
	Fees          []Fee    `json:"fees,omitempty"`
	Channels      Channels `json:"channels"`
	// Identity is whether the resident must identify; empty means required.
	Identity IdentityRule `json:"identity,omitempty"`
	// Eligibility is who may apply, checked right after identification; nil means anyone.
	Eligibility *Eligibility `json:"eligibility,omitempty"`
	Form        form.Schema  `json:"form"`
	// Guide is the service guide (办事指南) shown before starting, and the whole answer
	// for a counter-only item: where to go and what to bring.
	Guide Text `json:"guide"`
	// Rating is the 好差评 mark the hub publishes on items residents rate four stars or
	// more; nil means none.
	Rating *Rating `json:"rating,omitempty"`
	// Issues is the document the item issues (参保证明, 户籍证明...), printed at the kiosk
	// when the platform issues it at once; nil for items that issue none.
	Issues *Issue `json:"issues,omitempty"`
	// Appointment items end with a counter visit the resident books at the kiosk: a
	// half-day slot the platform manages (预约).
	Appointment bool `json:"appointment,omitempty"`
	// Post items may have their result posted to the resident's home (邮寄到家) instead
	// of collected at the counter.
	Post bool `json:"post,omitempty"`
}

// Rating is an item's published rating: the average of Count ratings since a date.
type Rating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
	Since   string  `json:"since,omitempty"` // YYYY-MM-DD
}

// Issue is a document an item issues.
type Issue struct {
	// Document names the document type for the platform ("ss_record"): lower-case
	// letters, digits and _.
	Document string `json:"document"`
	// Title is the document's name as the resident knows it.
	Title Text `json:"title"`
	// Collect says when and where to collect it when it is not printed at the kiosk
	// (the platform issues it later, or the kiosk has no A4 printer): the receipt shows it.
	Collect Text `json:"collect"`
}

// Free reports whether the item costs nothing.
func (it *Item) Free() bool { return totalFen(it.Fees) == 0 }

func totalFen(fs []Fee) int64 {
	var n int64
	for _, f := range fs {
		n += f.AmountFen
	}
	return n
}

// Bundle is several items done in one visit (一件事一次办): one identification, one form
// that merges the items' fields, each material asked once.
type Bundle struct {
	ID       string   `json:"id"`
	Title    Text     `json:"title"`
	Pinyin   string   `json:"pinyin,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	Category string   `json:"category"`
	Summary  Text     `json:"summary,omitzero"`
	Guide    Text     `json:"guide"`
	// ItemIDs are the bundled items, in the order they are handled.
	ItemIDs []string `json:"items"`
	// Eligibility is the bundle's own rule; every item's rule applies too.
	Eligibility *Eligibility `json:"eligibility,omitempty"`

	items []*Item
	svc   *Service
}

// Items returns the bundled items in order.
func (b *Bundle) Items() []*Item { return b.items }

// MergedForm returns the one form of the bundle: every item's fields, each asked once.
// See form.Merge for how shared fields combine.
func (b *Bundle) MergedForm() form.Schema { return b.svc.Form }

// Materials returns the bundle's materials, each once (by ID), mandatory when any item
// requires it, with the most pages any item asks for.
func (b *Bundle) Materials() []Material { return b.svc.Materials }

// Service returns the bundle as a resident chooses it.
func (b *Bundle) Service() *Service { return b.svc }

// Service is what a resident chooses and a session runs: a single item, or a bundle with
// its items combined. Catalog builds one for every item and bundle at load; it is
// read-only.
type Service struct {
	// ID is the item's or the bundle's ID; both share one namespace.
	ID string
	// Bundle is set when the service is a bundle; Item when it is a single item.
	Bundle *Bundle
	Item   *Item
	// Items are the items the service submits: the one item, or the bundle's.
	Items      []*Item
	Title      Text
	Pinyin     string
	Keywords   []string
	Category   string
	Summary    Text
	Department Text
	// Conditions of every item, each once.
	Conditions []Text
	// Materials of every item, each once by ID.
	Materials []Material
	// TimeLimitDays is the longest of the items'.
	TimeLimitDays int
	// Fees of every item.
	Fees []Fee
	// Identity is required when any item requires it.
	Identity IdentityRule
	// Eligibility is who may apply: the item's rule, or the bundle's combined with all
	// its items' (see Check). Nil means anyone.
	Eligibility *Eligibility
	// Kiosk is whether the whole service can be applied for at this terminal.
	Kiosk bool
	// Form is the item's form, or the bundle's merged form.
	Form form.Schema
	// Guide is the item's or the bundle's guide.
	Guide Text
	// Appointment and Post are the item's (Item.Appointment, Item.Post); a bundle
	// books no appointment and collects at the counter.
	Appointment bool
	Post        bool

	search searchKeys
}

// CounterOnly reports whether the service cannot be applied for at the kiosk: the
// resident reads the guide and goes to a counter.
func (s *Service) CounterOnly() bool { return !s.Kiosk }

// Arranged reports whether the service has an arrangements step: a counter appointment
// to book or a delivery to choose.
func (s *Service) Arranged() bool { return s.Appointment || s.Post }

// Scannable returns the materials to scan at the kiosk, in order.
func (s *Service) Scannable() []Material {
	var out []Material
	for _, m := range s.Materials {
		if m.Scannable {
			out = append(out, m)
		}
	}
	return out
}

// Material returns the service's material with the given ID, or nil.
func (s *Service) Material(id string) *Material {
	for i := range s.Materials {
		if s.Materials[i].ID == id {
			return &s.Materials[i]
		}
	}
	return nil
}

// Free reports whether the service costs nothing.
func (s *Service) Free() bool { return totalFen(s.Fees) == 0 }

// TotalFee formats the sum of the fees in yuan ("0.00" when free).
func (s *Service) TotalFee() string { return formatFen(totalFen(s.Fees)) }

// Catalog is one version of the service catalog. It is immutable once parsed.
type Catalog struct {
	// Format is the catalog format (see the constant Format).
	Format int `json:"format"`
	// Version identifies this catalog among the platform's pushes ("2026.11.3"); it is
	// shown on the technician screen and reported in heartbeats.
	Version    string     `json:"version"`
	Categories []Category `json:"categories"`
	Items      []*Item    `json:"items"`
	Bundles    []*Bundle  `json:"bundles,omitempty"`

	services []*Service
	byID     map[string]*Service
}

// Item returns the item with the given ID, or nil.
func (c *Catalog) Item(id string) *Item {
	if s := c.byID[id]; s != nil {
		return s.Item
	}
	return nil
}

// Bundle returns the bundle with the given ID, or nil.
func (c *Catalog) Bundle(id string) *Bundle {
	if s := c.byID[id]; s != nil {
		return s.Bundle
	}
	return nil
}

// Service returns the item or bundle with the given ID as a resident chooses it, or nil.
func (c *Catalog) Service(id string) *Service { return c.byID[id] }

// Services returns every service: bundles first (they save residents the most trips),
// then items, each in catalog order.
func (c *Catalog) Services() []*Service { return c.services }

// Category returns the category with the given ID, or nil.
func (c *Catalog) Category(id string) *Category {
	for i := range c.Categories {
		if c.Categories[i].ID == id {
			return &c.Categories[i]
		}
	}
	return nil
}

// InCategory returns the services of a category: bundles first, then items.
func (c *Catalog) InCategory(id string) []*Service {
	var out []*Service
	for _, s := range c.services {
		if s.Category == id {
			out = append(out, s)
		}
	}
	return out
}
