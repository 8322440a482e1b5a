/**
 * `ModelIR`: a decoded ONNX model — the `ModelProto` with its main graph as a mutable {@link Graph}.
 */
import { clone, create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, ValueInfoProtoSchema, type GraphProto, type ModelProto } from './gen/onnx_pb.js';
import { Graph } from './graph.js';

/**
 * A decoded ONNX model. Everything the file held (metadata, functions, training info, fields this
 * version does not know) is kept in {@link ModelIR.proto} and written back by `encodeModel`.
 *
 * @example
 * ```ts
 * import { decodeModel, encodeModel } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * const model = decodeModel(bytes);
 * model.opset();           // e.g. 17
 * const variant = model.clone();
 * variant.graph.addOutput(variant.graph.nodes[0]!.output[0]!);
 * const edited = encodeModel(variant);
 * ```
 */
export class ModelIR {
  /** The underlying message; `proto.graph` is the same object as `graph.proto`. */
  readonly proto: ModelProto;
  /** The main graph, editable in place. */
  readonly graph: Graph;

  constructor(proto: ModelProto) {
    if (proto.graph === undefined) throw new MechintError('INVALID_MODEL', 'The model has no graph; is this really an ONNX model?');
    this.proto = proto;
    this.graph = new Graph(proto.graph);
  }

  /** The opset version imported for `domain` (`''` is the default ONNX domain), or `undefined`. */
  opset(domain = ''): number | undefined {
    const entry = this.proto.opsetImport.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === domain);
    return entry === undefined ? undefined : Number(entry.version);
  }

  /** The ONNX IR version the model declares. */
  get irVersion(): number {
    return Number(this.proto.irVersion);
  }

  /**
   * An independent copy for building a variant. Nodes, value infos and the graph structure are
   * deep-copied; initializer tensors are shared (they are treated as immutable: replace an
   * initializer, never write into its bytes).
   */
  clone(): ModelIR {
    const source = this.proto;
    return new ModelIR(create(ModelProtoSchema, { ...source, graph: cloneGraph(this.graph.proto), opsetImport: [...source.opsetImport], metadataProps: [...source.metadataProps] }));
  }

  /**
   * A model whose graph computes `outputs` from `inputs` (see {@link Graph.extract}); opsets,
   * functions and metadata are kept.
   */
  extract(inputs: readonly string[], outputs: readonly string[]): ModelIR {
    const graph = this.graph.extract(inputs, outputs);
    return new ModelIR(create(ModelProtoSchema, { ...this.proto, graph: graph.proto }));
  }
}

function cloneGraph(graph: GraphProto): GraphProto {
  return create(GraphProtoSchema, {
    ...graph,
    node: graph.node.map((n) => clone(NodeProtoSchema, n)),
    input: graph.input.map((v) => clone(ValueInfoProtoSchema, v)),
    output: graph.output.map((v) => clone(ValueInfoProtoSchema, v)),
    valueInfo: graph.valueInfo.map((v) => clone(ValueInfoProtoSchema, v)),
    initializer: [...graph.initializer],
  });
}
