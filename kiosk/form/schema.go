package form

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Schema is the list of fields a service item asks for, in the order they are shown.
type Schema struct {
	Fields []Field `json:"fields"`
}

// Field returns the field with the given id, or nil.
func (s Schema) Field(id string) *Field {
	for i := range s.Fields {
		if s.Fields[i].ID == id {
			return &s.Fields[i]
		}
	}
	return nil
}

// Problem is one mistake in a schema (or, in the packages that use it, a catalog), found
// at Path ("fields[2].options"). Messages are for whoever writes the catalog.
type Problem struct {
	Path    string
	Message string
}

// String joins path and message.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

var fieldIDRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// prefillTypes says which field types each identity attribute can fill.
var prefillTypes = map[Attr][]Type{
	AttrName:     {TypeText},
	AttrGender:   {TypeText, TypeChoice},
	AttrNation:   {TypeText, TypeChoice},
	AttrBirth:    {TypeDate},
	AttrAddress:  {TypeAddress, TypeText},
	AttrIDNumber: {TypeIDNumber, TypeText},
}

// checkTime is the fixed moment defaults are checked at, so a catalog's validity never
// depends on the day it is loaded.
var checkTime = time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC)

// Check reports every mistake in the schema, and compiles the fields' patterns so forms
// built on it need not. It is what a catalog load runs on each form; a schema with
// problems must not be used.
func (s *Schema) Check() []Problem {
	var ps []Problem
	add := func(i int, sub, format string, args ...any) {
		path := fmt.Sprintf("fields[%d]", i)
		if sub != "" {
			path += "." + sub
		}
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]int{}
	for i := range s.Fields {
		f := &s.Fields[i]
		switch {
		case f.ID == "":
			add(i, "id", "missing")
		case !fieldIDRe.MatchString(f.ID):
			add(i, "id", "%q: use lower-case letters, digits and _ (at most 40), starting with a letter", f.ID)
		default:
			if j, dup := seen[f.ID]; dup {
				add(i, "id", "%q is also fields[%d]", f.ID, j)
			}
			seen[f.ID] = i
		}
		if f.Label.Zh == "" {
			add(i, "label.zh", "missing: residents read the Chinese label")
		}
		if !f.Type.Valid() {
			add(i, "type", "%q is not one of %v", f.Type, Types)
			continue
		}
		if f.MinLength < 0 || f.MaxLength < 0 || f.Length < 0 {
			add(i, "", "lengths cannot be negative")
		}
		if f.MaxLength > 0 && f.MinLength > f.MaxLength {
			add(i, "min_length", "%d is more than max_length %d", f.MinLength, f.MaxLength)
		}
		if f.Length > 0 && (f.MinLength > 0 || f.MaxLength > 0) {
			add(i, "length", "use either length or min_length/max_length")
		}
		text := f.Type == TypeText || f.Type == TypeAddress
		if !text && (f.MinLength != 0 || f.MaxLength != 0 || f.Length != 0 || f.Multiline) {
			add(i, "", "length rules and multiline apply to text and address fields only")
		}
		if f.Type != TypeNumber && (f.Min != nil || f.Max != nil || f.Decimals != 0) {
			add(i, "", "min, max and decimals apply to number fields only")
		}
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			add(i, "min", "%v is more than max %v", *f.Min, *f.Max)
		}
		if f.Decimals < 0 || f.Decimals > 6 {
			add(i, "decimals", "%d: use 0 to 6", f.Decimals)
		}
		if f.Type != TypeDate && (f.MinDate != "" || f.MaxDate != "") {
			add(i, "", "min_date and max_date apply to date fields only")
		}
		for _, b := range []struct{ name, spec string }{{"min_date", f.MinDate}, {"max_date", f.MaxDate}} {
			if _, ok := DateBound(b.spec, checkTime); b.spec != "" && !ok {
				add(i, b.name, "%q: write YYYY-MM-DD, today, or today+30d / today-18y / today+6m", b.spec)
			}
		}
		if f.Pattern != "" {
			if !text {
				add(i, "pattern", "patterns apply to text and address fields only")
			}
			re, err := regexp.Compile(anchor(f.Pattern))
			if err != nil {
				add(i, "pattern", "does not compile: %v", err)
			} else {
				f.re = re
			}
			if f.PatternMessage.Zh == "" {
				add(i, "pattern_message.zh", "missing: say what to write when the pattern does not match")
			}
		}
		switch f.Keypad {
		case "", InputKeyboard, InputDigits, InputDecimal, InputPhone, InputIDNumber:
			if f.Keypad != "" && f.Type != TypeText {
				add(i, "keypad", "only text fields choose their keypad; %s fields have their own", f.Type)
			}
		default:
			add(i, "keypad", "%q: use keyboard, digits, decimal, phone or id_number", f.Keypad)
		}
		switch {
		case f.TextKind == "":
		case !f.TextKind.Valid():
			add(i, "text_kind", "%q: use one of %v", f.TextKind, TextKinds)
		case !text:
			add(i, "text_kind", "applies to text and address fields only")
		}
		if f.Type == TypeChoice {
			if len(f.Options) == 0 {
				add(i, "options", "a choice needs options")
			}
			vals := map[string]bool{}
			for j, o := range f.Options {
				if o.Value == "" {
					add(i, fmt.Sprintf("options[%d].value", j), "missing")
				} else if vals[o.Value] {
					add(i, fmt.Sprintf("options[%d].value", j), "%q appears twice", o.Value)
				}
				vals[o.Value] = true
				if o.Label.Zh == "" {
					add(i, fmt.Sprintf("options[%d].label.zh", j), "missing")
				}
			}
		} else if len(f.Options) > 0 {
			add(i, "options", "only choice fields have options")
		}
		if f.Prefill != "" {
			types, ok := prefillTypes[f.Prefill]
			switch {
			case !ok:
				add(i, "prefill", "%q is not an identity attribute (name, gender, nation, birth, address, id_number)", f.Prefill)
			case !slices.Contains(types, f.Type):
				add(i, "prefill", "%s cannot fill a %s field (it fits %v)", f.Prefill, f.Type, types)
			}
		} else if f.Locked {
			add(i, "locked", "only a pre-filled field can be locked")
		}
		if f.Default != "" {
			if m := f.Validate(f.Normalize(f.Default), checkTime); m != nil {
				add(i, "default", "%q is refused by the field itself: %s", f.Default, m.Text.En)
			}
		}
	}
	return ps
}

// Merge combines the schemas of several items into one form that asks each question once,
// for a bundle of items done in one visit. Fields are matched by ID and kept in order of
// first appearance; a merged field is required when any item requires it, and takes the
// longer hint. Fields sharing an ID must mean the same thing: the same type, rules,
// options and pre-fill (labels may differ; the first wins). Where they differ, Merge
// reports a problem with the path "schemas[i].fields[j]" and keeps the first.
func Merge(schemas ...Schema) (Schema, []Problem) {
	var out Schema
	var ps []Problem
	at := map[string]int{}
	for i, s := range schemas {
		for j, f := range s.Fields {
			k, dup := at[f.ID]
			if !dup {
				at[f.ID] = len(out.Fields)
				f.Options = slices.Clone(f.Options)
				out.Fields = append(out.Fields, f)
				continue
			}
			m := &out.Fields[k]
			path := fmt.Sprintf("schemas[%d].fields[%d]", i, j)
			switch {
			case m.Type != f.Type:
				ps = append(ps, Problem{path, fmt.Sprintf("field %q is %s here and %s in an earlier item", f.ID, f.Type, m.Type)})
			case rules(m) != rules(&f):
				ps = append(ps, Problem{path, fmt.Sprintf("field %q has other rules, options or pre-fill than in an earlier item; a shared field must be declared alike", f.ID)})
			}
			m.Required = m.Required || f.Required
			if len([]rune(f.Hint.Zh)) > len([]rune(m.Hint.Zh)) {
				m.Hint = f.Hint
			}
		}
	}
	return out, ps
}

// rules is what must agree between fields that share an ID in a bundle.
func rules(f *Field) string {
	num := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return formatNumber(*p)
	}
	vals := make([]string, len(f.Options))
	for i, o := range f.Options {
		vals[i] = o.Value
	}
	return fmt.Sprintf("%d|%d|%d|%s|%s|%d|%s|%s|%s|%s|%t|%q|%s|%t|%s", f.MinLength, f.MaxLength, f.Length,
		num(f.Min), num(f.Max), f.Decimals, f.MinDate, f.MaxDate, f.Pattern, f.Prefill, f.Locked, vals, f.Keypad, f.Multiline, f.TextKind)
}
