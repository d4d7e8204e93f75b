package npy

import (
	"strconv"
	"strings"
	"testing"
)

// render prints a literal back as Python would, to compare parses.
func render(v literal) string {
	switch v.kind {
	case litString:
		return "'" + v.str + "'"
	case litInt:
		return strconv.FormatInt(v.num, 10)
	case litBool:
		if v.b {
			return "True"
		}
		return "False"
	case litNone:
		return "None"
	case litTuple, litList:
		open, close := "(", ")"
		if v.kind == litList {
			open, close = "[", "]"
		}
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			parts[i] = render(it)
		}
		s := strings.Join(parts, ", ")
		if v.kind == litTuple && len(parts) == 1 {
			s += ","
		}
		return open + s + close
	case litDict:
		parts := make([]string, len(v.items))
		for i := range v.items {
			parts[i] = render(v.keys[i]) + ": " + render(v.items[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty tuple", "()", "()"},
		{"one-tuple", "(3,)", "(3,)"},
		{"one-tuple with spaces", "( 3 , )", "(3,)"},
		{"parenthesised int", "(3)", "3"},
		{"tuple", "(1, 3, 224, 224)", "(1, 3, 224, 224)"},
		{"tuple trailing comma", "(1,2,)", "(1, 2)"},
		{"zero", "0", "0"},
		{"negative", "-5", "-5"},
		{"max int64", "9223372036854775807", "9223372036854775807"},
		{"double quotes", `"<f4"`, "'<f4'"},
		{"empty string", "''", "''"},
		{"bools and none", "[True, False, None]", "[True, False, None]"},
		{"nested", "[('a', '<f4'), ('b', '<i8', (2,))]", "[('a', '<f4'), ('b', '<i8', (2,))]"},
		{"dict", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}"},
		{"dict without trailing comma", "{'shape':(),'descr':'|b1','fortran_order':True}", "{'shape': (), 'descr': '|b1', 'fortran_order': True}"},
		{"empty dict", "{ }", "{}"},
		{"surrounding whitespace", " \t{ }\n  \n", "{}"},
		{"newlines inside", "{'a':\n (1,\n 2)}", "{'a': (1, 2)}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseLiteral([]byte(tt.in), 0, false)
			if err != nil {
				t.Fatalf("parseLiteral(%q): %v", tt.in, err)
			}
			if got := render(v); got != tt.want {
				t.Errorf("parseLiteral(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLiteralLongSuffix(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		long    bool
		want    string
		wantErr string
	}{
		{"python2 longs accepted in 1.0/2.0", "(3L, 4L)", true, "(3, 4)", ""},
		{"python2 longs refused in 3.0", "(3L, 4L)", false, "", "malformed integer"},
		{"double suffix", "(3LL,)", true, "", "malformed integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseLiteral([]byte(tt.in), 0, tt.long)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseLiteral(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := render(v); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseLiteralErrors(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string // substring, including the byte offset (base 100)
	}{
		{"empty", "", "offset 100: expected a value, found end of header"},
		{"unterminated dict", "{'a': 1", "offset 107: expected ',' or '}'"},
		{"unterminated string", "{'a", "offset 101: unterminated string"},
		{"unterminated tuple", "(1, 2", "offset 105: expected ',' or ')'"},
		{"missing colon", "{'a' 1}", "offset 105: expected ':'"},
		{"missing comma", "(1 2)", "offset 103: expected ',' or ')'"},
		{"double comma", "(1,,)", "offset 103: expected a value, found ','"},
		{"leading comma", "(,)", "offset 101: expected a value"},
		{"trailing garbage", "{} x", "offset 103: unexpected 'x' after the header dict"},
		{"two dicts", "{}{}", "offset 102: unexpected '{'"},
		{"unknown name", "{'a': true}", "offset 106: unexpected name \"true\""},
		{"escape", `'a\'b'`, "offset 102: escape sequences"},
		{"newline in string", "'a\nb'", "offset 102: newline in string"},
		{"float", "1.5", "offset 101: malformed integer"},
		{"hex", "0x10", "offset 101: malformed integer"},
		{"underscore", "1_000", "offset 101: malformed integer"},
		{"leading zero", "007", "offset 100: integer with a leading zero"},
		{"lone minus", "-", "offset 101: expected a digit"},
		{"overflow", "9223372036854775808", "offset 100: integer does not fit in 64 bits"},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), "nesting deeper than 32"},
		{"mismatched brackets", "(1]", "expected ',' or ')'"},
		{"nul", "{'a': 1}\x00", "unexpected '\\x00'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseLiteral([]byte(tt.in), 100, false)
			if err == nil {
				t.Fatalf("parseLiteral(%q) = %s, want an error", tt.in, render(v))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseLiteral(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "npy: ") {
				t.Errorf("error %q lacks the npy: prefix", err)
			}
		})
	}
}
