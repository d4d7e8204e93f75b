// Package text implements ONNX's string and n-gram operators:
// StringNormalizer and TfIdfVectorizer.
package text

import (
	"fmt"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("StringNormalizer", buildStringNormalizer)
	add("TfIdfVectorizer", buildTfIdfVectorizer)
}

func buildStringNormalizer(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	action, err := n.AttrString("case_change_action", "NONE")
	if err != nil {
		return nil, err
	}
	if action != "NONE" && action != "LOWER" && action != "UPPER" {
		return nil, fmt.Errorf("case_change_action = %q, want NONE, LOWER or UPPER", action)
	}
	sensitive, err := n.AttrInt("is_case_sensitive", 0)
	if err != nil {
		return nil, err
	}
	stop := map[string]bool{}
	if a, ok := n.Attr("stopwords"); ok {
		for _, w := range a.Strings {
			s := string(w)
			if sensitive == 0 {
				s = strings.ToLower(s)
			}
			stop[s] = true
		}
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		words, ok := x.Data.([]string)
		if !ok || x.Rank() < 1 || x.Rank() > 2 || (x.Rank() == 2 && x.Shape[0] != 1) {
			return nil, fmt.Errorf("input is %s%v, want strings of shape [C] or [1, C]", x.DType, x.Shape)
		}
		var out []string
		for _, w := range words {
			key := w
			if sensitive == 0 {
				key = strings.ToLower(w)
			}
			if stop[key] {
				continue
			}
			switch action {
			case "LOWER":
				w = strings.ToLower(w)
			case "UPPER":
				w = strings.ToUpper(w)
			}
			out = append(out, w)
		}
		if len(out) == 0 {
			out = []string{""} // ONNX: all stopwords give one empty string
		}
		shape := []int{len(out)}
		if x.Rank() == 2 {
			shape = []int{1, len(out)}
		}
		t, err := tensor.FromSlice(out, shape...)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{t}, nil
	}), nil
}

// tfidf is a compiled TfIdfVectorizer: pool maps an n-gram (its items
// joined with \x00) to its output index.
type tfidf struct {
	minN, maxN, maxSkip int
	mode                string
	pool                map[string]int
	weights             []float32
	width               int
}

func buildTfIdfVectorizer(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	k := &tfidf{pool: map[string]int{}}
	get := func(name string) (int, error) {
		v, err := n.AttrInt(name, -1)
		return int(v), err
	}
	var err error
	if k.minN, err = get("min_gram_length"); err != nil {
		return nil, err
	}
	if k.maxN, err = get("max_gram_length"); err != nil {
		return nil, err
	}
	if k.maxSkip, err = get("max_skip_count"); err != nil {
		return nil, err
	}
	if k.minN < 1 || k.maxN < k.minN || k.maxSkip < 0 {
		return nil, fmt.Errorf("min_gram_length %d, max_gram_length %d and max_skip_count %d are inconsistent", k.minN, k.maxN, k.maxSkip)
	}
	if k.mode, err = n.AttrString("mode", ""); err != nil {
		return nil, err
	}
	if k.mode != "TF" && k.mode != "IDF" && k.mode != "TFIDF" {
		return nil, fmt.Errorf("mode = %q, want TF, IDF or TFIDF", k.mode)
	}
	counts, err := n.AttrInts("ngram_counts", nil)
	if err != nil {
		return nil, err
	}
	indexes, err := n.AttrInts("ngram_indexes", nil)
	if err != nil {
		return nil, err
	}
	if k.weights, err = n.AttrFloats("weights", nil); err != nil {
		return nil, err
	}
	var items []string
	if ints, err := n.AttrInts("pool_int64s", nil); err != nil {
		return nil, err
	} else if ints != nil {
		for _, v := range ints {
			items = append(items, fmt.Sprint(v))
		}
	} else if a, ok := n.Attr("pool_strings"); ok {
		for _, s := range a.Strings {
			items = append(items, string(s))
		}
	}
	// ngram_counts[g] is where the (g+1)-grams start in the pool.
	j := 0
	for g := range counts {
		start, end := int(counts[g]), len(items)
		if g+1 < len(counts) {
			end = int(counts[g+1])
		}
		if start < 0 || end > len(items) || start > end || (end-start)%(g+1) != 0 {
			return nil, fmt.Errorf("ngram_counts %v do not split a pool of %d items", counts, len(items))
		}
		for p := start; p < end; p += g + 1 {
			if j >= len(indexes) {
				return nil, fmt.Errorf("ngram_indexes has %d entries, the pool more n-grams", len(indexes))
			}
			k.pool[strings.Join(items[p:p+g+1], "\x00")] = int(indexes[j])
			k.width = max(k.width, int(indexes[j])+1)
			j++
		}
	}
	if k.weights != nil && len(k.weights) < k.width {
		return nil, fmt.Errorf("weights has %d values for %d outputs", len(k.weights), k.width)
	}
	return k, nil
}

func (k *tfidf) Run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := kernel.NeedInputs(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	var items []string
	if s, ok := x.Data.([]string); ok {
		items = s
	} else {
		v, err := kernel.Ints(x)
		if err != nil {
			return nil, err
		}
		items = make([]string, len(v))
		for i, e := range v {
			items[i] = fmt.Sprint(e)
		}
	}
	rows, cols := 1, x.Len()
	shape := []int{k.width}
	switch x.Rank() {
	case 1:
	case 2:
		rows, cols = x.Shape[0], x.Shape[1]
		shape = []int{rows, k.width}
	default:
		return nil, fmt.Errorf("input has shape %v, want [C] or [N, C]", x.Shape)
	}
	out := make([]float64, rows*k.width)
	for r := 0; r < rows; r++ {
		row := items[r*cols : (r+1)*cols]
		counts := out[r*k.width : (r+1)*k.width]
		for i := range row {
			for n := k.minN; n <= k.maxN; n++ {
				skips := k.maxSkip
				if n == 1 {
					skips = 0 // a unigram is the same whatever the skip
				}
				for s := 0; s <= skips; s++ {
					last := i + (n-1)*(s+1)
					if last >= len(row) {
						break
					}
					gram := make([]string, n)
					for t := range gram {
						gram[t] = row[i+t*(s+1)]
					}
					if idx, ok := k.pool[strings.Join(gram, "\x00")]; ok {
						counts[idx]++
					}
				}
			}
		}
		for j, c := range counts {
			w := 1.0
			if k.weights != nil {
				w = float64(k.weights[j])
			}
			switch k.mode {
			case "IDF":
				if c > 0 {
					counts[j] = w
				}
			case "TFIDF":
				counts[j] = c * w
			}
		}
	}
	t, err := kernel.FromFloats(tensor.Float32, shape, out)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}
