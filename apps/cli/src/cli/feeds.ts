/**
 * Model inputs from an `.npz` / `.safetensors` file: its keys must be exactly the model's inputs,
 * integer arrays are widened to the integer type the model takes (numpy writes int32 on some
 * platforms), and a wrong kind of number is refused with the dtype to write.
 */
import { MechintError, Tensor, type DType, type HookedModel } from '@mechint/core';
import { inputPath, readArrays } from './files.js';

const INTEGER = new Set<DType>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);
const FLOAT = new Set<DType>(['float16', 'float32', 'float64']);

function convert(name: string, tensor: Tensor, expected: DType | undefined): Tensor {
  if (expected === undefined || tensor.dtype === expected) return tensor;
  const sameKind = (INTEGER.has(tensor.dtype) && INTEGER.has(expected)) || (FLOAT.has(tensor.dtype) && FLOAT.has(expected) && expected !== 'float16');
  if (!sameKind) {
    throw new MechintError('DTYPE_MISMATCH', `Input '${name}' is ${tensor.dtype} but the model takes ${expected}; write it as ${expected} (numpy: x.astype('${expected}')).`, { details: { name } });
  }
  return tensor.clone(expected);
}

/** The feeds in `path` for `model`, checked against its inputs before anything runs. */
export function readFeeds(cwd: string, path: string, model: HookedModel): Record<string, Tensor> {
  inputPath(cwd, path, ['.npz', '.safetensors'], 'Inputs file');
  const arrays = readArrays(cwd, path, 'Inputs file');
  const expected = model.model.graph.feedNames;
  const keys = Object.keys(arrays);
  const missing = expected.filter((n) => !keys.includes(n));
  const extra = keys.filter((k) => !expected.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new MechintError(
      'INVALID_ARGUMENT',
      `Inputs file '${path}' has arrays [${keys.join(', ')}] but the model takes [${expected.join(', ')}]${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not inputs: ${extra.join(', ')}` : ''}. Save one array per model input under its name, e.g. numpy.savez('in.npz', ${expected.map((n) => `${n}=…`).join(', ')}).`,
      { details: { keys, expected } },
    );
  }
  const feeds: Record<string, Tensor> = {};
  for (const name of expected) {
    const hook = model.hookPoints.find((h) => h.name === name);
    const tensor = convert(name, arrays[name]!, hook?.dtype);
    const shape = hook?.shape;
    if (shape !== undefined && (shape.length !== tensor.rank || shape.some((d, i) => typeof d === 'number' && d !== tensor.shape[i]))) {
      throw new MechintError('SHAPE_MISMATCH', `Input '${name}' has shape [${tensor.shape.join(', ')}] but the model takes [${shape.join(', ')}]; reshape it before saving.`, { details: { name } });
    }
    feeds[name] = tensor;
  }
  return feeds;
}
