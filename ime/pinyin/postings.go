package pinyin

import (
	"slices"
	"sort"
)

// postings maps a key to a list of int32 (entry ids, or positions in another list), all
// lists in one array: with 47k initials keys, a Go map of slices cost 80 bytes a key
// (key string, slice header, buckets, each list its own allocation), a quarter of the
// dictionary's memory; here a key costs 12 bytes.
type postings struct {
	keys  []uint64 // sorted
	start []uint32 // list k is ids[start[k]:start[k+1]]; len(keys)+1
	ids   []int32
}

// get returns key's list (nil if none). The caller must not append to it.
func (p *postings) get(key uint64) []int32 {
	i, ok := slices.BinarySearch(p.keys, key)
	if !ok {
		return nil
	}
	return p.ids[p.start[i]:p.start[i+1]:p.start[i+1]]
}

// each calls fn with every key and its list, keys in order.
func (p *postings) each(fn func(key uint64, list []int32)) {
	for i, k := range p.keys {
		fn(k, p.ids[p.start[i]:p.start[i+1]:p.start[i+1]])
	}
}

// posting is one (key, value) pair before the lists are built.
type posting struct {
	key uint64
	val int32
}

// newPostings builds the lists from pairs, which it sorts: by key, then by less on the
// values (nil: the order pairs had, for equal keys).
func newPostings(pairs []posting, less func(a, b int32) bool) postings {
	sort.SliceStable(pairs, func(i, j int) bool {
		if pairs[i].key != pairs[j].key {
			return pairs[i].key < pairs[j].key
		}
		return less != nil && less(pairs[i].val, pairs[j].val)
	})
	var p postings
	p.ids = make([]int32, len(pairs))
	for i, pr := range pairs {
		if i == 0 || pr.key != pairs[i-1].key {
			p.keys = append(p.keys, pr.key)
			p.start = append(p.start, uint32(i))
		}
		p.ids[i] = pr.val
	}
	p.start = append(p.start, uint32(len(pairs)))
	p.keys, p.start = slices.Clip(p.keys), slices.Clip(p.start)
	return p
}

// letterKey packs a string of lower-case ASCII letters (a word's initials, at most 12)
// into a key: 5 bits a letter, so no two such strings share one. Anything else gives 0,
// which no list has.
func letterKey(s string) uint64 {
	if len(s) == 0 || len(s) > 12 {
		return 0
	}
	var k uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 'a' || c > 'z' {
			return 0
		}
		k = k<<5 | uint64(c-'a'+1)
	}
	return k
}

// appendLetter extends a key made by letterKey by one letter (0 stays 0 once a letter
// was not one).
func appendLetter(k uint64, n int, c byte) uint64 {
	if (k == 0 && n > 0) || c < 'a' || c > 'z' || n >= 12 {
		return 0
	}
	return k<<5 | uint64(c-'a'+1)
}
