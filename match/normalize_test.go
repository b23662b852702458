package match

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Don't Stop Me Now", "dont stop me now"},
		{"Don’t Stop Me Now", "dont stop me now"},
		{"DON‘T STOP ME NOW!!", "dont stop me now"},
		{"Beyoncé", "beyonce"},
		{"Sigur Rós — Hoppípolla", "sigur ros hoppipolla"},
		{"Mötley Crüe", "motley crue"},
		{"Ｈｅｌｌｏ　Ｗｏｒｌｄ", "hello world"},
		{"Straße", "strasse"},
		{"Mø", "mo"},
		{"Łódź", "lodz"},
		{"Rock & Roll", "rock and roll"},
		{"Pink + White", "pink and white"},
		{"P.Y.T. (Pretty Young Thing)", "p y t pretty young thing"},
		{"  many   spaces\t", "many spaces"},
		{"Группа крови", "группа крови"},
		{"Йорш", "иорш"},
		{"夜に駆ける", "夜に駆ける"},   // dakuten kept: it changes the word
		{"ﾊﾟﾗﾀﾞｲｽ", "パラダイス"}, // half-width kana composed
		{"밤편지", "밤편지"},
		{"ΣΊΣΥΦΟΣ", "σισυφοσ"},
		{"“Heroes”", "heroes"},
		{"ﬁre", "fire"},
		{"", ""},
		{"!!!", ""},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSplitArtists(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Daft Punk feat. Pharrell Williams", []string{"daftpunk", "pharrellwilliams", "daftpunkfeatpharrellwilliams"}},
		{"A & B", []string{"a", "b", "aandb"}},
		{"A; B", []string{"a", "b", "ab"}},
		{"AC/DC", []string{"ac", "dc", "acdc"}},
		{"Lil Nas X", []string{"lilnasx"}},
		{"Calvin Harris x Dua Lipa", []string{"calvinharris", "dualipa", "calvinharrisxdualipa"}},
		{"The Beatles", []string{"beatles"}},
		{"Various Artists", nil},
		{"Florence + the Machine", []string{"florence", "machine", "florenceandthemachine"}},
		{"Marina and the Diamonds", []string{"marina", "diamonds", "marinaandthediamonds"}},
	} {
		if got := splitArtists(c.in); !slices.Equal(got, c.want) {
			t.Errorf("splitArtists(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzNormalize checks that Normalize never panics, is idempotent, returns
// valid UTF-8 with no leading, trailing or double spaces, and that the
// title parser and the key functions survive the same input.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Don’t Stop", "Ｈｅｌｌｏ", "Straße", "夜に駆ける", "Song (feat. X) - Remastered 2011", "a\u0301", "\xff\xfe", "(", "((a)", "İstanbul", "ǅ", "ᾈ", "\u0345", "x - - y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, Normalize(n))
		}
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 from %q: %q", s, n)
		}
		if len(n) > 0 && (n[0] == ' ' || n[len(n)-1] == ' ') || containsDoubleSpace(n) {
			t.Fatalf("untidy spaces from %q: %q", s, n)
		}
		parseTitle(s)
		splitArtists(s)
		parsePath(s)
		l := Local{Path: "/m/" + s + ".mp3", Title: s, Artists: []string{s}, Album: s, DurationMs: 200000}
		r := Remote{Kind: "track", Name: s, Artists: []string{s}, Album: s, DurationMs: 200000}
		ix := NewIndex([]Local{l}, Options{})
		if res := ix.Match(r, Override{}); res.Local != nil && !shareKey(RemoteKeys(r), LocalKeys(l)) {
			t.Fatalf("matched %q with no shared key", s)
		}
	})
}

func containsDoubleSpace(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' && s[i-1] == ' ' {
			return true
		}
	}
	return false
}

func shareKey(a, b []string) bool {
	return slices.ContainsFunc(a, func(k string) bool { return slices.Contains(b, k) })
}
