// Package slice cuts an ONNX model into contiguous partitions of units.
//
// # What a unit (layer) is
//
// ONNX has no layers, only nodes. papdl's unit, the thing the planner places
// on a node, is built from the model after constant folding, walking the
// nodes in topological order:
//
//   - a node that does real work (Conv, Gemm, MatMul, pooling, Concat, ...)
//     starts a new unit, named after that node;
//   - a light node (an element-wise activation, BatchNormalization, Dropout,
//     Identity, Flatten, Reshape, Squeeze, Unsqueeze, Softmax, Cast, Clip,
//     Add/Mul with a constant, ...) joins the unit before it when every
//     tensor it reads is a constant or is produced by that unit; otherwise
//     it starts a unit of its own.
//
// A recurrent layer (RNN, GRU, LSTM) is one node and so one unit; so is a
// control-flow node (If, Loop, Scan): its subgraphs travel inside it, and
// the outer-scope tensors they read count as inputs of the node
// (engine.NodeInputs) when units and partitions are formed.
//
// So "Conv, Relu" is one unit, as a Keras Conv2D with an activation is one
// layer, and a residual Add, which reads from two units, is a unit of its
// own. A cut may fall between any two units, including inside a residual
// block: then every tensor produced before the cut and read after it crosses
// the cut (the Cut type lists them with their bytes).
//
// # Partitions
//
// A partition is a standalone ONNX model of a unit range [Start, End): its
// graph inputs are the tensors it reads that earlier partitions (or the
// model's inputs) produce, with their dtypes and shapes; its graph outputs are
// the tensors it produces that later partitions read or that are model
// outputs; it carries a copy of the initializers it reads. A tensor that
// crosses both of a partition's cuts without being produced by it is
// forwarded unchanged by whoever chains the partitions (Chain here, the
// partition servers in the data plane): it is listed in Partition.Forward.
package slice
