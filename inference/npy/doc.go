// Package npy reads and writes numpy's .npy format, the form in which papdl's
// clients send model inputs and receive outputs.
//
// Decode, DecodeBytes and Read accept format versions 1.0, 2.0 and 3.0 with
// the numeric dtypes papdl's tensors have ('<f2', '<f4', '<f8', '|i1' …
// '<i8', '|u1' … '<u8', '|b1'), in either byte order and in C or Fortran
// order; the result is always a C-ordered tensor.Tensor in host order. The
// header is parsed as the Python dict literal it is, so malformed headers are
// rejected with an error naming the field and byte offset at fault. Object,
// string and structured arrays are refused.
//
// Encode and EncodeBytes write exactly the bytes numpy.save writes for the
// same C-ordered little-endian array: format 1.0 (2.0 only when the header
// does not fit a 1.0 header), the header padded with spaces and a newline so
// that the data starts at a multiple of 64 bytes.
//
// On little-endian hosts both directions are a header plus one copy of the
// payload; no element is converted individually unless the file is
// big-endian or Fortran-ordered (bool, stored as one byte per element, is
// converted element by element by package tensor).
package npy
