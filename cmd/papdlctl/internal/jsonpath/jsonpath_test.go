package jsonpath

import (
	"encoding/json"
	"strings"
	"testing"
)

const doc = `{"kind":"List","items":[
 {"metadata":{"name":"a","labels":{"team":"vision"}},"spec":{"suspend":true,"shape":[1,3]},
  "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Stalled","status":"False"}]}},
 {"metadata":{"name":"b"},"spec":{"shape":[2]},
  "status":{"conditions":[{"type":"Ready","status":"False"}]}}]}`

func TestExecute(t *testing.T) {
	var data any
	if err := json.Unmarshal([]byte(doc), &data); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tmpl, want string
		bad              bool
	}{
		{"field", "{.kind}", "List", false},
		{"without braces", ".kind", "List", false},
		{"index", "{.items[1].metadata.name}", "b", false},
		{"negative index", "{.items[-1].metadata.name}", "b", false},
		{"all", "{.items[*].metadata.name}", "a b", false},
		{"star field", "{.items[0].metadata.labels.*}", "vision", false},
		{"filter", `{.items[0].status.conditions[?(@.type=="Ready")].status}`, "True", false},
		{"filter not equal", `{.items[0].status.conditions[?(@.type!="Ready")].type}`, "Stalled", false},
		{"filter over items", `{.items[?(@.metadata.name=="b")].spec.shape[0]}`, "2", false},
		{"bool and array", "{.items[0].spec.suspend} {.items[0].spec.shape}", "true [1,3]", false},
		{"missing prints nothing", "{.items[1].spec.suspend}", "", false},
		{"literal", `{.kind}{"\n"}`, "List\n", false},
		{"range", `{range .items[*]}{.metadata.name}={.status.conditions[0].status};{end}`, "a=True;b=False;", false},
		{"range over a list", `{range .items}{.metadata.name},{end}`, "a,b,", false},
		{"quoted key", `{.items[0].metadata['name']}`, "a", false},
		{"unclosed brace", "{.kind", "", true},
		{"range without end", "{range .items[*]}x", "", true},
		{"end without range", "x{end}", "", true},
		{"bad index", "{.items[x]}", "", true},
		{"recursive descent", "{..name}", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(tc.tmpl)
			if (err != nil) != tc.bad {
				t.Fatalf("Parse(%q): %v, want error %v", tc.tmpl, err, tc.bad)
			}
			if tc.bad {
				return
			}
			var sb strings.Builder
			if err := tmpl.Execute(&sb, data); err != nil {
				t.Fatal(err)
			}
			if sb.String() != tc.want {
				t.Fatalf("%s gives %q, want %q", tc.tmpl, sb.String(), tc.want)
			}
		})
	}
}
