// Package apiserver is the controller's HTTPS API: Kubernetes-style
// resources over the same specs and state directories papdlctl's local
// verbs use (through reconcilers/objects), so that papdl can be driven from
// another machine.
//
//	GET    /apis/papdl.io/v1alpha1/distributedmodels[?watch=true]
//	GET    /apis/papdl.io/v1alpha1/distributedmodels/NAME[?watch=true]
//	PUT    /apis/papdl.io/v1alpha1/distributedmodels/NAME   (apply)
//	DELETE /apis/papdl.io/v1alpha1/distributedmodels/NAME
//	GET    /apis/papdl.io/v1alpha1/distributedmodels/NAME/{status,events,plan,observation}
//	GET    /version
//
// It serves HTTPS only, with a CA and a server certificate generated at the
// first start and kept in STATE/api (EnsurePKI), and authenticates every
// request with a bearer token: an admin token, and a read-only one that
// may only GET (EnsureTokens). Start writes STATE/admin.papdlconfig and
// STATE/readonly.papdlconfig, the client configuration files (Config) that
// papdlctl's Client reads, as k3s writes its kubeconfig.
//
// The specs directory stays the source of truth: an apply writes the spec
// file atomically, as `papdlctl apply` does, so the API and GitOps
// coexist. The server does not reconcile; the controller watches the
// directory.
package apiserver
