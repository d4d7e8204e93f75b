package commands

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/cmd/papdlctl/internal/jsonpath"
	"github.com/papdl/papdl/reconcilers/apiserver"
)

// The values of -o on the verbs that print objects or plans, as kubectl
// names them. "" is the verb's table.
const (
	outputWide     = "wide"
	outputName     = "name"
	outputJSON     = "json"
	outputYAML     = "yaml"
	outputJSONPath = "jsonpath"
)

// output is a parsed -o: a format, and the template of jsonpath=TEMPLATE.
type output struct {
	format string
	tmpl   *jsonpath.Template
}

// parseOutput reads -o FORMAT among the allowed formats ("" always is:
// the table); jsonpath takes its template after "=".
func parseOutput(s string, allowed ...string) (output, error) {
	format, tmpl, hasTmpl := strings.Cut(s, "=")
	if s == "" {
		return output{}, nil
	}
	if !slices.Contains(allowed, format) || hasTmpl != (format == outputJSONPath) {
		return output{}, fmt.Errorf("-o %s: want one of %s", s, strings.Join(outputChoices(allowed), ", "))
	}
	o := output{format: format}
	if format == outputJSONPath {
		t, err := jsonpath.Parse(tmpl)
		if err != nil {
			return output{}, fmt.Errorf("-o %s: %w", s, err)
		}
		o.tmpl = t
	}
	return o, nil
}

// outputChoices are the allowed formats as -o takes them (for messages
// and completion).
func outputChoices(allowed []string) []string {
	out := make([]string, len(allowed))
	for i, f := range allowed {
		out[i] = f
		if f == outputJSONPath {
			out[i] = "jsonpath=TEMPLATE"
		}
	}
	return out
}

// table reports the formats the verb prints itself (table and wide).
func (o output) table() bool { return o.format == "" || o.format == outputWide }

// printValue writes v as JSON, YAML or through the jsonpath template.
func (o output) printValue(w io.Writer, v any) error {
	switch o.format {
	case outputJSON:
		return writeJSON(w, v)
	case outputYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	case outputJSONPath:
		return o.tmpl.ExecuteValue(w, v)
	}
	return fmt.Errorf("-o %s: not a machine format", o.format)
}

// printObjects writes models in a machine format: one object when single
// (a named get), a DistributedModelList otherwise; -o name writes
// distributedmodel/NAME lines.
func (o output) printObjects(w io.Writer, objs []*v1alpha1.DistributedModel, single bool) error {
	if o.format == outputName {
		var sb strings.Builder
		for _, obj := range objs {
			sb.WriteString(objectName(obj.Name) + "\n")
		}
		_, err := io.WriteString(w, sb.String())
		return err
	}
	if single && len(objs) == 1 {
		return o.printValue(w, objs[0])
	}
	if objs == nil {
		objs = []*v1alpha1.DistributedModel{}
	}
	return o.printValue(w, apiserver.List{APIVersion: v1alpha1.APIVersion, Kind: "DistributedModelList", Items: objs})
}

// objectName is how -o name and the verbs' messages name a model.
func objectName(name string) string { return "distributedmodel/" + name }
