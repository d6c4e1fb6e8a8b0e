package pinyin

import (
	"strings"
	"unicode/utf8"
)

// Kind is what the field being filled asks for. A session set to a kind ranks the
// dictionary's words of that kind higher: with initials only (cs) hundreds of words share
// the letters, and general frequency alone puts 测试 and 城市 before the 超市 a business
// form wants.
type Kind string

// The kinds a field can have.
const (
	// KindText is free text: no prior, ranking by general frequency.
	KindText Kind = ""
	// KindAddress is a postal address or a place (经营场所地址, 现居住地址).
	KindAddress Kind = "address"
	// KindBusinessScope is what a business does or sells (经营范围).
	KindBusinessScope Kind = "business_scope"
	// KindOrganization is the name of a business, employer, school or hospital.
	KindOrganization Kind = "organization"
	// KindName is a person's name. Names are not dictionary words, so it has no prior:
	// boosting any dictionary word would only push other words before the characters.
	KindName Kind = "name"
	// KindPurpose is why a resident applies (用途, 申请理由).
	KindPurpose Kind = "purpose"
)

// Kinds lists the kinds, free text first.
var Kinds = []Kind{KindText, KindAddress, KindBusinessScope, KindOrganization, KindName, KindPurpose}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// kindBoost is the prior of a word of the field's kind, in log weight: it counts as if it
// were 20 times as frequent. Set before measuring, not fitted to the evaluation list.
const kindBoost = 3.0

// kindRule derives a kind's words from the dictionary itself; no word list is typed in.
// A word of two or more characters is of the kind when
//   - it ends with one of suffixes (the head of a Chinese compound is its last part: a
//     place name ends in 路, 街, 市; a business scope in 销售, 加工, 服务), or
//   - it is a stem: the dictionary also holds it followed by one of stems (人民 because of
//     人民路, 服装 because of 服装店), so a name is raised where it is typed in pieces.
//
// The suffixes are the heads the kind's texts are built with (street, building and
// division names for addresses; trades, goods and shops for business scopes; the kinds of
// organisations; the verbs of applying for purposes), chosen from the meaning of the kind,
// not from the evaluation list's misses. Single-character heads that end very common
// words of another sense (道 of 知道, 行 of 进行, 会 of 社会, 用 of 作用) are left out.
type kindRule struct {
	suffixes []string
	stems    []string
}

var kindRules = map[Kind]kindRule{
	KindAddress: {
		suffixes: strings.Fields(`省 市 县 区 旗 盟 州 乡 镇 村 屯 庄 路 街 巷 弄 胡同 街道 大道
			号 楼 栋 幢 单元 室 层 小区 社区 花园 广场 大厦 公寓 新村 家园 苑 园 站 场 港 码头
			桥 湾 河 湖 山 岭 坡`),
		stems: strings.Fields(`省 市 县 区 镇 乡 村 路 街 巷 大道 小区`),
	},
	KindBusinessScope: {
		suffixes: strings.Fields(`销售 零售 批发 经营 服务 加工 维修 修理 制造 生产 养殖 种植
			运输 咨询 设计 开发 安装 装修 工程 租赁 代理 回收 培训 品 器 料 具 材 装 配件 店`),
		stems: strings.Fields(`店 销售 零售 批发 加工 维修 养殖 种植`),
	},
	KindOrganization: {
		suffixes: strings.Fields(`公司 集团 厂 店 馆 局 院 校 所 中心 站 社 银行 协会 委员会
			大学 中学 小学 幼儿园 医院`),
		stems: strings.Fields(`公司 店 厂 医院 学校 大学 中学 小学 银行`),
	},
	KindPurpose: {
		suffixes: strings.Fields(`办理 申请 领取 使用 需要 证明 登记 变更 补办 报销 补贴 救助 保险`),
	},
}

// kindBits returns a kind's bit in Dict.kinds (0 for kinds without a prior).
func kindBits(k Kind) uint8 {
	switch k {
	case KindAddress:
		return 1
	case KindBusinessScope:
		return 2
	case KindOrganization:
		return 4
	case KindPurpose:
		return 8
	}
	return 0
}

// deriveKinds marks every entry with the kinds it belongs to (kindRules) and indexes them.
func (d *Dict) deriveKinds() {
	byText := make(map[string][]int32, len(d.entries))
	for i := range d.entries {
		t := d.text(&d.entries[i])
		byText[t] = append(byText[t], int32(i))
	}
	d.kinds = make([]uint8, len(d.entries))
	for k, rule := range kindRules {
		bit := kindBits(k)
		for i := range d.entries {
			t := d.text(&d.entries[i])
			if utf8.RuneCountInString(t) < 2 {
				continue
			}
			if hasSuffix(t, rule.suffixes) {
				d.kinds[i] |= bit
			}
			// t = stem + s: the stem (two characters or more) is of the kind. Not from a
			// word only jieba's lexicon has: with its 100k nouns counted alike nearly every
			// noun would be some kind's stem (音乐 of 音乐学校), and the prior would raise
			// everything.
			if d.entries[i].lexicon {
				continue
			}
			for _, s := range rule.stems {
				if stem, ok := strings.CutSuffix(t, s); ok && utf8.RuneCountInString(stem) >= 2 {
					for _, j := range byText[stem] {
						d.kinds[j] |= bit
					}
				}
			}
		}
	}
	pairs := map[uint8][]posting{}
	d.index.each(func(key uint64, list []int32) {
		for pos, idx := range list {
			for k := range kindRules {
				if bit := kindBits(k); d.kinds[idx]&bit != 0 {
					pairs[bit] = append(pairs[bit], posting{key, int32(pos)})
				}
			}
		}
	})
	d.kindIndex = map[uint8]postings{}
	for k := range kindRules {
		bit := kindBits(k)
		d.kindIndex[bit] = newPostings(pairs[bit], nil) // in order of pos: by weight
	}
}

func hasSuffix(t string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(t, s) {
			return true
		}
	}
	return false
}

// KindOf reports whether the dictionary's word text is of kind k (by kindRules).
func (d *Dict) KindOf(text string, k Kind) bool {
	bit := kindBits(k)
	if bit == 0 {
		return false
	}
	d.PrepareKinds()
	for i := range d.entries {
		if d.text(&d.entries[i]) == text && d.kinds[i]&bit != 0 {
			return true
		}
	}
	return false
}

// PrepareKinds derives the kinds' word lists now (about 0.1 s) rather than when a field
// with a kind first takes focus. Safe to call more than once and concurrently.
func (d *Dict) PrepareKinds() { d.kindOnce.Do(d.deriveKinds) }

// SetKind tells the session what the field being filled asks for; its words then rank
// higher until the next SetKind or Reset. An unknown kind is free text.
func (s *Session) SetKind(k Kind) {
	if !k.Valid() {
		k = KindText
	}
	s.kind = k
	s.kindBit = kindBits(k)
	if s.kindBit != 0 {
		s.d.PrepareKinds()
	}
}

// Kind returns the kind set for the field being filled.
func (s *Session) Kind() Kind { return s.kind }

// prior is the extra log weight of entry i for the field being filled.
func (s *Session) prior(i int32) float64 {
	if s.kindBit != 0 && s.d.kinds[i]&s.kindBit != 0 {
		return kindBoost
	}
	return 0
}
