package match

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// labelled is match/testdata/labelled.json, written by testdata/gen.
type labelled struct {
	Locals []struct {
		ID            int64    `json:"id"`
		Path          string   `json:"path"`
		Format        string   `json:"format"`
		Codec         string   `json:"codec"`
		DurationMs    int64    `json:"duration_ms"`
		Title         string   `json:"title"`
		Artists       []string `json:"artists"`
		Album         string   `json:"album"`
		AlbumArtist   string   `json:"album_artist"`
		ISRC          string   `json:"isrc"`
		MBRecordingID string   `json:"mb_recording_id"`
		Unreadable    bool     `json:"unreadable"`
	} `json:"locals"`
	Cases []struct {
		Track spotifyTrack `json:"track"`
		Want  []string     `json:"want"`
		Kind  string       `json:"kind"`
	} `json:"cases"`
}

// spotifyTrack is the part of the Web API's track object the matcher reads.
type spotifyTrack struct {
	ID      *string `json:"id"`
	URI     string  `json:"uri"`
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	IsLocal bool    `json:"is_local"`
	Artists []struct {
		Name string `json:"name"`
	} `json:"artists"`
	Album struct {
		Name string `json:"name"`
	} `json:"album"`
	DurationMs  int64 `json:"duration_ms"`
	ExternalIDs struct {
		ISRC string `json:"isrc"`
	} `json:"external_ids"`
}

// remote converts a track the way sync stores it.
func (t spotifyTrack) remote() Remote {
	r := Remote{Kind: "track", Name: t.Name, Album: t.Album.Name, DurationMs: t.DurationMs, ISRC: t.ExternalIDs.ISRC}
	if t.ID != nil {
		r.ID = *t.ID
	}
	for _, a := range t.Artists {
		r.Artists = append(r.Artists, a.Name)
	}
	switch {
	case t.Type == "episode":
		r.Kind = "episode"
	case t.IsLocal || r.ID == "":
		r.Kind, r.ID = "local", "local:"+t.URI
	}
	return r
}

func loadLabelled(t testing.TB) ([]Local, labelled) {
	t.Helper()
	b, err := os.ReadFile("testdata/labelled.json")
	if err != nil {
		t.Fatal(err)
	}
	var set labelled
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	var locals []Local
	for _, l := range set.Locals {
		locals = append(locals, Local{ID: l.ID, Path: l.Path, Format: l.Format, Codec: l.Codec, DurationMs: l.DurationMs,
			Title: l.Title, Artists: l.Artists, Album: l.Album, AlbumArtist: l.AlbumArtist, ISRC: l.ISRC,
			MBRecordingID: l.MBRecordingID, Unreadable: l.Unreadable})
	}
	return locals, set
}

// TestQuality measures the matcher on the labelled set: precision (correct
// matches / matches made), recall (correct matches / tracks that have a
// correct file) and the false-match rate (matches made / tracks with no
// correct file).
func TestQuality(t *testing.T) {
	locals, set := loadLabelled(t)
	ix := NewIndex(locals, Options{})
	var made, correct, withFile, without, falseMatch int
	for _, c := range set.Cases {
		r := c.Track.remote()
		res := ix.Match(r, Override{})
		got := ""
		if res.Local != nil {
			got = res.Local.Path
			made++
		}
		if len(c.Want) > 0 {
			withFile++
		} else {
			without++
		}
		switch {
		case got != "" && len(c.Want) > 0 && got == c.Want[0]:
			correct++
		case got == "" && len(c.Want) == 0:
		default:
			if got != "" && len(c.Want) == 0 {
				falseMatch++
			}
			want := "(none)"
			if len(c.Want) > 0 {
				want = c.Want[0]
			}
			if got == "" {
				got = "(none)"
			}
			ex := ix.Explain(r, Override{})
			t.Logf("WRONG [%s] %q by %q (%d ms, isrc %s)\n\tgot  %s (%s %.3f)\n\twant %s", c.Kind, r.Name, r.Artists, r.DurationMs, r.ISRC, got, res.Method, res.Score, want)
			for _, cand := range ex.Candidates {
				t.Logf("\t\t%s %.3f %v: %s", cand.Local.Path, cand.Score, cand.Accepted, cand.Reason)
			}
		}
	}
	precision := float64(correct) / float64(max(made, 1))
	recall := float64(correct) / float64(max(withFile, 1))
	fmr := float64(falseMatch) / float64(max(without, 1))
	t.Logf("%d tracks (%d with a correct file, %d without: %.0f%%), %d files", len(set.Cases), withFile, without, 100*float64(without)/float64(len(set.Cases)), len(locals))
	t.Logf("precision %.2f%% (%d/%d)  recall %.2f%% (%d/%d)  false-match rate %.2f%% (%d/%d)",
		100*precision, correct, made, 100*recall, correct, withFile, 100*fmr, falseMatch, without)
	if len(set.Cases) < 300 || float64(without) < 0.3*float64(len(set.Cases)) {
		t.Errorf("the labelled set is too small or has too few tracks without a file")
	}
	if precision < 0.995 || recall < 0.97 || fmr > 0.005 {
		t.Errorf("below target: precision %.2f%% (≥ 99.5), recall %.2f%% (≥ 97), false-match rate %.2f%% (≤ 0.5)", 100*precision, 100*recall, 100*fmr)
	}
}

// TestKeysInvariant checks that every match (other than a pin) shares a key
// between LocalKeys and RemoteKeys, on the labelled set.
func TestKeysInvariant(t *testing.T) {
	locals, set := loadLabelled(t)
	ix := NewIndex(locals, Options{})
	for _, c := range set.Cases {
		r := c.Track.remote()
		for _, cand := range ix.Explain(r, Override{}).Candidates {
			if !cand.Accepted {
				continue
			}
			rk, lk := RemoteKeys(r), LocalKeys(cand.Local)
			if !slices.ContainsFunc(rk, func(k string) bool { return slices.Contains(lk, k) }) {
				t.Errorf("%q and %s accepted with no key in common: %q vs %q", r.Name, cand.Local.Path, rk, lk)
			}
		}
	}
}
