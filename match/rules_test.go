package match

import (
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

func TestParseTitle(t *testing.T) {
	for _, c := range []struct {
		in    string
		base  string
		marks []string // marker kinds
		feat  []string
	}{
		{"Here Comes The Sun - Remastered 2009", "herecomesthesun", nil, nil},
		{"Song (Remastered)", "song", nil, nil},
		{"Song - 2011 Remaster", "song", nil, nil},
		{"Song - Live at Wembley", "song", []string{"live"}, nil},
		{"Song [Live]", "song", []string{"live"}, nil},
		{"Song (Remix)", "song", []string{"remix"}, nil},
		{"Song - Kygo Remix", "song", []string{"remix"}, nil},
		{"Song - Original Mix", "song", nil, nil},
		{"Song (feat. X)", "song", nil, []string{"x"}},
		{"Song (with A & B)", "song", nil, []string{"a", "b", "aandb"}},
		{"Song feat. X", "song", nil, []string{"x"}},
		{"Song - Radio Edit", "song", []string{"edit"}, nil},
		{"Song - Single Version", "song", []string{"edit"}, nil},
		{"Song - Extended Version", "song", []string{"extended"}, nil},
		{`Song - From "Film" Soundtrack`, "song", nil, nil},
		{"Song - From The Motion Picture \"Live Forever\"", "song", nil, nil},
		{"Song (Taylor's Version)", "song", []string{"rerecord"}, nil},
		{"Song - 2016 Version", "song", []string{"version"}, nil},
		{"Song - Acoustic", "song", []string{"acoustic"}, nil},
		{"Song - Instrumental", "song", []string{"instrumental"}, nil},
		{"Song (Off Vocal)", "song", []string{"karaoke"}, nil},
		{"Song [Karaoke Version]", "song", []string{"karaoke"}, nil},
		{"Song - Demo", "song", []string{"demo"}, nil},
		{"Song - Mono", "song", []string{"mono"}, nil},
		{"Song - Mono / Remastered 2009", "song", []string{"mono"}, nil},
		{"Song - Recorded at Spotify Studios NYC", "song", []string{"live"}, nil},
		{"Song (Album Version)", "song", nil, nil},
		{"Song (Explicit)", "song", nil, nil},
		{"Song (1999)", "song", nil, nil},
		{"(I Can't Get No) Satisfaction", "satisfaction", nil, nil},
		{"Another Brick in the Wall, Pt. 2", "anotherbrickinthewallpart2", nil, nil},
		{"Ｓｏｎｇ（Ｌｉｖｅ）", "song", []string{"live"}, nil},
		{"(Untitled)", "untitled", nil, nil},
	} {
		got := parseTitle(c.in)
		var kinds []string
		for _, m := range got.marks {
			kinds = append(kinds, m.kind)
		}
		if got.base != c.base || !slices.Equal(kinds, c.marks) || !slices.Equal(got.feat, c.feat) {
			t.Errorf("parseTitle(%q) = base %q marks %q feat %q, want %q %q %q", c.in, got.base, kinds, got.feat, c.base, c.marks, c.feat)
		}
	}
}

func TestParsePath(t *testing.T) {
	for _, c := range []struct {
		path string
		want guess // one of the readings
	}{
		{"/m/Unsorted/Queen - Bohemian Rhapsody.mp3", guess{artist: "Queen", title: "Bohemian Rhapsody"}},
		{"/m/Downloads/07 - Queen - Bohemian Rhapsody.mp3", guess{artist: "Queen", title: "Bohemian Rhapsody"}},
		{"/m/Queen/A Night at the Opera/11 Bohemian Rhapsody.flac", guess{artist: "Queen", album: "A Night at the Opera", title: "Bohemian Rhapsody"}},
		{"/m/Queen/A Night at the Opera/11. Bohemian Rhapsody.flac", guess{artist: "Queen", album: "A Night at the Opera", title: "Bohemian Rhapsody"}},
		{"/m/Queen - A Night at the Opera (1975)/1-11 Bohemian Rhapsody.flac", guess{artist: "Queen", album: "A Night at the Opera (1975)", title: "Bohemian Rhapsody"}},
		{"/m/Nena/99 Luftballons/99 Luftballons.mp3", guess{artist: "Nena", album: "99 Luftballons", title: "99 Luftballons"}},
		{"/m/Music/Queen_-_Bohemian_Rhapsody.ogg", guess{artist: "Queen", title: "Bohemian Rhapsody"}},
	} {
		got := parsePath(c.path)
		if !slices.Contains(got, c.want) {
			t.Errorf("parsePath(%q) = %+v, want among them %+v", c.path, got, c.want)
		}
	}
}

func sec(s float64) int64 { return int64(s * 1000) }

// lib is a small library for the rule tests.
func lib() []Local {
	return []Local{
		{ID: 1, Path: "/m/Queen/Jazz/05 Don't Stop Me Now.mp3", Format: "mp3", Codec: "mp3", DurationMs: sec(209.5), Title: "Don't Stop Me Now", Artists: []string{"Queen"}, Album: "Jazz", ISRC: "GBUM71029604"},
		{ID: 2, Path: "/m/FLAC/Queen/Jazz/05 Don't Stop Me Now.flac", Format: "flac", Codec: "flac", DurationMs: sec(209.4), Title: "Don’t Stop Me Now", Artists: []string{"Queen"}, Album: "Jazz"},
		{ID: 3, Path: "/m/Queen/Live Killers/Don't Stop Me Now (Live).mp3", Format: "mp3", Codec: "mp3", DurationMs: sec(211), Title: "Don't Stop Me Now (Live)", Artists: []string{"Queen"}, Album: "Live Killers"},
		{ID: 4, Path: "/m/Daft Punk/RAM/08 Get Lucky.m4a", Format: "m4a", Codec: "aac", DurationMs: sec(369), Title: "Get Lucky", Artists: []string{"Daft Punk feat. Pharrell Williams & Nile Rodgers"}, Album: "Random Access Memories"},
		{ID: 5, Path: "/m/Unsorted/Adele - Hello.mp3", Format: "mp3", Codec: "mp3", DurationMs: sec(295.5), Unreadable: true},
		{ID: 6, Path: "/m/Lionel Richie/Can't Slow Down/Hello.flac", Format: "flac", Codec: "flac", DurationMs: sec(251), Title: "Hello", Artists: []string{"Lionel Richie"}},
		{ID: 7, Path: "/m/Taylor Swift/Fearless/03 Love Story.mp3", Format: "mp3", Codec: "mp3", DurationMs: sec(235), Title: "Love Story", Artists: []string{"Taylor Swift"}, Album: "Fearless", MBRecordingID: "0b5ba6c4-0c8c-4bd3-8ef1-0a0d4e4f2e11"},
		{ID: 8, Path: "/m/Mistagged/Song 2 (live).mp3", Format: "mp3", Codec: "mp3", DurationMs: sec(160), Title: "Song 2 (Live)", Artists: []string{"Blur"}, ISRC: "GBAYE9600321"},
		{ID: 9, Path: "/m/Mistagged/Song 2 edit.mp3", Format: "mp3", Codec: "mp3", DurationMs: sec(90), Title: "Song 2", Artists: []string{"Blur"}, ISRC: "GBAYE9600322"},
		{ID: 10, Path: "/m/Robyn/Body Talk/Dancing On My Own (Radio Edit).ogg", Format: "ogg", Codec: "vorbis", DurationMs: sec(240), Title: "Dancing On My Own (Radio Edit)", Artists: []string{"Robyn"}},
	}
}

func TestRules(t *testing.T) {
	ix := NewIndex(lib(), Options{})
	queen := Remote{Kind: "track", Name: "Don't Stop Me Now - Remastered 2011", Artists: []string{"Queen"}, Album: "Jazz (2011 Remaster)", DurationMs: sec(209.9)}
	for _, c := range []struct {
		name   string
		r      Remote
		ov     Override
		want   int64 // local ID, 0: none
		method string
	}{
		{"remaster matches, FLAC preferred", queen, Override{}, 2, MethodText},
		{"pin wins", queen, Override{Pin: "/m/Queen/Live Killers/Don't Stop Me Now (Live).mp3"}, 3, MethodPin},
		{"pin to a missing file falls back", queen, Override{Pin: "/gone.mp3"}, 2, MethodText},
		{"rejected file skipped", queen, Override{Rejected: []string{"/m/FLAC/Queen/Jazz/05 Don't Stop Me Now.flac"}}, 1, MethodText},
		{"user says none", queen, Override{None: true}, 0, MethodNone},
		{"ISRC, then the FLAC of the same recording", Remote{Kind: "track", Name: "Don't Stop Me Now", Artists: []string{"Queen"}, DurationMs: sec(209), ISRC: "gb-um7-10-29604"}, Override{}, 2, MethodText},
		{"live on Spotify, studio only... but a live file exists", Remote{Kind: "track", Name: "Don't Stop Me Now - Live", Artists: []string{"Queen"}, DurationMs: sec(210)}, Override{}, 3, MethodText},
		{"live at another venue with the same duration", Remote{Kind: "track", Name: "Don't Stop Me Now - Live at Wembley", Artists: []string{"Queen"}, DurationMs: sec(209.5)}, Override{}, 3, MethodText},
		{"remix: no file", Remote{Kind: "track", Name: "Don't Stop Me Now - Remix", Artists: []string{"Queen"}, DurationMs: sec(209.5)}, Override{}, 0, ""},
		{"feat moved between title and artist", Remote{Kind: "track", Name: "Get Lucky (feat. Pharrell Williams & Nile Rodgers)", Artists: []string{"Daft Punk", "Pharrell Williams", "Nile Rodgers"}, DurationMs: sec(368.9)}, Override{}, 4, MethodText},
		{"another edit: duration far", Remote{Kind: "track", Name: "Get Lucky - Radio Edit", Artists: []string{"Daft Punk", "Pharrell Williams"}, DurationMs: sec(248)}, Override{}, 0, ""},
		{"untagged Artist - Title", Remote{Kind: "track", Name: "Hello", Artists: []string{"Adele"}, DurationMs: sec(295)}, Override{}, 5, MethodText},
		{"same title, another artist", Remote{Kind: "track", Name: "Hello", Artists: []string{"Adele"}, DurationMs: sec(251)}, Override{}, 0, ""},
		{"re-recording", Remote{Kind: "track", Name: "Love Story (Taylor's Version)", Artists: []string{"Taylor Swift"}, DurationMs: sec(235.5)}, Override{}, 0, ""},
		{"MusicBrainz id", Remote{Kind: "track", Name: "Love Story", Artists: []string{"Taylor Swift"}, DurationMs: sec(236), MBRecordingID: "0B5BA6C4-0C8C-4BD3-8EF1-0A0D4E4F2E11"}, Override{}, 7, MethodMBID},
		{"ISRC with live on one side is distrusted", Remote{Kind: "track", Name: "Song 2", Artists: []string{"Blur"}, DurationMs: sec(122), ISRC: "GBAYE9600321"}, Override{}, 0, ""},
		{"ISRC 30 s away is distrusted", Remote{Kind: "track", Name: "Song 2", Artists: []string{"Blur"}, DurationMs: sec(122), ISRC: "GBAYE9600322"}, Override{}, 0, ""},
		{"radio edit on both sides", Remote{Kind: "track", Name: "Dancing On My Own - Radio Edit", Artists: []string{"Robyn"}, DurationMs: sec(241)}, Override{}, 10, MethodText},
		{"radio edit on Spotify, unmarked file of that length", Remote{Kind: "track", Name: "Dancing On My Own", Artists: []string{"Robyn"}, DurationMs: sec(239)}, Override{}, 10, MethodText},
		{"Spotify local file", Remote{Kind: "local", Name: "Love Story", Artists: []string{"Taylor Swift"}, Album: "Fearless", DurationMs: sec(235)}, Override{}, 7, MethodLocalFile},
		{"Spotify local file named after its file", Remote{Kind: "local", Name: "Adele - Hello", DurationMs: sec(295)}, Override{}, 5, MethodLocalFile},
		{"episode never matched", Remote{Kind: "episode", Name: "Hello", Artists: []string{"Adele"}, DurationMs: sec(295)}, Override{}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := ix.Match(c.r, c.ov)
			var got int64
			if res.Local != nil {
				got = res.Local.ID
			}
			if got != c.want || res.Method != c.method {
				ex := ix.Explain(c.r, c.ov)
				var why []string
				for _, cand := range ex.Candidates {
					why = append(why, cand.Local.Path+": "+cand.Reason)
				}
				t.Errorf("got %d (%s %.3f), want %d (%s)\n%s", got, res.Method, res.Score, c.want, c.method, strings.Join(why, "\n"))
			}
		})
	}
}

func TestFormatPreference(t *testing.T) {
	r := Remote{Kind: "track", Name: "Don't Stop Me Now", Artists: []string{"Queen"}, DurationMs: sec(209.5)}
	for _, c := range []struct {
		pref []string
		want int64
	}{
		{nil, 2},
		{[]string{"mp3", "flac"}, 1},
		{[]string{"aac"}, 1}, // neither is preferred: the better score (closer duration) wins
	} {
		ix := NewIndex(lib()[:2], Options{FormatPreference: c.pref})
		if res := ix.Match(r, Override{}); res.Local == nil || res.Local.ID != c.want {
			t.Errorf("preference %q: got %+v, want %d", c.pref, res.Local, c.want)
		}
	}
}

func TestExplain(t *testing.T) {
	ix := NewIndex(lib(), Options{})
	res := ix.Explain(Remote{Kind: "track", Name: "Don't Stop Me Now", Artists: []string{"Queen"}, DurationMs: sec(209.5)}, Override{})
	if res.Local == nil || len(res.Candidates) != 3 {
		t.Fatalf("got %+v", res)
	}
	if c := res.Candidates[0]; c.Local.ID != res.Local.ID || !c.Accepted || !strings.HasPrefix(c.Reason, "taken") {
		t.Errorf("first candidate %+v", c)
	}
	last := res.Candidates[2]
	if last.Accepted || !strings.Contains(last.Reason, "live") {
		t.Errorf("live candidate %+v", last)
	}
	if m := ix.Match(Remote{Kind: "track", Name: "Don't Stop Me Now", Artists: []string{"Queen"}, DurationMs: sec(209.5)}, Override{}); m.Candidates != nil {
		t.Errorf("Match returned candidates")
	}
}

func TestIncremental(t *testing.T) {
	ix := NewIndex(lib()[2:], Options{})
	r := Remote{Kind: "track", Name: "Don't Stop Me Now", Artists: []string{"Queen"}, DurationMs: sec(209.5)}
	if res := ix.Match(r, Override{}); res.Local != nil {
		t.Fatalf("matched %s before the file was added", res.Local.Path)
	}
	mp3 := lib()[0]
	if !shareKey(LocalKeys(mp3), RemoteKeys(r)) {
		t.Fatalf("no shared key")
	}
	ix.Add(mp3)
	if res := ix.Match(r, Override{}); res.Local == nil || res.Local.ID != 1 {
		t.Fatalf("after Add: %+v", res.Local)
	}
	ix.Add(lib()[1])
	if res := ix.Match(r, Override{}); res.Local == nil || res.Local.ID != 2 {
		t.Fatalf("after adding the FLAC: %+v", res.Local)
	}
	ix.Remove(2)
	ix.Remove(2)
	if res := ix.Match(r, Override{}); res.Local == nil || res.Local.ID != 1 {
		t.Fatalf("after Remove: %+v", res.Local)
	}
	retagged := mp3
	retagged.Title = "Something Else"
	ix.Add(retagged) // same ID: replaces
	if res := ix.Match(r, Override{}); res.Local != nil {
		t.Fatalf("after retagging: %+v", res.Local)
	}
	if ix.Len() != len(lib())-2+1 {
		t.Errorf("Len = %d", ix.Len())
	}
}

func TestConcurrentMatch(t *testing.T) {
	ix := NewIndex(lib(), Options{})
	r := Remote{Kind: "track", Name: "Don't Stop Me Now", Artists: []string{"Queen"}, DurationMs: sec(209.5)}
	var wg gosync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if i == 0 && j%50 == 0 {
					ix.Add(Local{ID: int64(100 + j), Path: "/x/" + time.Duration(j).String(), Title: "Other", Artists: []string{"X"}})
				}
				if res := ix.Match(r, Override{}); res.Local == nil || res.Local.ID != 2 {
					t.Errorf("got %+v", res.Local)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}
