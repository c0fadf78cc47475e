package phone

import "testing"

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw          string
		allowSandbox bool
		want         string
		wantErr      bool
	}{
		{raw: "+31 6 1234 5678", want: "31612345678"},
		{raw: "31612345678", want: "31612345678"},
		{raw: "+1 (415) 555-2671", want: "14155552671"},
		{raw: "+39 333.123.4567", want: "393331234567"},
		{raw: " +4915112345678 ", want: "4915112345678"},
		{raw: "+15550000001", allowSandbox: true, want: "15550000001"},
		{raw: "+1 555 000 0042", allowSandbox: true, want: "15550000042"},
		{raw: "+15550000001", wantErr: true},
		{raw: "+1555000001", allowSandbox: true, wantErr: true},
		{raw: "", wantErr: true},
		{raw: "+", wantErr: true},
		{raw: "hello", wantErr: true},
		{raw: "+31 6 1234 567x", wantErr: true},
		{raw: "12", wantErr: true},
		{raw: "+999 123456789", wantErr: true},
		{raw: "123456789012345678901", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.raw, tt.allowSandbox)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Normalize(%q, %v) = %q, %v; want %q, error %v", tt.raw, tt.allowSandbox, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+31612345678", "+1 (415) 555-2671", "15550000001", "", "++", "0031 6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Normalize(raw, true)
		if err != nil {
			return
		}
		// A normalised number normalises to itself.
		again, err := Normalize(got, true)
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", raw, got, got, again, err)
		}
	})
}
