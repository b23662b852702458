package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tapedeck/tapedeck/cache"
)

type openapiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
	Comps   struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) openapiDoc {
	t.Helper()
	var doc openapiDoc
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// TestOpenAPIRoutes holds openapi.json to the route table both ways.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, rt := range routeTable {
		key := strings.ToLower(rt.Method) + " " + rt.Path
		served[key] = true
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !served[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not served", strings.ToUpper(method), path)
			}
		}
	}
}

// TestOpenAPISchemas holds the documented fields to the JSON types, so a
// field added in Go and not in the document (or the reverse) fails.
func TestOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	types := map[string]reflect.Type{
		"Status": reflect.TypeFor[Status](), "TrackInfo": reflect.TypeFor[TrackInfo](), "PlaylistRef": reflect.TypeFor[PlaylistRef](),
		"SpotifyStatus": reflect.TypeFor[SpotifyStatus](), "SpotifyApp": reflect.TypeFor[SpotifyApp](), "LibraryStatus": reflect.TypeFor[LibraryStatus](),
		"PlayRequest": reflect.TypeFor[PlayRequest](), "Queue": reflect.TypeFor[Queue](), "QueueEntry": reflect.TypeFor[QueueEntry](),
		"QueueAddRequest": reflect.TypeFor[QueueAddRequest](), "QueueMoveRequest": reflect.TypeFor[QueueMoveRequest](),
		"MatchInfo": reflect.TypeFor[MatchInfo](), "MatchRequest": reflect.TypeFor[MatchRequest](), "Error": reflect.TypeFor[errorBody](),
		"Started": reflect.TypeFor[startedBody](), "Playlist": reflect.TypeFor[cache.Playlist](),
		"PlaylistDetail": reflect.TypeFor[PlaylistDetail](), "LocalTrack": reflect.TypeFor[cache.LocalTrack](),
		"MissingTrack": reflect.TypeFor[cache.MissingTrack](),
	}
	for name, typ := range types {
		schema, ok := doc.Comps.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var documented []string
		for k := range schema.Properties {
			documented = append(documented, k)
		}
		slices.Sort(documented)
		if got := jsonFields(typ); !slices.Equal(got, documented) {
			t.Errorf("schema %s has %v\nGo type has %v", name, documented, got)
		}
	}
	// PlaylistItem marshals through MarshalJSON: compare with its output.
	b, _ := json.Marshal(cache.PlaylistItem{AddedBy: "x", Track: &cache.SpotifyTrack{ID: "a", URI: "u", Kind: "track", Name: "n", AlbumName: "b"}})
	var m map[string]any
	json.Unmarshal(b, &m)
	var got, documented []string
	for k := range m {
		got = append(got, k)
	}
	for k := range doc.Comps.Schemas["PlaylistItem"].Properties {
		documented = append(documented, k)
	}
	slices.Sort(got)
	slices.Sort(documented)
	if !slices.Equal(got, documented) {
		t.Errorf("schema PlaylistItem has %v\nMarshalJSON gives %v", documented, got)
	}
}

// jsonFields lists the JSON names of a struct's fields, embedded structs
// flattened, "-" skipped.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
