/**
 * Everything `@mechint/core` exports on every platform.
 */
export * from './errors.js';
export * from './random.js';
export * from './tensor/dtype.js';
export * from './tensor/half.js';
export * from './tensor/tensor.js';
export * from './onnx/codec.js';
export * from './onnx/graph.js';
export * from './onnx/model.js';
export * from './onnx/names.js';
export * from './onnx/tensor-proto.js';
export * from './onnx/types.js';
export { feedDims, inferShapes, type InferShapesOptions, type InferredType, type TypeConflict } from './onnx/shape-inference.js';
export { evaluateDim } from './onnx/sym-dim.js';
export * as onnx from './onnx/gen/onnx_pb.js';
export * from './runtime/binding.js';
export * from './runtime/backend.js';
export * from './runtime/session.js';
export * from './runtime/device-tensor.js';
export * from './runtime/own-nodes.js';
export * from './io/index.js';
export * from './builder/index.js';
export * from './hooks/index.js';
export * from './grad/index.js';
