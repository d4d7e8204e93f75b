package swarm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"
	"go.uber.org/zap"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/reconcilers/runtime"
	"github.com/papdl/papdl/reconcilers/store"
)

// CredentialsFile is where a model's chain credentials are mounted in its
// services (a Swarm secret, mode 0400): papdl-node reads them with
// --credentials.
const CredentialsFile = "/run/secrets/papdl-chain.pem"

// SecretName is the Swarm secret holding a model's chain credentials.
func SecretName(model string) string { return "papdl-" + model + "-chain" }

// ensureSecret returns the reference that mounts the model's chain
// credentials, creating the secret when missing. The credentials stay the
// same across the model's revisions, so services a new revision leaves
// running still talk to the updated ones; Clean removes them with the
// model. Swarm keeps secrets encrypted in its Raft log and hands them only
// to the nodes that run the model's tasks; the controller keeps its own
// copy (bundle), which signs the routes it sends the model's gateway. The
// secret's name carries the copy's digest: a controller that lost its copy
// makes new credentials under a new name (and the services restart with
// them) instead of using a secret it cannot sign for.
func (r *Runtime) ensureSecret(ctx context.Context, model string) (*swarm.SecretReference, error) {
	bundle, err := r.bundle(model)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(bundle)
	name := SecretName(model) + "-" + hex.EncodeToString(sum[:4])
	ref := func(id string) *swarm.SecretReference {
		return &swarm.SecretReference{SecretID: id, SecretName: name,
			File: &swarm.SecretReferenceFileTarget{Name: strings.TrimPrefix(CredentialsFile, "/run/secrets/"), UID: "0", GID: "0", Mode: 0o400}}
	}
	for attempt := 0; attempt < 3; attempt++ {
		secrets, err := r.eng.SecretList(ctx, swarm.SecretListOptions{Filters: labelFilter(LabelModel, model)})
		if err != nil {
			return nil, fmt.Errorf("list secrets of model %s: %w", model, err)
		}
		for _, s := range secrets {
			if s.Spec.Name == name {
				return ref(s.ID), nil
			}
		}
		resp, err := r.eng.SecretCreate(ctx, swarm.SecretSpec{
			Annotations: swarm.Annotations{Name: name, Labels: map[string]string{LabelModel: model}},
			Data:        bundle,
		})
		if err == nil {
			r.log.Info("created chain credentials", zap.String("secret", name), zap.String("id", resp.ID))
			return ref(resp.ID), nil
		}
		if !cerrdefs.IsConflict(err) && !strings.Contains(err.Error(), "already exists") {
			return nil, fmt.Errorf("create secret %s: %w", name, err)
		}
	}
	return nil, fmt.Errorf("create secret %s: it keeps appearing and vanishing", name)
}

// bundle returns the controller's copy of model's chain credentials,
// making new ones when it has none: in Config.CredentialsDir (a 0600 file
// per model) when set, else in memory for the runtime's life.
func (r *Runtime) bundle(model string) ([]byte, error) {
	r.credsMu.Lock()
	defer r.credsMu.Unlock()
	if b, ok := r.bundles[model]; ok {
		return b, nil
	}
	if err := v1alpha1.ValidateName(model); err != nil {
		return nil, fmt.Errorf("chain credentials: model %w", err) // the name becomes a file name
	}
	var path string
	if dir := r.cfg.CredentialsDir; dir != "" {
		path = filepath.Join(dir, model+".pem")
		if b, err := os.ReadFile(path); err == nil {
			if _, err := chainauth.Parse(b); err == nil {
				r.bundles[model] = b
				return b, nil
			}
			r.log.Warn("chain credentials unreadable: making new ones", zap.String("path", path))
		}
	}
	b, err := chainauth.Generate(model, 0)
	if err != nil {
		return nil, err
	}
	if path != "" {
		// The directory is the controller's alone; the file is written
		// through a 0600 temporary file.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("keep chain credentials of %s: %w", model, err)
		}
		if err := store.WriteFileAtomic(path, b); err != nil {
			return nil, fmt.Errorf("keep chain credentials of %s: %w", model, err)
		}
	}
	r.bundles[model] = b
	return b, nil
}

// forgetBundle drops the controller's copy of model's credentials (every
// model's when model is "").
func (r *Runtime) forgetBundle(model string) {
	r.credsMu.Lock()
	defer r.credsMu.Unlock()
	if model != "" && v1alpha1.ValidateName(model) != nil {
		return // never a path: no file of it was written
	}
	pattern := model + ".pem"
	if model == "" {
		clear(r.bundles)
		pattern = "*.pem"
	}
	delete(r.bundles, model)
	if r.cfg.CredentialsDir == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(r.cfg.CredentialsDir, pattern))
	for _, f := range files {
		_ = os.Remove(f)
	}
}

// removeSecrets deletes the model's chain credentials (all models' when
// model is ""); call it once the services are gone.
func (r *Runtime) removeSecrets(ctx context.Context, model string) error {
	f := labelFilter(LabelModel, model)
	secrets, err := r.eng.SecretList(ctx, swarm.SecretListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("list secrets of model %q: %w", model, err)
	}
	var errs []error
	for _, s := range secrets {
		if err := r.eng.SecretRemove(ctx, s.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove secret %s: %w", s.Spec.Name, err))
		}
	}
	return errors.Join(errs...)
}

// tokenMount is where a gateway's bearer token is mounted: the name
// carries the token's digest, so a changed token changes the gateway's
// command line and the service is updated.
func tokenMount(digest string) string { return "/run/secrets/papdl-token-" + digest }

// ensureTokenSecret stores the bearer token of w (read from w.TokenFile on
// the controller's host) as a secret named after its digest and returns
// the reference mounting it and the file path for --token-file.
func (r *Runtime) ensureTokenSecret(ctx context.Context, w runtime.Workload) (*swarm.SecretReference, string, error) {
	tok, err := os.ReadFile(w.TokenFile)
	if err != nil {
		return nil, "", fmt.Errorf("gateway token of model %s: %w", w.Model, err)
	}
	sum := sha256.Sum256(tok)
	digest := hex.EncodeToString(sum[:6])
	name := "papdl-" + w.Model + "-token-" + digest
	path := tokenMount(digest)
	ref := func(id string) *swarm.SecretReference {
		return &swarm.SecretReference{SecretID: id, SecretName: name,
			File: &swarm.SecretReferenceFileTarget{Name: strings.TrimPrefix(path, "/run/secrets/"), UID: "0", GID: "0", Mode: 0o400}}
	}
	secrets, err := r.eng.SecretList(ctx, swarm.SecretListOptions{Filters: labelFilter(LabelModel, w.Model)})
	if err != nil {
		return nil, "", fmt.Errorf("list secrets of model %s: %w", w.Model, err)
	}
	for _, s := range secrets {
		if s.Spec.Name == name {
			return ref(s.ID), path, nil
		}
	}
	resp, err := r.eng.SecretCreate(ctx, swarm.SecretSpec{
		Annotations: swarm.Annotations{Name: name, Labels: map[string]string{LabelModel: w.Model}},
		Data:        tok,
	})
	if err != nil {
		return nil, "", fmt.Errorf("create secret %s: %w", name, err)
	}
	return ref(resp.ID), path, nil
}
