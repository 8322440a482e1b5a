/**
 * Access to the committed fixture models and their torch reference values.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/index.node.js';
import { readNpz } from '../../src/io/index.js';

/** Models exported by tools/fixtures/*.py. */
export type FixtureModel = 'gpt2l' | 'cnn' | 'rnn' | 'tiny_mlp';

const dir = new URL('../fixtures/', import.meta.url);

/** Path of a fixture file. */
export function fixturePath(file: string): string {
  return new URL(file, dir).pathname;
}

/** Bytes of `<model>.onnx`. */
export function modelBytes(model: FixtureModel): Uint8Array {
  return readFileSync(fixturePath(`${model}.onnx`));
}

/** The arrays of `<model>.reference.npz` (or another npz of torch references), written by torch. */
export function reference(model: FixtureModel | 'gpt_hf', file = `${model}.reference.npz`): Record<string, Tensor> {
  return readNpz(readFileSync(fixturePath(file)));
}

/** The parsed `<model>.meta.json`. */
export function meta(model: FixtureModel): Record<string, unknown> {
  return JSON.parse(readFileSync(fixturePath(`${model}.meta.json`), 'utf8')) as Record<string, unknown>;
}

/** The reference inputs of `model`, keyed by graph input name (`input.<name>` in the npz). */
export function referenceFeeds(model: FixtureModel, inputNames: readonly string[]): Record<string, Tensor> {
  const ref = reference(model);
  return Object.fromEntries(inputNames.map((name) => [name, ref[`input.${name}`]!]));
}

/** Graph value name of each `act.*` reference of `model`, from its meta.json. */
export function activationNames(model: FixtureModel): Record<string, string> {
  const onnx = meta(model)['onnx'] as { activation_tensors?: Record<string, string> };
  return onnx.activation_tensors ?? {};
}

/** Every fixture model. */
export const FIXTURE_MODELS: readonly FixtureModel[] = ['gpt2l', 'cnn', 'rnn', 'tiny_mlp'];
