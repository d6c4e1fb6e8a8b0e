// Package catalog is the kiosk's list of government services: service items (事项) with
// their conditions, required materials, time limits, fees, channels, form and guide;
// bundles of items done in one visit (一件事一次办); categories; and search that works
// without an input method.
//
// A catalog arrives as JSON, shipped with the kiosk or pushed by the platform. Parse
// checks all of it and reports every problem with its path; a catalog with any problem is
// refused whole, so a bad push never replaces a good catalog (see Store). A parsed
// Catalog is immutable and shared by every session.
//
// The catalog holds no personal data and must never hold any. It knows no UI toolkit and
// no device.
//
// # Search
//
// Residents search on an on-screen keyboard with no input method, so a query is matched
// both as characters and as pinyin. A query with Han characters (户籍) matches titles,
// keywords, departments and summaries that contain it. A query of Latin letters matches
// English titles (a word prefix) and pinyin: each letter group must be a prefix of one
// syllable of consecutive syllables, so "hj", "huji", "huj" and "hji" all match 户籍.
// Titles take their syllables from the item's pinyin field when the catalog gives one
// (it is checked to have one syllable per Han character); otherwise, and for keywords
// written in Han characters, only initials are known, derived from the GB 2312 level-1
// table, which is ordered by pinyin. That derivation gives one reading per character and
// none for rare characters, so catalog authors should write the pinyin of titles and add
// pinyin keywords ("hu ji") where a word's reading is ambiguous.
package catalog
