package labels

import "testing"

func TestParseAndMatch(t *testing.T) {
	objs := map[string]map[string]string{
		"a": {"team": "vision", "tier": "edge"},
		"b": {"team": "audio", "tier": "cloud"},
		"c": {"team": "vision"},
		"d": nil,
	}
	for _, tc := range []struct {
		name, sel string
		want      string // the names selected, in order a..d
		bad       bool
	}{
		{"empty selects all", "", "abcd", false},
		{"equals", "team=vision", "ac", false},
		{"double equals", "team==vision", "ac", false},
		{"not equals includes missing", "team!=vision", "bd", false},
		{"conjunction", "team=vision,tier=edge", "a", false},
		{"exists", "tier", "ab", false},
		{"does not exist", "!tier", "cd", false},
		{"in", "tier in (edge, cloud)", "ab", false},
		{"notin includes missing", "team notin (audio)", "acd", false},
		{"set and equality", "team in (vision,audio),!tier", "c", false},
		{"spaces", " team = vision , tier ", "a", false},
		{"prefixed key", "papdl.io/role=x", "", false},
		{"bad key", "Team!!=x", "", true},
		{"bad value", "team=a b", "", true},
		{"unknown set operator", "team within (a)", "", true},
		{"unclosed set", "team in (a", "", true},
		{"empty term", "team=a,,tier", "", true},
		{"two words", "team vision", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Parse(tc.sel)
			if (err != nil) != tc.bad {
				t.Fatalf("Parse(%q) error %v, want error %v", tc.sel, err, tc.bad)
			}
			if tc.bad {
				return
			}
			got := ""
			for _, n := range []string{"a", "b", "c", "d"} {
				if sel.Matches(objs[n]) {
					got += n
				}
			}
			if got != tc.want {
				t.Fatalf("%q selects %q, want %q", tc.sel, got, tc.want)
			}
			again, err := Parse(sel.String())
			if err != nil || again.String() != sel.String() {
				t.Fatalf("String() %q does not parse back: %v", sel.String(), err)
			}
		})
	}
}
