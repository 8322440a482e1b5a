/**
 * A one-node model (`y = x + x`) used to check that an execution provider really runs.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from '../onnx/gen/onnx_pb.js';
import { tensorType } from '../onnx/types.js';

/** Bytes of the probe model: float32 input `x` of shape [1], output `y = x + x`. */
export function probeModel(): Uint8Array {
  const io = (name: string) => ({ name, type: tensorType('float32', [1]) });
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: '@mechint/core',
      opsetImport: [{ domain: '', version: 17n }],
      graph: {
        name: 'probe',
        node: [{ opType: 'Add', input: ['x', 'x'], output: ['y'], name: 'add' }],
        input: [io('x')],
        output: [io('y')],
      },
    }),
  );
}
