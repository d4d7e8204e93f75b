package distributedmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/ops"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// ensureProfile returns the cluster profile to plan with, restricted to the
// ready nodes. It benchmarks only when no stored profile covers every ready
// node with the same resources, or the stored one is older than maxAge.
func (s *session) ensureProfile(ctx context.Context, path string, ready []runtime.Node) (*clusterprofile.ClusterProfile, error) {
	spec := &s.obj.Spec
	maxAge := v1alpha1.DefaultMaxAge
	warmup, repeats := int(v1alpha1.DefaultWarmup), int(v1alpha1.DefaultRepeats)
	if b := spec.Benchmark; b != nil {
		if b.MaxAge != nil {
			maxAge = b.MaxAge.Duration
		}
		if b.Warmup != nil {
			warmup = int(*b.Warmup)
		}
		if b.Repeats != nil {
			repeats = int(*b.Repeats)
		}
	}
	if s.rec.ProfileKey == "" {
		s.adoptProfile(ready)
	}
	reason := "no profile yet"
	var old *clusterprofile.ClusterProfile
	if s.rec.ProfileKey != "" {
		path, err := s.r.Store.ProfilePath(s.rec.ProfileKey)
		if err == nil {
			old, err = clusterprofile.LoadFile(path)
		}
		if err == nil {
			reason = s.coverage(old, ready)
			if age, ok := old.Age(s.r.now()); reason == "" && ok && age > maxAge {
				reason = fmt.Sprintf("the profile is %s old (spec.benchmark.maxAge %s)", age.Round(time.Second), maxAge)
			}
			if reason == "" && s.rec.BenchmarkRequested != "" {
				reason = s.rec.BenchmarkRequested
			}
			if reason == "" {
				v1alpha1.SetCondition(&s.rec.Status.Conditions, v1alpha1.Condition{Type: v1alpha1.ConditionBenchmarked,
					Status: v1alpha1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded, ObservedGeneration: s.rec.Generation,
					Message: fmt.Sprintf("profile %s covers the %d ready nodes", s.rec.ProfileKey, len(ready))}, s.r.now())
				return restrict(old, ready), nil
			}
		} else {
			old, reason = nil, fmt.Sprintf("the stored profile is unreadable (%v)", err)
		}
		s.event(false, "Benchmarking", "benchmarking again: %s", reason)
	}
	if s.dryRun() {
		s.note(&s.dry.Rebenchmark, &s.dry.RebenchmarkReason, reason)
		s.note(&s.dry.Replace, &s.dry.ReplaceReason, "after the benchmark (the plan depends on its measurements)")
		return nil, errDryRunStops
	}

	a, err := s.analysis(ctx, path)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ready))
	for i, n := range ready {
		names[i] = n.Hostname
	}
	manifest, chunks, release, err := s.ensureBenchPartitions(a, ready)
	if err != nil {
		return nil, err
	}
	defer release()
	s.progress("Benchmarking", "benchmarking %d units in %d chunks on %d nodes (%s)", len(a.Units), chunks, len(ready), strings.Join(names, ", "))
	s.event(false, "Benchmarking", "benchmarking %d units in %d chunks on nodes %s", len(a.Units), chunks, strings.Join(names, ", "))
	prof, failed, err := MeasureCluster(ctx, s.r.Runtime, a, runtime.BenchmarkRequest{
		Model: s.name, ManifestPath: manifest, ModelPath: path, ModelSHA256: s.rec.ModelSHA256,
		InputShapes: map[string][]int{s.rec.InputName: s.rec.InputShape},
		Nodes:       ready, Warmup: warmup, Repeats: repeats,
		Progress: func(node, msg string) { s.log.Info("benchmark progress: " + msg) },
	}, s.r.now())
	for node, ferr := range failed {
		s.event(true, "NodeBenchmarkFailed", "node %s left out of the profile: %v", node, ferr)
	}
	if err != nil {
		return nil, err
	}
	if notes := calibrate(prof, old, s.rec.Calibration); len(notes) > 0 {
		s.event(false, "Calibrated", "nodes serving this model keep the times of its traffic: %s", strings.Join(notes, "; "))
	}
	now := *prof.Metadata.MeasuredAt
	key := store.Key(s.rec.ModelSHA256, s.rec.InputShape, nodeKey(ready), now)
	profilePath, err := s.r.Store.ProfilePath(key)
	if err != nil {
		return nil, err
	}
	if err := clusterprofile.WriteFile(profilePath, prof); err != nil {
		return nil, err
	}
	oldKey := s.rec.ProfileKey
	s.rec.ProfileKey, s.rec.ProfileGraphKey, s.rec.BenchmarkRequested, s.rec.Calibration = key, s.rec.GraphKey, "", nil
	if oldKey != "" && oldKey != key {
		if path, err := s.r.Store.ProfilePath(oldKey); err == nil {
			_ = os.Remove(path)
		}
	}
	s.event(false, "Benchmarked", "profile %s: %d nodes, %d units, %d links%s", key, len(prof.Nodes), len(prof.Model.Units), len(prof.Links), noiseSummary(prof))
	v1alpha1.SetCondition(&s.rec.Status.Conditions, v1alpha1.Condition{Type: v1alpha1.ConditionBenchmarked,
		Status: v1alpha1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded, ObservedGeneration: s.rec.Generation,
		Message: fmt.Sprintf("measured %d units on %d nodes", len(prof.Model.Units), len(prof.Nodes))}, s.r.now())
	return restrict(prof, ready), nil
}

// MaxBenchChunkBytes bounds the weights of one chunk of a benchmark
// partition set.
const MaxBenchChunkBytes = 64 << 20

// BenchChunkBudget is the weight budget of a benchmark chunk for nodes:
// MaxBenchChunkBytes, or an eighth of the smallest node's memory when that
// is less (a node holds a chunk's file, decoded and packed weights, plus
// activations and the runtime, at once).
func BenchChunkBudget(nodes []runtime.Node) int64 {
	budget := int64(MaxBenchChunkBytes)
	for _, n := range nodes {
		if n.MemoryBytes > 0 && n.MemoryBytes/8 < budget {
			budget = n.MemoryBytes / 8
		}
	}
	return budget
}

// WriteBenchPartitions writes a's benchmark partition set to dir: the model
// cut into chunks of consecutive units whose weights stay within budget
// (slice.Analysis.ChunkCuts), for `papdl-node bench --manifest`.
func WriteBenchPartitions(dir string, a *slice.Analysis, modelSHA256 string, budget int64) (*slice.Manifest, error) {
	parts, err := a.Partition(a.ChunkCuts(budget))
	if err != nil {
		return nil, fmt.Errorf("benchmark partition set: %w", err)
	}
	man, err := slice.Write(dir, a, parts, modelSHA256)
	if err != nil {
		return nil, fmt.Errorf("benchmark partition set in %s: %w", dir, err)
	}
	return man, nil
}

// ensureBenchPartitions returns the manifest of the model's benchmark
// partition set for the ready nodes and its number of chunks, writing it
// unless it exists (content-addressed by model digest, input shape and
// chunk cuts). release ends the benchmark's use of it: until then pruning
// keeps it.
func (s *session) ensureBenchPartitions(a *slice.Analysis, ready []runtime.Node) (manifest string, chunks int, release func(), err error) {
	cuts := a.ChunkCuts(BenchChunkBudget(ready))
	key := store.Key(s.rec.ModelSHA256, s.rec.InputName, s.rec.InputShape, "benchmark", cuts)
	dir, err := s.r.Store.ArtifactDir(key)
	if err != nil {
		return "", 0, nil, err
	}
	manifest = filepath.Join(dir, slice.ManifestFile)
	s.r.artifactsMu.Lock()
	defer s.r.artifactsMu.Unlock()
	if _, err := os.Stat(manifest); err != nil {
		s.progress("Slicing", "writing the benchmark partition set: %d chunks", len(cuts)+1)
		tmp := dir + ".tmp"
		_ = os.RemoveAll(tmp)
		if _, err := WriteBenchPartitions(tmp, a, s.rec.ModelSHA256, BenchChunkBudget(ready)); err != nil {
			_ = os.RemoveAll(tmp)
			return "", 0, nil, err
		}
		if err := os.Rename(tmp, dir); err != nil {
			_ = os.RemoveAll(tmp)
			return "", 0, nil, fmt.Errorf("store benchmark partition set %s: %w", key, err)
		}
	}
	if s.r.benchSets == nil {
		s.r.benchSets = map[string]int{}
	}
	s.r.benchSets[key]++
	release = func() {
		s.r.artifactsMu.Lock()
		defer s.r.artifactsMu.Unlock()
		if s.r.benchSets[key]--; s.r.benchSets[key] <= 0 {
			delete(s.r.benchSets, key)
		}
	}
	return manifest, len(cuts) + 1, release, nil
}

// MeasureCluster benchmarks the analysed model on req.Nodes through the
// runtime and returns a complete, validated cluster profile (nodes that
// failed are left out and returned in failed). req.PayloadBytes defaults to
// the sizes that cross the model's cuts.
func MeasureCluster(ctx context.Context, rt runtime.Runtime, a *slice.Analysis, req runtime.BenchmarkRequest, now time.Time) (*clusterprofile.ClusterProfile, map[string]error, error) {
	if len(req.PayloadBytes) == 0 {
		req.PayloadBytes = payloadSizes(a)
	}
	res, err := rt.Benchmark(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("benchmark: %w", err)
	}
	prof := res.Profile
	remeasureNoisy(ctx, rt, req, prof)
	prof.APIVersion, prof.Kind, prof.Units = clusterprofile.APIVersion, clusterprofile.Kind, clusterprofile.StandardUnits()
	prof.Model = modelSection(req.Model, req.ModelSHA256, a)
	at := now.UTC()
	w, rp := int32(req.Warmup), int32(req.Repeats)
	prof.Metadata = clusterprofile.Metadata{Name: req.Model, MeasuredAt: &at, Warmup: &w, Repeats: &rp}
	if errs := prof.Validate(); len(errs) > 0 {
		return nil, res.Failed, fmt.Errorf("benchmark produced an invalid profile: %w", errs.ToAggregate())
	}
	return prof, res.Failed, nil
}

// maxNoise is the benchmark spread (clusterprofile.Node.Noise) above which a
// node is measured again, once.
const maxNoise = 0.15

// remeasureNoisy benchmarks the nodes whose measurement spread more than
// maxNoise again, together in one benchmark, and keeps each node's calmer
// measurement (its links stay as first measured). A failed second
// benchmark keeps the first measurements.
func remeasureNoisy(ctx context.Context, rt runtime.Runtime, req runtime.BenchmarkRequest, prof *clusterprofile.ClusterProfile) {
	again := req
	again.Nodes, again.PayloadBytes = nil, nil
	for i := range prof.Nodes {
		n := &prof.Nodes[i]
		if noiseOf(n) <= maxNoise {
			continue
		}
		if idx := slices.IndexFunc(req.Nodes, func(r runtime.Node) bool { return r.ID == n.ID }); idx >= 0 {
			again.Nodes = append(again.Nodes, req.Nodes[idx])
			if req.Progress != nil {
				req.Progress(n.Hostname, fmt.Sprintf("node %s: runs spread ±%.0f%%: measuring again", n.Hostname, 100*noiseOf(n)))
			}
		}
	}
	if len(again.Nodes) == 0 {
		return
	}
	res, err := rt.Benchmark(ctx, again)
	if err != nil {
		if req.Progress != nil {
			for _, n := range again.Nodes {
				req.Progress(n.Hostname, fmt.Sprintf("node %s: measuring again failed, keeping the first measurement: %v", n.Hostname, err))
			}
		}
		return
	}
	for _, second := range res.Profile.Nodes {
		i := prof.NodeIndex(second.ID)
		if i < 0 || len(second.Units) != len(prof.Nodes[i].Units) {
			continue
		}
		if first := &prof.Nodes[i]; noiseOf(&second) < noiseOf(first) {
			first.Units, first.Noise = second.Units, second.Noise
		}
	}
}

// noiseOf is a node's measured spread, 0 when unknown.
func noiseOf(n *clusterprofile.Node) float64 {
	if n.Noise == nil {
		return 0
	}
	return *n.Noise
}

// noiseSummary lists the nodes' benchmark spreads, for an event.
func noiseSummary(prof *clusterprofile.ClusterProfile) string {
	var parts []string
	for i := range prof.Nodes {
		if n := &prof.Nodes[i]; n.Noise != nil {
			parts = append(parts, fmt.Sprintf("%s ±%.0f%%", n.Hostname, 100*noiseOf(n)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; runs spread " + strings.Join(parts, ", ")
}

// analysis returns the model's units, marking the model Sliced.
func (s *session) analysis(ctx context.Context, path string) (*slice.Analysis, error) {
	s.progress("Slicing", "analysing model %s", path)
	a, err := s.r.models.analysis(ctx, path, s.rec.ModelSHA256, s.r.maxModelBytes(), s.rec.InputName, s.rec.InputShape)
	if errors.Is(err, ops.ErrUnsupported) {
		return nil, fmt.Errorf("%w: %w", errInvalidModel, err)
	}
	if err != nil {
		return nil, err
	}
	s.setCondition(v1alpha1.ConditionSliced, v1alpha1.ConditionTrue, v1alpha1.ReasonSucceeded,
		fmt.Sprintf("%d units (input %s %v)", len(a.Units), s.rec.InputName, s.rec.InputShape))
	return a, nil
}

// coverage explains why a profile cannot serve the ready nodes, or "". A
// profile measured for another model file still serves when only the
// float weights differ (same graph key).
func (s *session) coverage(p *clusterprofile.ClusterProfile, ready []runtime.Node) string {
	if p.Model.SHA256 != s.rec.ModelSHA256 && (s.rec.ProfileGraphKey == "" || s.rec.ProfileGraphKey != s.rec.GraphKey) {
		return "the model changed"
	}
	for _, n := range ready {
		i := p.NodeIndex(n.ID)
		if i < 0 {
			return fmt.Sprintf("node %s (%s) is new", n.Hostname, n.ID)
		}
		pn := p.Nodes[i]
		if pn.CPUs != runtime.CPUCount(n.CPUs) || pn.MemoryBytes != n.MemoryBytes {
			return fmt.Sprintf("node %s changed resources (%d CPUs, %d bytes -> %d CPUs, %d bytes)",
				n.Hostname, pn.CPUs, pn.MemoryBytes, runtime.CPUCount(n.CPUs), n.MemoryBytes)
		}
	}
	return ""
}

// maxProfilesScanned bounds the profiles read when looking for one to adopt.
const maxProfilesScanned = 64

// adoptProfile finds, for a model whose state was lost, the newest stored
// profile of the same model file that covers the ready nodes, so that a
// rebuilt state does not cost a benchmark.
func (s *session) adoptProfile(ready []runtime.Node) {
	entries, err := os.ReadDir(filepath.Join(s.r.Store.Dir(), "profiles"))
	if err != nil {
		return
	}
	var best string
	var bestAt time.Time
	for i, e := range entries {
		if i >= maxProfilesScanned {
			break
		}
		key, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(key, ".") {
			continue
		}
		path, err := s.r.Store.ProfilePath(key)
		if err != nil {
			continue
		}
		p, err := clusterprofile.LoadFile(path)
		if err != nil || p.Model.SHA256 != s.rec.ModelSHA256 || p.Metadata.MeasuredAt == nil {
			continue
		}
		if s.coverage(p, ready) == "" && p.Metadata.MeasuredAt.After(bestAt) {
			best, bestAt = key, *p.Metadata.MeasuredAt
		}
	}
	if best != "" {
		s.rec.ProfileKey, s.rec.ProfileGraphKey = best, s.rec.GraphKey
		s.event(false, "ProfileAdopted", "using the stored profile %s measured %s for this model file", best, bestAt.Format(time.RFC3339))
	}
}

// restrict returns a copy of p holding only the ready nodes and their links.
func restrict(p *clusterprofile.ClusterProfile, ready []runtime.Node) *clusterprofile.ClusterProfile {
	keep := map[string]bool{}
	for _, n := range ready {
		keep[n.ID] = true
	}
	cp := *p
	cp.Nodes = nil
	for _, n := range p.Nodes {
		if keep[n.ID] {
			cp.Nodes = append(cp.Nodes, n)
		}
	}
	cp.Links = nil
	for _, l := range p.Links {
		if keep[l.From] && keep[l.To] {
			cp.Links = append(cp.Links, l)
		}
	}
	return &cp
}

func nodeKey(nodes []runtime.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = fmt.Sprintf("%s/%g/%d", n.ID, n.CPUs, n.MemoryBytes)
	}
	sort.Strings(out)
	return out
}

// payloadSizes picks the message sizes to probe links with: the input, the
// output and the smallest, median and largest cut.
func payloadSizes(a *slice.Analysis) []int64 {
	set := map[int64]bool{}
	var cuts []int64
	for _, c := range a.Cuts() {
		cuts = append(cuts, c.Bytes)
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	add := func(b int64) {
		if b > 0 {
			set[b] = true
		}
	}
	add(a.CutAfter(-1).Bytes)
	add(a.CutAfter(len(a.Units) - 1).Bytes)
	if len(cuts) > 0 {
		add(cuts[0])
		add(cuts[len(cuts)/2])
		add(cuts[len(cuts)-1])
	}
	out := make([]int64, 0, len(set))
	for b := range set {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// modelSection describes the sliced model for the profile.
func modelSection(name, sha string, a *slice.Analysis) clusterprofile.Model {
	m := clusterprofile.Model{Name: name, SHA256: sha, InputBytes: a.CutAfter(-1).Bytes, OutputBytes: a.CutAfter(len(a.Units) - 1).Bytes}
	elems := a.CutAfter(-1).Bytes / 4
	m.InputElements = &elems
	cuts := a.Cuts()
	for i, u := range a.Units {
		cut := m.OutputBytes
		if i < len(cuts) {
			cut = cuts[i].Bytes
		}
		m.Units = append(m.Units, clusterprofile.Unit{Name: u.Name, WeightBytes: u.WeightBytes, OutputBytes: u.OutputBytes, CutBytes: cut})
	}
	return m
}
