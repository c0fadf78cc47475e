package media

import "testing"

// The tables agree: every type a signature gives belongs to the format
// that gave it (so that a file kept as that type is inline exactly when
// its format is) and has an extension of its own, as does every type a
// format confirms; every alias names a type under its usual name.
func TestTablesAgree(t *testing.T) {
	samples := map[string][]string{
		"jpeg":     {"\xff\xd8\xff\xe0"},
		"png":      {"\x89PNG\r\n\x1a\n"},
		"gif":      {"GIF87a", "GIF89a"},
		"webp":     {"RIFF\x00\x00\x00\x00WEBPVP8 "},
		"ogg":      {"OggS\x00"},
		"wav":      {"RIFF\x00\x00\x00\x00WAVEfmt "},
		"flac":     {"fLaC"},
		"amr":      {"#!AMR\n", "#!AMR-WB\n"},
		"mp3":      {"ID3\x04", "\xff\xfb\x90\x64"},
		"aac":      {"\xff\xf1\x50\x80\x02\x1f\xfc"},
		"isobmff":  {"\x00\x00\x00\x18ftypisom", "\x00\x00\x00\x18ftypM4A ", "\x00\x00\x00\x18ftypqt  ", "\x00\x00\x00\x18ftyp3gp4", "\x00\x00\x00\x18ftyp3g2a", "\x00\x00\x00\x18ftypheic", "\x00\x00\x00\x18ftypmif1", "\x00\x00\x00\x18ftypavif"},
		"matroska": {"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"},
		"pdf":      {"%PDF-1.7"},
	}
	for _, f := range formats {
		if len(samples[f.name]) == 0 {
			t.Errorf("format %s has no sample", f.name)
		}
		for _, sample := range samples[f.name] {
			typ := f.detect([]byte(sample))
			if typ == "" {
				t.Errorf("format %s does not detect its sample %q", f.name, sample)
				continue
			}
			if formatOf[typ] != f.name {
				t.Errorf("format %s gives %s, which belongs to format %q", f.name, typ, formatOf[typ])
			}
			if got := keptType("", []byte(sample)); got != typ || inline(got) != f.inline {
				t.Errorf("sample %q is kept as %s inline %v, want %s inline %v", sample, got, inline(got), typ, f.inline)
			}
		}
	}
	for typ := range formatOf {
		if _, ok := extensions[typ]; !ok {
			t.Errorf("%s has no extension", typ)
		}
	}
	for alias, typ := range aliases {
		if _, ok := extensions[typ]; !ok {
			t.Errorf("alias %s names %s, which has no extension", alias, typ)
		}
		if _, ok := aliases[typ]; ok {
			t.Errorf("alias %s names another alias, %s", alias, typ)
		}
	}
}
