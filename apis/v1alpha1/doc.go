// Package v1alpha1 is version v1alpha1 of the papdl.io API group. Its one
// kind, DistributedModel, declares an ONNX model to be split into contiguous
// units, benchmarked on every node of a Docker Swarm, placed and served; its
// status records how far papdl got.
//
// Objects are read from YAML files (LoadFile, Decode): strictly, several per
// file, with relative model paths resolved against the file's directory.
// Default fills unset optional fields in one place and Validate reports every
// problem at once, each naming its field path.
package v1alpha1

const (
	// GroupName is the API group.
	GroupName = "papdl.io"
	// Version is the API version inside the group.
	Version = "v1alpha1"
	// APIVersion is the value of apiVersion for objects of this package.
	APIVersion = GroupName + "/" + Version
	// KindDistributedModel is the kind of DistributedModel objects.
	KindDistributedModel = "DistributedModel"
)
