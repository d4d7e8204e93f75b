package objects

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/strict"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

// Patch applies a JSON merge patch (RFC 7386) to the document that
// declares the model in the specs directory, then writes it back through
// Apply: the result is decoded, defaulted and validated like any applied
// spec (a relative model path becomes absolute), and written atomically.
// A model no spec declares is an error wrapping ErrNotFound; a patch that
// renames the model or makes it invalid one wrapping ErrInvalid.
func Patch(specsDir, name string, patch []byte) (Result, error) {
	decls, err := distributedmodel.ScanSpecs(specsDir)
	if err != nil {
		return Result{}, err
	}
	found := decls[name]
	switch {
	case name == "" || len(found) == 0:
		return Result{}, fmt.Errorf("distributedmodel %q is not declared in %s: %w", name, specsDir, ErrNotFound)
	case len(found) > 1:
		return Result{}, invalidf("model %q is declared %d times: fix that first", name, len(found))
	}
	d := found[0]
	doc, err := documentAt(d.File, d.Line)
	if err != nil {
		return Result{}, fmt.Errorf("patch %s: %w", name, err)
	}
	patched, err := MergePatch(doc, patch)
	if err != nil {
		return Result{}, invalidf("patch %s: %v", name, err)
	}
	inputs, err := Decode(patched, d.File, filepath.Dir(d.File))
	if err != nil {
		return Result{}, err
	}
	if len(inputs) != 1 || inputs[0].Name != name {
		return Result{}, invalidf("patch %s: the patch may not rename the model", name)
	}
	res, err := Apply(specsDir, inputs)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// documentAt returns the document of file that starts at line.
func documentAt(file string, line int) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	for _, d := range strict.SplitDocuments(data) {
		if d.Line == line {
			return d.Data, nil
		}
	}
	return nil, fmt.Errorf("%s: no document starts on line %d (the file changed)", file, line)
}

// MergePatch applies a JSON merge patch to a YAML or JSON document and
// returns the result as JSON: objects merge key by key, null removes a
// key, anything else replaces the value.
func MergePatch(doc, patch []byte) ([]byte, error) {
	docJSON, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	var target, p any
	if err := json.Unmarshal(docJSON, &target); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, fmt.Errorf("merge patch: want a JSON object")
	}
	return json.Marshal(merge(target, p))
}

func merge(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = merge(tm[k], v)
	}
	return tm
}
