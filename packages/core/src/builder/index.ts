/**
 * The graph builder: a typed DSL that emits ONNX graphs.
 */
export { GraphBuilder } from './graph-builder.js';
export { Value, type Operand, type Scalar } from './value.js';
export { attr, attributeProto, type AttributeValue, type Attributes, type NumericAttribute } from './attributes.js';
export { MAX_OPSET, MIN_OPSET, type GraphBuilderOptions, type OpOptions } from './core.js';
export type { ClipOptions } from './elementwise.js';
export type { GemmOptions } from './linalg.js';
export type { ArgReduceOptions, CumSumOptions, ReduceOptions, SoftmaxOptions, TopKOptions } from './reduce.js';
export type { RangeOptions, ReshapeOptions, ShapeLike, ShapeOptions } from './layout.js';
export type { GatherOptions, IndicesLike, ScatterElementsOptions, ScatterNDOptions, ScatterReduction, SliceOptions } from './indexing.js';
export type { DftOptions } from './spectral.js';
