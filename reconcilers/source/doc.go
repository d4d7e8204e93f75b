// Package source turns a directory of spec files into reconcile requests: it
// watches the directory with fsnotify (debounced; hidden files, editor
// temporaries and partial writes ignored), re-lists it after every burst of
// changes and on a periodic resync, and enqueues every name that is declared
// now or was declared before (so a deleted spec is reconciled into removal).
// A git checkout works as a GitOps source: the .git folder is ignored and
// what the checkout holds is what runs.
package source
