// Package pinyin turns pinyin letters into simplified Chinese candidates: full pinyin with
// syllable segmentation and the apostrophe (xian, xi'an), initials and mixed abbreviations
// (jyfw, jingyfw), v for ü (lv, nve), multi-word phrases composed from the dictionary,
// frequency ranking, paging, and learning that lasts one visit only.
//
// The dictionary is read from Rime's pinyin_simp.dict.yaml (Debian rime-data-pinyin-simp,
// Apache-2.0, derived from the Android Pinyin IME), which carries simplified words with their
// readings and weights. The package never logs or stores what is typed: a Session's learning
// is in memory and Reset wipes it.
package pinyin
